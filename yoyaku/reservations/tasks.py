from __future__ import annotations

from django_tasks import task

from yoyaku.reservations import booking


@task()
def reservations_daily() -> int:
    """Reminders 3 days before the use date."""
    return booking.reservation_reminders()
