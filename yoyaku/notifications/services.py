"""E-mail: queued after the surrounding transaction commits, sent by the background worker."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction


def email_send_now(*, to: list[str], subject: str, body: str, html: str | None = None) -> int:
    message = EmailMultiAlternatives(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=to
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message.send()


def email_queue(*, to: list[str], subject: str, body: str, html: str | None = None) -> None:
    """Send after commit: a rolled-back change never mails anyone."""
    from yoyaku.notifications.tasks import send_email

    transaction.on_commit(
        lambda: send_email.enqueue(to=list(to), subject=subject, body=body, html=html)
    )
