"""LINE通知: linking an account with a one-time code, the webhook's events, unlinking, and the
worker's side of pushing a message (tried again on 429 / 5xx, given up on any other 4xx).

Logs carry ids and HTTP statuses only: never a LINE userId, a code or a message's text.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from yoyaku.core import clock
from yoyaku.core.models import AuditAction, AuditVia, Municipality, User
from yoyaku.core.services import audit_record
from yoyaku.notifications import line
from yoyaku.notifications.models import LineDelivery, LineLink, LineLinkCode

log = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a screen, typed
CODE_LENGTH = 8
CODE_VALID = dt.timedelta(minutes=10)
# Wrong codes one LINE user may send in 10 minutes before further codes are ignored.
WRONG_CODES_ALLOWED = 10
# The waits before the 2nd, 3rd, … attempt; after the last, the delivery is given up.
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=2),
    dt.timedelta(minutes=4),
    dt.timedelta(minutes=8),
    dt.timedelta(minutes=16),
    dt.timedelta(minutes=32),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
S = LineDelivery.Status
# The delivery's lifecycle: verb → (sources, target).
DELIVERY_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "sent": (frozenset({S.PENDING}), S.SENT),
    "fail": (frozenset({S.PENDING}), S.FAILED),
    "cancel": (frozenset({S.PENDING}), S.CANCELLED),
}


# --- linking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineStatus:
    """What my page shows."""

    available: bool  # the municipality has a LINE official account set up
    linked: bool
    bot_id: str = ""
    code: str = ""
    code_expires_at: dt.datetime | None = None


def line_status(*, user: User, municipality: Municipality) -> LineStatus:
    channel = line.channel_for(municipality.slug)
    if channel is None:
        return LineStatus(available=False, linked=False)
    linked = LineLink.objects.filter(user=user, municipality=municipality).exists()
    code = None
    if not linked:
        code = (
            LineLinkCode.objects.filter(user=user, municipality=municipality, used_at__isnull=True)
            .filter(expires_at__gt=clock.now())
            .order_by("-created_at")
            .first()
        )
    return LineStatus(
        available=True,
        linked=linked,
        bot_id=channel.bot_id,
        code=code.code if code else "",
        code_expires_at=code.expires_at if code else None,
    )


@transaction.atomic
def line_link_code_issue(*, user: User, municipality: Municipality) -> LineLinkCode:
    """A new one-time code for my page; any code of the account still open is ended."""
    now = clock.now()
    User.objects.select_for_update().filter(pk=user.pk).first()
    LineLinkCode.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
    for _attempt in range(5):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            with transaction.atomic():
                return LineLinkCode.objects.create(
                    municipality=municipality,
                    user=user,
                    code=code,
                    created_at=now,
                    expires_at=now + CODE_VALID,
                )
        except IntegrityError:
            continue  # the same code is open for someone else: draw again
    raise RuntimeError("no free LINE link code")


@transaction.atomic
def line_unlink(
    *, user: User, municipality: Municipality, via: AuditVia = AuditVia.CITIZEN
) -> bool:
    """Stop LINE messages for the account: the link goes, with it LINE's userId; deliveries
    still waiting are cancelled. Returns whether there was a link."""
    link = LineLink.objects.select_for_update().filter(user=user).first()
    if link is None:
        return False
    _cancel_pending(link)
    link.delete()
    audit_record(
        action=AuditAction.LINE_UNLINK,
        actor=user,
        municipality=municipality,
        target=user,
        via=via,
    )
    return True


def line_forget(*, user: User) -> None:
    """The end of a registration: the link goes without an audit row of its own (the end
    has one). Messages queued with the end (its cancellations) still go out by e-mail."""
    LineLink.objects.filter(user=user).delete()


def _cancel_pending(link: LineLink) -> None:
    LineDelivery.objects.filter(link=link, status=S.PENDING).update(
        status=S.CANCELLED, text="", finished_at=clock.now()
    )


def normalized_code(text: str) -> str | None:
    """What the person typed as a code: full-width, lower case, spaces and hyphens forgiven."""
    text = unicodedata.normalize("NFKC", text).upper()
    text = re.sub(r"[\s\-ー]", "", text)
    if len(text) == CODE_LENGTH and all(c in CODE_ALPHABET for c in text):
        return text
    return None


class SignatureRefused(Exception):
    pass


@dataclass(frozen=True)
class Reply:
    """An answer to a webhook event: its single-use token and the text."""

    reply_token: str
    text: str


def line_webhook_receive(*, municipality: Municipality, body: bytes, signature: str) -> list[Reply]:
    """Check the signature, then act on each event; returns the answers to send.

    - a text message holding an open code of this municipality links the sender's LINE
      account to the account that issued the code (and says so);
    - "follow" answers with how to link; "unfollow" (the person blocked the account) unlinks.
    """
    channel = line.channel_for(municipality.slug)
    if (
        channel is None
        or not signature
        or not line.signature_valid(channel=channel, body=body, signature=signature)
    ):
        raise SignatureRefused
    try:
        payload = json.loads(body)
        events = payload.get("events", []) if isinstance(payload, dict) else []
    except ValueError:
        events = []
    replies: list[Reply] = []
    for event in events if isinstance(events, list) else []:
        if isinstance(event, dict) and (what := _event(municipality, event)):
            token = event.get("replyToken")
            if isinstance(token, str) and 0 < len(token) <= 256:
                replies.append(Reply(reply_token=token, text=_reply_text(what)))
    return replies


def _event(municipality: Municipality, event: dict) -> str | None:
    """What to answer ("follow", "linked", "wrong_code"), or None."""
    source = event.get("source") or {}
    line_user_id = source.get("userId") if isinstance(source, dict) else None
    if not isinstance(line_user_id, str) or not re.fullmatch(r"U[0-9a-f]{32}", line_user_id):
        return None
    kind = event.get("type")
    if kind == "unfollow":
        with transaction.atomic():
            links = LineLink.objects.select_for_update().filter(
                municipality=municipality, line_user_id=line_user_id
            )
            for link in links:
                line_unlink(user=link.user, municipality=municipality, via=AuditVia.WEBHOOK)
        return None  # blocked: nothing can be sent
    if kind == "follow":
        return "follow"
    message = event.get("message") or {}
    if kind != "message" or not isinstance(message, dict) or message.get("type") != "text":
        return None
    code = normalized_code(str(message.get("text", ""))[:40])
    if code is None:
        return None  # an ordinary message: left to the municipality's staff
    wrong_key = f"line-wrong:{municipality.pk}:{line_user_id}"
    if (cache.get(wrong_key) or 0) >= WRONG_CODES_ALLOWED:
        return None
    if _link_with_code(municipality, line_user_id, code):
        return "linked"
    cache.add(wrong_key, 0, int(CODE_VALID.total_seconds()))
    with contextlib.suppress(ValueError):  # expired between add and incr
        cache.incr(wrong_key)
    return "wrong_code"


@transaction.atomic
def _link_with_code(municipality: Municipality, line_user_id: str, code: str) -> bool:
    now = clock.now()
    found = (
        LineLinkCode.objects.select_for_update()
        .filter(municipality=municipality, code=code, used_at__isnull=True, expires_at__gt=now)
        .select_related("user")
        .first()
    )
    if found is None:
        return False
    found.used_at = now
    found.save(update_fields=["used_at"])
    LineLink.objects.update_or_create(
        user=found.user,
        defaults={"municipality": municipality, "line_user_id": line_user_id, "linked_at": now},
    )
    audit_record(
        action=AuditAction.LINE_LINK,
        actor=found.user,
        municipality=municipality,
        target=found.user,
        via=AuditVia.WEBHOOK,
    )
    return True


def _reply_text(what: str) -> str:
    with translation.override("ja"):
        if what == "linked":
            return _(
                "LINE通知の連携が完了しました。予約のリマインダー、抽選結果、お支払いのお願い、"
                "取消のお知らせなどをこのトークでもお送りします。解除はマイページからできます。"
            )
        if what == "wrong_code":
            return _(
                "連携コードが正しくないか、有効期限（10分）が切れています。"
                "マイページで新しいコードを発行して、もう一度送ってください。"
            )
        return _(
            "友だち追加ありがとうございます。予約のお知らせをLINEで受け取るには、"
            "予約システムのマイページで「LINE通知」の連携コードを発行し、このトークに送ってください。"
        )


def line_reply_send(*, municipality_slug: str, reply_token: str, text: str) -> int:
    channel = line.channel_for(municipality_slug)
    if channel is None:
        return 0
    answer = line.reply(channel=channel, reply_token=reply_token, text=text)
    if not answer.ok:
        # A reply token is good once and for a minute: not worth trying again.
        log.warning("LINE reply refused: status %s", answer.status)
    return answer.status


# --- delivering ----------------------------------------------------------------------------


def _move(delivery: LineDelivery, verb: str, **assign) -> None:
    sources, target = DELIVERY_TRANSITIONS[verb]
    if delivery.status not in sources:
        raise ValueError(f"LINE delivery {delivery.pk}: cannot {verb} from {delivery.status}")
    delivery.status = target
    delivery.text = ""  # the delivery is over: its text (personal data) is not kept
    delivery.finished_at = clock.now()
    delivery.next_attempt_at = None
    for name, value in assign.items():
        setattr(delivery, name, value)
    delivery.save(
        update_fields=["status", "text", "finished_at", "next_attempt_at", *assign.keys()]
    )


def line_deliver(*, delivery_id: int) -> str:
    """One attempt to push a pending delivery that is due. The HTTP call is made outside any
    transaction; the outcome is then written under a lock (another worker may have won)."""
    now = clock.now()
    delivery = (
        LineDelivery.objects.select_related("link", "municipality")
        .filter(pk=delivery_id, status=S.PENDING)
        .first()
    )
    if delivery is None:
        return "done"
    if delivery.attempts and delivery.next_attempt_at and delivery.next_attempt_at > now:
        return "not due"
    if delivery.link is None:  # unlinked since it was queued
        with transaction.atomic():
            locked = LineDelivery.objects.select_for_update().get(pk=delivery.pk)
            if locked.status == S.PENDING:
                _move(locked, "cancel")
        return S.CANCELLED
    channel = line.channel_for(delivery.municipality.slug)
    if channel is None:
        answer = line.Answer(status=0, body={"message": "LINE not configured"})
    else:
        answer = line.push(
            channel=channel,
            to=delivery.link.line_user_id,
            text=delivery.text,
            retry_key=str(delivery.retry_key),
        )
    with transaction.atomic():
        locked = LineDelivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status != S.PENDING:
            return locked.status
        locked.attempts += 1
        locked.http_status = answer.status or None
        # 409 with our retry key: LINE already accepted an earlier attempt of this push.
        if answer.ok or answer.status == 409:
            _move(locked, "sent", attempts=locked.attempts, http_status=locked.http_status)
        elif answer.transient and locked.attempts < MAX_ATTEMPTS:
            wait = BACKOFF[locked.attempts - 1]
            if answer.retry_after:
                wait = max(wait, dt.timedelta(seconds=answer.retry_after))
            locked.next_attempt_at = clock.now() + wait
            locked.error = answer.error
            locked.save(update_fields=["attempts", "http_status", "next_attempt_at", "error"])
        else:
            _move(
                locked,
                "fail",
                attempts=locked.attempts,
                http_status=locked.http_status,
                error=answer.error,
            )
        log.info(
            "LINE delivery %s: attempt %s, status %s -> %s",
            locked.pk,
            locked.attempts,
            answer.status,
            locked.status,
        )
        return locked.status


def line_deliver_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """The minute job: one more attempt for each pending delivery whose wait is over."""
    now = now or clock.now()
    due = list(
        LineDelivery.objects.filter(status=S.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        line_deliver(delivery_id=pk)
    return len(due)


def line_codes_forget(*, now: dt.datetime | None = None) -> int:
    """Link codes a day past their end are deleted (they only ever served 10 minutes)."""
    now = now or clock.now()
    deleted, _per_model = LineLinkCode.objects.filter(
        expires_at__lt=now - dt.timedelta(days=1)
    ).delete()
    return deleted
