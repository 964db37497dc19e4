"""E-mail: queued after the surrounding transaction commits, sent by the background worker."""

from __future__ import annotations

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from yoyaku.notifications.tasks import send_email


def email_queue(*, to: list[str], subject: str, body: str, html: str | None = None) -> None:
    """Send after commit: a rolled-back change never mails anyone."""
    transaction.on_commit(
        lambda: send_email.enqueue(to=list(to), subject=subject, body=body, html=html)
    )


def email_render(*, template: str, context: dict) -> tuple[str, str, str]:
    """(subject, text, html) of ``notifications/email/<template>``, always in Japanese."""
    with translation.override("ja"):
        subject = " ".join(
            render_to_string(f"notifications/email/{template}_subject.txt", context).split()
        )
        text = render_to_string(f"notifications/email/{template}.txt", context)
        # One HTML layout for every mail: the text, with line breaks and links.
        html = render_to_string(
            "notifications/email/_layout.html", {**context, "subject": subject, "text": text}
        )
    return subject, text, html


def email_template_queue(*, to: list[str], template: str, context: dict) -> None:
    """Render now (the data is what this transaction sees) and send after commit."""
    subject, text, html = email_render(template=template, context=context)
    email_queue(to=to, subject=subject, body=text, html=html)
