from __future__ import annotations

from django_tasks import task

from yoyaku.reservations import booking, entry_codes, opening


@task()
def reservations_daily() -> int:
    """Reminders 3 days before the use date; fair windows whose task was lost are served;
    entry codes of facilities that turned them on or off."""
    opening.openings_process_due()
    entry_codes.entry_codes_catch_up()
    return booking.reservation_reminders()


@task()
def first_minute_process(opening_id: int) -> str:
    """Serve a fair window's tickets at its end (enqueued with ``run_after``); once, whoever
    comes first of this task and the waiting pages (see ``reservations.opening``)."""
    return opening.opening_process(opening_id=opening_id).state


@task()
def entry_code_send(entry_code_id: int) -> str:
    """Tell the smart lock about a code issued or revoked (enqueued after commit)."""
    return entry_codes.entry_code_send(entry_code_id=entry_code_id)
