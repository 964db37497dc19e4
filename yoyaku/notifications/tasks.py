"""Background work: thin tasks that take JSON-safe values and call a service."""

from __future__ import annotations

from django_tasks import task

from yoyaku.notifications.delivery import email_send_now


@task()
def send_email(*, to: list[str], subject: str, body: str, html: str | None = None) -> int:
    return email_send_now(to=to, subject=subject, body=body, html=html)
