from __future__ import annotations

from django_tasks import task

from yoyaku.reservations import booking, opening


@task()
def reservations_daily() -> int:
    """Reminders 3 days before the use date; fair windows whose task was lost are served."""
    opening.openings_process_due()
    return booking.reservation_reminders()


@task()
def first_minute_process(opening_id: int) -> str:
    """Serve a fair window's tickets at its end (enqueued with ``run_after``); once, whoever
    comes first of this task and the waiting pages (see ``reservations.opening``)."""
    return opening.opening_process(opening_id=opening_id).state
