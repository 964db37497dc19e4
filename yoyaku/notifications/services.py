"""E-mail: queued after the surrounding transaction commits, sent by the background worker."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

from yoyaku.core.models import Municipality, User
from yoyaku.notifications import channels, delivery, line_services
from yoyaku.notifications.delivery import Mail
from yoyaku.notifications.tasks import send_email, send_line_reply


def email_queue(*, to: list[str], subject: str, body: str, html: str | None = None) -> None:
    """Send after commit: a rolled-back change never mails anyone."""
    transaction.on_commit(
        lambda: send_email.enqueue(to=list(to), subject=subject, body=body, html=html)
    )


# A URL ends at white space, a non-ASCII character or anything that could close an attribute.
_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]+")


def _own_url(url: str) -> bool:
    """Only links to this site are made clickable; any other address stays plain text."""
    site = settings.YOYAKU_SITE_URL.rstrip("/")
    return url == site or url.startswith(site + "/")


def _html_line(line: str) -> SafeString:
    parts: list[str | SafeString] = []
    position = 0
    for match in _URL.finditer(line):
        url = match.group(0)
        if not _own_url(url):
            continue
        parts.append(escape(line[position : match.start()]))
        parts.append(format_html('<a href="{}">{}</a>', url, url))
        position = match.end()
    parts.append(escape(line[position:]))
    return format_html_join("", "{}", ((part,) for part in parts))


def _html_paragraph(paragraph: str) -> SafeString:
    lines = ((_html_line(line),) for line in paragraph.split("\n"))
    return format_html_join(SafeString("<br>\n"), "{}", lines)


def email_html_body(text: str) -> SafeString:
    """The text part as HTML paragraphs: every character escaped, only our own URLs linked.

    The text comes from a template rendered with autoescape off (it is text/plain), so it is
    escaped here again from scratch, whatever it is marked as.
    """
    text = str.__str__(text).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = [p for p in re.split(r"\n{2,}", text.strip("\n")) if p.strip()]
    return format_html_join("\n", "<p>{}</p>", ((_html_paragraph(p),) for p in paragraphs))


# Languages with mail templates of their own, in notifications/email/<language>/. Any other
# language (English) gets the Japanese mail: the municipality's notices are Japanese.
MAIL_LANGUAGES = ("ja-easy",)


def mail_template_names(*, template: str, language: str) -> tuple[list[str], list[str]]:
    """The subject's and the body's template names to try, the reader's language first."""
    names = [template]
    if language in MAIL_LANGUAGES:
        names.insert(0, f"{language}/{template}")
    return (
        [f"notifications/email/{name}_subject.txt" for name in names],
        [f"notifications/email/{name}.txt" for name in names],
    )


def _page_language() -> str:
    """The language of the page the mail is sent from (a registration form filled in
    やさしい日本語), if mails exist in it; outside a request, the default."""
    active = translation.get_language() or ""
    return active if active in MAIL_LANGUAGES else settings.LANGUAGE_CODE


def recipient_language(*, to: Sequence[str], context: dict) -> str:
    """The language of the recipient's mail: the one they chose (``User.language``) if mails
    exist in it, else Japanese. The recipient is the user of ``context["recipient_user_id"]``,
    else the one registrant of the municipality with that address (if not several). Who has
    chosen nothing yet (the default, e.g. right after registering) or cannot be told gets the
    language of the page the mail is sent from, when mails exist in it."""
    user_id = channels.recipient_from(to, context).user_id
    known = context.get("recipient_language")
    if isinstance(known, str) and user_id is not None:  # the caller had the account at hand
        if known in ("", settings.LANGUAGE_CODE):
            return _page_language()
        return known if known in MAIL_LANGUAGES else settings.LANGUAGE_CODE
    users = User.objects.filter(kind=User.Kind.REGISTRANT)
    if user_id is not None:
        users = users.filter(pk=user_id)
    elif to and context.get("municipality_slug"):
        # Uses index: none on e-mail; a municipality has few registrants per address.
        users = users.filter(municipality__slug=context["municipality_slug"], email__in=to)
    else:
        return _page_language()
    languages = set(users.values_list("language", flat=True)[:2])
    language = languages.pop() if len(languages) == 1 else ""
    if language in ("", settings.LANGUAGE_CODE):
        return _page_language()
    return language if language in MAIL_LANGUAGES else settings.LANGUAGE_CODE


def email_render(*, template: str, context: dict, language: str = "ja") -> tuple[str, str, str]:
    """(subject, text, html) of ``notifications/email/<template>``, in Japanese unless a caller
    asks for another language: "ja-easy" renders ``notifications/email/ja-easy/<template>``
    where it exists (plain text for every citizen mail), the Japanese template otherwise."""
    subject_names, text_names = mail_template_names(template=template, language=language)
    with translation.override(language):
        subject = " ".join(render_to_string(subject_names, context).split())
        text = render_to_string(text_names, context)
        # One HTML layout for every mail: the text, escaped, with line breaks and our links.
        html = render_to_string(
            "notifications/email/_layout.html",
            {
                "system_name": context.get("system_name", ""),
                "subject": subject,
                "body": email_html_body(text),
            },
        )
    return subject, text, html


def email_template_render(*, to: list[str], template: str, context: dict) -> Mail:
    """A mail rendered for sending now, by a task that sends many (``email_send_many``,
    which also hands it to the recipient's other channels)."""
    language = recipient_language(to=to, context=context)
    subject, text, html = email_render(template=template, context=context, language=language)
    return Mail(
        to=list(to),
        subject=subject,
        body=text,
        html=html,
        template=template,
        recipient_user_id=channels.recipient_from(to, context).user_id,
        link=channels.mypage_link(context),
    )


def email_template_queue(*, to: list[str], template: str, context: dict) -> None:
    """Render now (the data is what this transaction sees) and send after commit: by e-mail,
    and by each other channel the recipient (``context["recipient_user_id"]``) has switched
    on, if the template's kind goes there (``channels.TEMPLATE_KINDS``)."""
    language = recipient_language(to=to, context=context)
    subject, text, html = email_render(template=template, context=context, language=language)
    channels.message_queue(
        recipients=[channels.recipient_from(to, context)],
        message=channels.message_from_template(
            template=template, context=context, subject=subject, text=text, html=html
        ),
    )


def email_send_many(mails: Sequence[Mail]) -> int:
    """Send many rendered mails through one connection (``delivery.email_send_many``), and
    queue the same messages to LINE for those who linked it (one query for all the links)."""
    sent = delivery.email_send_many(mails)
    channels.LineChannel().queue_each(
        [
            (
                channels.Recipient(user_id=mail.recipient_user_id),
                channels.Message(
                    kind=channels.kind_of(mail.template),
                    subject=mail.subject,
                    text=mail.body,
                    link=mail.link,
                ),
            )
            for mail in mails
            if mail.template and mail.recipient_user_id is not None
        ]
    )
    return sent


def line_webhook(*, municipality: Municipality, body: bytes, signature: str) -> int:
    """LINE's webhook: verified and acted on (``line_services.line_webhook_receive``); the
    answers are sent after commit. Raises ``line_services.SignatureRefused``."""
    replies = line_services.line_webhook_receive(
        municipality=municipality, body=body, signature=signature
    )
    slug = municipality.slug
    for reply in replies:
        transaction.on_commit(
            lambda reply=reply: send_line_reply.enqueue(
                municipality_slug=slug, reply_token=reply.reply_token, text=reply.text
            )
        )
    return len(replies)
