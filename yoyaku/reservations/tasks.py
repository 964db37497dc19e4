from __future__ import annotations

from django_tasks import task

from yoyaku.reservations import booking, entry_codes


@task()
def reservations_daily() -> int:
    """Reminders 3 days before the use date; entry codes of facilities that turned them on or
    off."""
    entry_codes.entry_codes_catch_up()
    return booking.reservation_reminders()


@task()
def entry_code_send(entry_code_id: int) -> str:
    """Tell the smart lock about a code issued or revoked (enqueued after commit)."""
    return entry_codes.entry_code_send(entry_code_id=entry_code_id)
