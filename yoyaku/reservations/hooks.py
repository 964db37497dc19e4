"""What higher apps tell the reservations app: small registries filled in ``AppConfig.ready``.

Reservations sit below the lottery and never import it. The lottery registers

* a provider of *hold periods*: the unit-dates a round holds back from first-come (抽) and
  until when, which both the availability pages and the booking rules refuse; and
* a *release handler*: a cancelled lottery win keeps its capacity held until the round's
  release time instead of freeing it at once.

Handlers run inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from yoyaku.reservations import capacity
from yoyaku.reservations.models import Reservation

# (unit id, first date, last date, held until): a round holds its unit-dates from its creation
# until its first-come opening time. Plain values without "now", so they can be cached.
HoldPeriod = tuple[int, dt.date, dt.date, dt.datetime]
HoldPeriods = Callable[..., list[HoldPeriod]]
ReleaseHandler = Callable[[Reservation], bool]

_hold_periods: list[HoldPeriods] = []
_release_handlers: list[ReleaseHandler] = []


def register_hold_periods(provider: HoldPeriods) -> HoldPeriods:
    """``provider(*, unit_ids, start, end)`` returns the hold periods overlapping [start, end]
    of the given units (those that ended too: which still hold is decided at reading time)."""
    if provider not in _hold_periods:
        _hold_periods.append(provider)
    return provider


def register_release_handler(handler: ReleaseHandler) -> ReleaseHandler:
    """``handler(reservation)`` returns True when it took care of the capacity itself."""
    if handler not in _release_handlers:
        _release_handlers.append(handler)
    return handler


def hold_periods(*, unit_ids: Iterable[int], start: dt.date, end: dt.date) -> list[HoldPeriod]:
    ids = set(unit_ids)
    periods: list[HoldPeriod] = []
    for provider in _hold_periods:
        periods.extend(provider(unit_ids=ids, start=start, end=end))
    return periods


def held_at(
    periods: Iterable[HoldPeriod], *, start: dt.date, end: dt.date, at: dt.datetime
) -> set[tuple[int, dt.date]]:
    """The (unit id, date) pairs of [start, end] that the periods hold back at ``at``."""
    held: set[tuple[int, dt.date]] = set()
    for unit_id, first, last, until in periods:
        if until <= at:
            continue
        day = max(first, start)
        while day <= min(last, end):
            held.add((unit_id, day))
            day += dt.timedelta(days=1)
    return held


def held_dates(
    *, unit_ids: Iterable[int], start: dt.date, end: dt.date, at: dt.datetime
) -> set[tuple[int, dt.date]]:
    """The (unit id, date) pairs of [start, end] held back from first-come (抽) at ``at``."""
    ids = set(unit_ids)
    periods = hold_periods(unit_ids=ids, start=start, end=end)
    return {pair for pair in held_at(periods, start=start, end=end, at=at) if pair[0] in ids}


def release_capacity(reservation: Reservation) -> bool:
    """Give back a cancelled reservation's capacity, unless a handler holds it; True when a
    handler held it."""
    for handler in _release_handlers:
        if handler(reservation):
            return True
    capacity.release(reservation)
    return False


# — money: the payments app keeps the ledger of every reservation —

MoneyHandler = Callable[..., None]
BookingCheck = Callable[..., list]

_money_handlers: list[MoneyHandler] = []
_booking_checks: list[BookingCheck] = []


def register_money_handler(handler: MoneyHandler) -> MoneyHandler:
    """``handler(reservation, *, verb, by)`` runs inside the transaction of every change of a
    reservation's state or fee (booked, approved, paid, changed, cancelled …)."""
    if handler not in _money_handlers:
        _money_handlers.append(handler)
    return handler


def money_changed(reservation: Reservation, *, verb: str, by=None) -> None:
    for handler in _money_handlers:
        handler(reservation, verb=verb, by=by)


def register_booking_check(check: BookingCheck) -> BookingCheck:
    """``check(*, registrant)`` returns DomainErrors that refuse a new booking (unpaid fees)."""
    if check not in _booking_checks:
        _booking_checks.append(check)
    return check


def booking_refusals(*, registrant) -> list:
    problems: list = []
    for check in _booking_checks:
        problems.extend(check(registrant=registrant))
    return problems
