"""Background work: thin tasks that take JSON-safe values and call a service."""

from __future__ import annotations

from django_tasks import task

from yoyaku.notifications import line_services
from yoyaku.notifications.delivery import email_send_now


@task()
def send_email(*, to: list[str], subject: str, body: str, html: str | None = None) -> int:
    return email_send_now(to=to, subject=subject, body=body, html=html)


@task()
def send_line(*, delivery_id: int) -> str:
    """The first attempt, right after commit; later ones come from ``line_minute``."""
    return line_services.line_deliver(delivery_id=delivery_id)


@task()
def send_line_reply(*, municipality_slug: str, reply_token: str, text: str) -> int:
    return line_services.line_reply_send(
        municipality_slug=municipality_slug, reply_token=reply_token, text=text
    )


@task()
def line_minute() -> int:
    """LINE pushes that were rate limited, met a LINE error or no answer: tried again once
    their wait is over; link codes long expired are deleted."""
    line_services.line_codes_forget()
    return line_services.line_deliver_due()
