"""入室コード (entry codes): a 6-digit code per confirmed reservation that opens the facility's
smart lock during the use, for facilities that have such locks (``Facility.entry_codes``).

* **When**: a reservation has a live code exactly while it is 予約確定 at such a facility. The
  code follows the state: :func:`entry_code_sync` runs inside the transaction of every change
  of a reservation (it is a ``hooks.money_changed`` handler: booked, approved, paid, lottery
  win confirmed, changed, cancelled, expired, recalculated) and is called by the services that
  do not touch money (rejected, no-show); a daily catch-up covers a facility that turned
  codes on or off (before the reminders of the same job, which print the code). Nothing is
  issued while the reservation is 審査中 or 支払待ち: a code for an unpaid booking would open
  the door.
* **Window**: from :data:`EARLY_ENTRY` before the use starts to its end — the first slot's
  start to the last slot's end on the use date; for a stay, check-in (:data:`CHECK_IN`) on the
  first night to check-out (:data:`CHECK_OUT`) the morning after the last night. These are the
  only place the figures live. A change that moves the window (dates, nights, slots) revokes
  the code and issues a new one; a change that does not (the party) keeps it.
* **Codes** come from :mod:`secrets`, never from the reservation number, and are unique among
  the live codes of the facility whose windows overlap: issuing takes the facility's row lock,
  so two transactions cannot pick the same code at once.
* **The lock** (``reservations.locks``) learns of each new or revoked code after commit, from a
  task: a rolled-back booking never reaches a door.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.utils.module_loading import import_string

from yoyaku.core import clock
from yoyaku.facilities.models import Facility
from yoyaku.reservations import locks
from yoyaku.reservations.models import EntryCode, Reservation

# The window of a code: the use, opened a little early so people can get ready.
EARLY_ENTRY = dt.timedelta(minutes=15)
CHECK_IN = dt.time(15, 0)  # a stay's use starts at check-in on the first night
CHECK_OUT = dt.time(10, 0)  # … and ends at check-out the morning after the last night
CODE_DIGITS = 6

SEND_TASK = "yoyaku.reservations.tasks.entry_code_send"


def entry_code_window(reservation: Reservation) -> tuple[dt.datetime, dt.datetime]:
    """(valid from, valid until) of the reservation's code: both ends accepted."""
    if reservation.unit.is_lodging:
        start = clock.at(reservation.use_date, CHECK_IN)
        end = clock.at(reservation.last_night + dt.timedelta(days=1), CHECK_OUT)
    else:
        slots = list(reservation.slots.all())
        day = clock.at(reservation.use_date)
        start = day + dt.timedelta(minutes=min((s.start_minute for s in slots), default=0))
        end = day + dt.timedelta(minutes=max((s.end_minute for s in slots), default=24 * 60))
    return start - EARLY_ENTRY, end


def wants_code(reservation: Reservation) -> bool:
    """Whether the reservation should have a live code now (state and facility setting)."""
    return (
        reservation.status == Reservation.Status.CONFIRMED and reservation.unit.facility.entry_codes
    )


def _live(reservation: Reservation) -> EntryCode | None:
    return EntryCode.objects.filter(reservation=reservation, revoked_at__isnull=True).first()


def entry_code_for(reservation: Reservation) -> EntryCode | None:
    """The code to show the registrant and staff: only for a 予約確定 reservation."""
    if reservation.status != Reservation.Status.CONFIRMED:
        return None
    return _live(reservation)


def mail_context(code: EntryCode | None) -> dict[str, str]:
    """The entry code lines of the reminder e-mail (nothing without a code)."""
    if code is None:
        return {}
    since, until = clock.local(code.valid_from), clock.local(code.valid_until)
    return {
        "entry_code": code.code,
        "entry_code_from": f"{since:%Y-%m-%d %H:%M}",
        "entry_code_until": f"{until:%Y-%m-%d %H:%M}",
    }


def _send_after_commit(code: EntryCode) -> None:
    # By name, as the refunds do: the task module imports the services.
    transaction.on_commit(lambda pk=code.pk: import_string(SEND_TASK).enqueue(pk))


def _revoke(code: EntryCode) -> None:
    code.revoked_at = clock.now()
    code.save(update_fields=["revoked_at"])
    _send_after_commit(code)


def _new_code(taken: set[str]) -> str:
    while True:  # at most a few hundred of the million codes overlap one window
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if code not in taken:
            return code


def _issue(reservation: Reservation, window: tuple[dt.datetime, dt.datetime]) -> EntryCode:
    facility_id = reservation.unit.facility_id
    start, end = window
    # Serialises issuing per facility (NO KEY UPDATE: rows that merely refer to the facility
    # are not held up), so the codes read below include every competitor's.
    list(
        Facility.objects.select_for_update(no_key=True)
        .filter(pk=facility_id)
        .values_list("pk", flat=True)
    )
    taken = set(
        EntryCode.objects.filter(
            facility_id=facility_id,
            revoked_at__isnull=True,
            valid_from__lte=end,
            valid_until__gte=start,
        ).values_list("code", flat=True)
    )
    code = EntryCode.objects.create(
        reservation=reservation,
        facility_id=facility_id,
        code=_new_code(taken),
        valid_from=start,
        valid_until=end,
        created_at=clock.now(),
    )
    _send_after_commit(code)
    return code


def entry_code_sync(reservation: Reservation, *, verb: str = "", by=None) -> EntryCode | None:
    """Bring the reservation's code in line with its state and times, inside the caller's
    transaction: issue one when it became 予約確定, replace it when its window moved, revoke it
    when the reservation left 予約確定 (cancelled, expired, rejected, no-show) or the facility
    stopped using codes. Returns the live code, if any. The lock hears of it after commit.

    The signature is a ``hooks.money_changed`` handler's: ``verb`` "book" means the row is
    new (no code to look up: the booking path stays one query shorter); ``by`` is not used.
    """
    live = None if verb == "book" else _live(reservation)
    if reservation.status == Reservation.Status.USED:
        # Marked used on the day (a stay: at check-in): the code runs out with its window,
        # also when staff recalculate the fee meanwhile.
        return live
    if not wants_code(reservation):
        if live is not None:
            _revoke(live)
        return None
    window = entry_code_window(reservation)
    if live is not None:
        if (live.valid_from, live.valid_until) == window:
            return live
        _revoke(live)
    return _issue(reservation, window)


def entry_codes_catch_up() -> int:
    """Daily: the confirmed reservations of a facility that turned codes on get theirs, and
    the codes of one that turned them off are revoked; windows already over are left alone.
    Returns the number of reservations changed."""
    now = clock.now()
    # A stay that began up to a month ago may still be running.
    since = clock.local(now).date() - dt.timedelta(days=31)
    missing = Reservation.objects.filter(
        status=Reservation.Status.CONFIRMED, use_date__gte=since, unit__facility__entry_codes=True
    ).exclude(pk__in=EntryCode.objects.filter(revoked_at__isnull=True).values("reservation_id"))
    stale = EntryCode.objects.filter(
        revoked_at__isnull=True, facility__entry_codes=False, valid_until__gte=now
    )
    ids = {*missing.values_list("pk", flat=True), *stale.values_list("reservation_id", flat=True)}
    count = 0
    for pk in sorted(ids):
        with transaction.atomic():
            reservation = (
                Reservation.objects.select_for_update(of=("self",))
                .select_related("unit__facility")
                .get(pk=pk)
            )
            if entry_code_window(reservation)[1] < now:
                continue
            entry_code_sync(reservation)
        count += 1
    return count


def entry_code_send(*, entry_code_id: int) -> str:
    """Tell the lock about a new or revoked code (the task after commit); idempotent."""
    code = EntryCode.objects.filter(pk=entry_code_id).first()
    if code is None:
        return "gone"
    lock = locks.adapter()
    if code.revoked_at is not None:
        lock.revoke(code)
        return "revoked"
    lock.push(code)
    return "pushed"
