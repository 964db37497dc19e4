"""Channels: one message goes to every channel its recipient has switched on.

E-mail is the default and always on (registration decisions, legal notices and password resets
go only there); LINE is optional, for the kinds in ``LINE_KINDS``, once the registrant has
linked a LINE account on my page. Callers keep calling ``email_template_queue``: the fan-out
happens underneath, from the template's name and the context's ``recipient_user_id``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db import transaction

from yoyaku.core import clock
from yoyaku.notifications.line import TEXT_LIMIT
from yoyaku.notifications.models import Kind, LineDelivery, LineLink
from yoyaku.notifications.tasks import send_email, send_line

# The e-mail templates whose message also goes to LINE, and as what. A new kind of mail that
# should reach LINE (e.g. a waitlist offer) is added here.
TEMPLATE_KINDS: dict[str, Kind] = {
    "reservation_reminder": Kind.REMINDER,
    "registration_expiry_warning": Kind.REMINDER,
    "lottery_result": Kind.LOTTERY_RESULT,
    "waitlist_offer": Kind.WAITLIST_OFFER,
    "payment_reminder": Kind.PAYMENT_REMINDER,
    "payment_additional": Kind.PAYMENT_REMINDER,
    "reservation_cancelled": Kind.CANCELLATION,
    "lottery_withdrawn": Kind.CANCELLATION,
}
LINE_KINDS = frozenset(
    {
        Kind.REMINDER,
        Kind.LOTTERY_RESULT,
        Kind.WAITLIST_OFFER,
        Kind.PAYMENT_REMINDER,
        Kind.CANCELLATION,
    }
)


FIRST_RETRY = dt.timedelta(minutes=1)
FOOTER_RULE = "――――――――――"


def kind_of(template: str) -> Kind:
    return TEMPLATE_KINDS.get(template, Kind.OTHER)


@dataclass(frozen=True)
class Message:
    """What is said, whatever carries it."""

    kind: Kind
    subject: str
    text: str
    link: str = ""  # an address on this site the message points to (my page by default)
    html: str | None = None  # e-mail only


@dataclass(frozen=True)
class Recipient:
    emails: tuple[str, ...] = ()
    user_id: int | None = None  # the log-in account, for the channels linked to it


class Channel(Protocol):
    name: str

    def queue(self, recipients: Sequence[Recipient], message: Message) -> int:
        """Send ``message`` to those of ``recipients`` who use this channel, after the
        surrounding transaction commits; returns how many will get it."""
        ...


class EmailChannel:
    name = "email"

    def queue(self, recipients: Sequence[Recipient], message: Message) -> int:
        to = [email for recipient in recipients for email in recipient.emails]
        if not to:
            return 0
        subject, body, html = message.subject, message.text, message.html
        transaction.on_commit(
            lambda: send_email.enqueue(to=to, subject=subject, body=body, html=html)
        )
        return 1


class LineChannel:
    name = "line"

    def queue(self, recipients: Sequence[Recipient], message: Message) -> int:
        return self.queue_each([(recipient, message) for recipient in recipients])

    def queue_each(self, items: Sequence[tuple[Recipient, Message]]) -> int:
        """Each recipient their own message; one query finds all their links."""
        items = [(r, m) for r, m in items if m.kind in LINE_KINDS and r.user_id is not None]
        if not items:
            return 0
        # Uses index: the one-to-one on user.
        links = {
            link.user_id: link
            for link in LineLink.objects.filter(user_id__in={r.user_id for r, _m in items})
        }
        now = clock.now()
        deliveries = LineDelivery.objects.bulk_create(
            LineDelivery(
                municipality_id=links[recipient.user_id].municipality_id,
                link=links[recipient.user_id],
                kind=message.kind,
                text=line_text(message),
                created_at=now,
                # The task tries at once; the minute job only if that attempt never happened.
                next_attempt_at=now + FIRST_RETRY,
            )
            for recipient, message in items
            if recipient.user_id in links
        )
        ids = [delivery.pk for delivery in deliveries]
        for pk in ids:
            transaction.on_commit(lambda pk=pk: send_line.enqueue(delivery_id=pk))
        return len(ids)


def line_text(message: Message) -> str:
    """The subject, the text and the link, as LINE shows it (plain text, within its limit)."""
    tail = f"\n\n{message.link}" if message.link else ""
    head = f"【{message.subject}】\n\n"
    room = TEXT_LIMIT - len(head) - len(tail)
    # The e-mail's footer (a rule, then the sender and "送信専用") is not for a chat.
    text = message.text.split(FOOTER_RULE, 1)[0].strip()
    if len(text) > room:
        text = text[: room - 1] + "…"
    return head + text + tail


CHANNELS: tuple[Channel, ...] = (EmailChannel(), LineChannel())


def message_queue(*, recipients: Iterable[Recipient], message: Message) -> None:
    """Hand ``message`` to every channel; each sends after commit to those who use it."""
    recipients = list(recipients)
    for channel in CHANNELS:
        channel.queue(recipients, message)


def mypage_link(context: dict) -> str:
    slug = context.get("municipality_slug")
    return f"{settings.YOYAKU_SITE_URL}/{slug}/mypage/" if slug else ""


def message_from_template(
    *, template: str, context: dict, subject: str, text: str, html: str | None = None
) -> Message:
    return Message(
        kind=kind_of(template),
        subject=subject,
        text=text,
        link=mypage_link(context),
        html=html,
    )


def recipient_from(to: Sequence[str], context: dict) -> Recipient:
    user_id = context.get("recipient_user_id")
    return Recipient(emails=tuple(to), user_id=user_id if isinstance(user_id, int) else None)
