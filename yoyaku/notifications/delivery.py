"""Handing a rendered e-mail to the mail backend (the worker's side of sending)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives


def email_send_now(*, to: list[str], subject: str, body: str, html: str | None = None) -> int:
    message = EmailMultiAlternatives(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=to
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message.send()
