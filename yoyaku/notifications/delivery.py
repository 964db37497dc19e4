"""Handing a rendered e-mail to the mail backend (the worker's side of sending)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection


@dataclass(frozen=True)
class Mail:
    """A rendered e-mail."""

    to: list[str]
    subject: str
    body: str
    html: str | None = None
    # For the recipient's other channels (LINE): the template, the account and my page.
    template: str = ""
    recipient_user_id: int | None = None
    link: str = ""

    def message(self, connection=None) -> EmailMultiAlternatives:
        message = EmailMultiAlternatives(
            subject=self.subject,
            body=self.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=self.to,
            connection=connection,
        )
        if self.html:
            message.attach_alternative(self.html, "text/html")
        return message


def email_send_now(*, to: list[str], subject: str, body: str, html: str | None = None) -> int:
    message = EmailMultiAlternatives(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=to
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message.send()


def email_send_many(mails: Sequence[Mail]) -> int:
    """Send many mails through one connection (one SMTP session, not one per mail); returns
    how many were sent."""
    if not mails:
        return 0
    connection = get_connection()
    return connection.send_messages([mail.message(connection) for mail in mails]) or 0
