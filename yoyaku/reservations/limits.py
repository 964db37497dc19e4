"""Per-registrant limits: the reservations a registrant may hold at a facility at once, and
the reduced nights a year a reduction category allows.

Both are counted from the registrant's existing reservations, so two simultaneous requests of
one registrant would each count without the other's new row and both pass. Every write judged
against these limits (a booking, a change) therefore calls :func:`lock_registrant` first in its
transaction: a second request of the same registrant waits until the first has committed, and
then counts its row. Requests of different registrants do not wait for each other.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from yoyaku.core.errors import DomainError
from yoyaku.facilities.models import Facility, ReductionCategory
from yoyaku.registrants.models import Registrant
from yoyaku.reservations import fees
from yoyaku.reservations.models import Reservation


def lock_registrant(registrant_id: int) -> None:
    """Hold the registrant's row (SELECT ... FOR UPDATE) until the transaction ends.

    Call it inside the transaction, before anything is counted. On SQLite, which has no row
    locks, Django leaves out FOR UPDATE and the call is a plain read (SQLite lets one writer
    at a time anyway).
    """
    list(Registrant.objects.select_for_update().filter(pk=registrant_id).values_list("pk"))


def active_reservations_problem(
    *,
    registrant: Registrant,
    facility: Facility,
    today: dt.date,
    exclude: Reservation | None = None,
) -> DomainError | None:
    """``too_many_reservations`` when the registrant already holds the facility's maximum of
    upcoming reservations (``exclude``: the reservation being changed does not count).

    A bundle (予約のまとまり: a season of Tuesdays, a whole building) counts as one, however
    many of its items are upcoming: the limit is about how many separate requests one person
    holds, and a series is one request (``reservations.bundles``)."""
    active = Reservation.objects.filter(
        registrant=registrant,
        unit__facility=facility,
        status__in=Reservation.HOLDS_CAPACITY,
        use_date__gte=today,
    )
    if exclude is not None:
        active = active.exclude(pk=exclude.pk)
    # One query: the reservations outside any bundle, plus the distinct bundles.
    counted = active.aggregate(
        n=Count("pk", filter=Q(bundle__isnull=True)) + Count("bundle", distinct=True)
    )["n"]
    if counted >= facility.max_active_reservations:
        return DomainError("too_many_reservations", max=facility.max_active_reservations)
    return None


def reduced_nights_available(
    *,
    registrant: Registrant,
    category: ReductionCategory | None,
    use_date: dt.date,
    nights: int,
    exclude: Reservation | None = None,
) -> dict[int, int] | None:
    """Reduced nights still available per fiscal year touched by the stay (a stay over
    31 March uses each year's own allowance); None when there is no yearly limit."""
    if category is None or category.annual_night_limit is None:
        return None
    return fees.reduced_nights_left(
        registrant=registrant,
        category=category,
        use_date=use_date,
        nights=nights,
        exclude_reservation_id=exclude.pk if exclude else None,
    )
