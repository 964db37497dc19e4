"""What higher apps tell the reservations app: small registries filled in ``AppConfig.ready``.

Reservations sit below the lottery and never import it. The lottery registers

* a provider of *held dates*: the (unit, date) pairs a round holds back from first-come (抽),
  which both the availability pages and the booking rules refuse; and
* a *release handler*: a cancelled lottery win keeps its capacity held until the round's
  release time instead of freeing it at once.

Handlers run inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from yoyaku.reservations import capacity
from yoyaku.reservations.models import Reservation

HeldDates = Callable[..., set[tuple[int, dt.date]]]
ReleaseHandler = Callable[[Reservation], bool]

_held_dates: list[HeldDates] = []
_release_handlers: list[ReleaseHandler] = []


def register_held_dates(provider: HeldDates) -> HeldDates:
    """``provider(*, unit_ids, start, end, at)`` returns the held (unit id, date) pairs."""
    if provider not in _held_dates:
        _held_dates.append(provider)
    return provider


def register_release_handler(handler: ReleaseHandler) -> ReleaseHandler:
    """``handler(reservation)`` returns True when it took care of the capacity itself."""
    if handler not in _release_handlers:
        _release_handlers.append(handler)
    return handler


def held_dates(
    *, unit_ids: Iterable[int], start: dt.date, end: dt.date, at: dt.datetime
) -> set[tuple[int, dt.date]]:
    ids = set(unit_ids)
    held: set[tuple[int, dt.date]] = set()
    for provider in _held_dates:
        held |= provider(unit_ids=ids, start=start, end=end, at=at)
    return held


def release_capacity(reservation: Reservation) -> None:
    """Give back a cancelled reservation's capacity, unless a handler holds it."""
    for handler in _release_handlers:
        if handler(reservation):
            return
    capacity.release(reservation)


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
