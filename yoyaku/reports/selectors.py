"""Reports for the council and the accounts: lottery demand, money, registrations,
cancellations and no-shows. Read-only; each runs a fixed number of queries whatever the
period (tested), and takes the facilities the staff member may see
(``core.permissions.staff_facilities``), so scoping stays in the one permissions module.

Utilisation is in ``reports.utilisation``; the audit log search in ``reports.audit``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from yoyaku.core import clock
from yoyaku.core.models import Municipality
from yoyaku.facilities.models import Facility, Slot, Unit
from yoyaku.lottery.models import LotteryApplication, LotteryChoice
from yoyaku.payments.ledger import CHARGED_STATES
from yoyaku.payments.models import LedgerEntry
from yoyaku.registrants.models import Registrant
from yoyaku.reports.utilisation import month_of
from yoyaku.reservations.capacity import basic_slots
from yoyaku.reservations.fees import FeeLine
from yoyaku.reservations.models import Reservation

K = LedgerEntry.Kind
R = Reservation.Status


def _month(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return clock.local(value).date().replace(day=1)
    return value.replace(day=1)


def _period(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 0:00, the day after end 0:00) in Japan time: the instants of those days."""
    return clock.at(start), clock.at(end + dt.timedelta(days=1))


# — lottery demand (抽選の申込状況) —


@dataclass
class Demand:
    unit: Unit
    date: dt.date
    applications: int  # applications naming this unit and date, at any rank
    first_choices: int  # … as their first choice
    capacity: int  # what can be won that day: basic slots, or rooms for lodging

    @property
    def odds(self) -> float | None:
        """倍率: applications ÷ capacity, to two decimals; None when nothing can be won."""
        if not self.capacity:
            return None
        return round(self.applications / self.capacity, 2)


def lottery_demand(*, facilities: QuerySet[Facility], start: dt.date, end: dt.date) -> list[Demand]:
    """Per unit and date of use in [start, end]: the applications of every lottery round
    that asked for it (withdrawn ones left out). Three queries."""
    rows = (
        LotteryChoice.objects.filter(
            unit__facility__in=facilities, use_date__gte=start, use_date__lte=end
        )
        .exclude(application__status=LotteryApplication.Status.WITHDRAWN)
        .values("unit_id", "use_date")
        .annotate(
            applications=Count("application", distinct=True),
            first_choices=Count("application", distinct=True, filter=Q(rank=1)),
        )
    )
    counts = {(r["unit_id"], r["use_date"]): r for r in rows}
    units = {
        u.pk: u
        for u in Unit.objects.filter(pk__in={unit_id for unit_id, _day in counts})
        .select_related("facility", "slot_schedule")
        .prefetch_related(Prefetch("slot_schedule__slots", queryset=Slot.objects.all()))
    }
    result = []
    for (unit_id, day), row in counts.items():
        unit = units[unit_id]
        capacity = (unit.room_count or 0) if unit.is_lodging else len(basic_slots(unit))
        result.append(Demand(unit, day, row["applications"], row["first_choices"], capacity))
    result.sort(key=lambda d: (d.date, d.unit.facility.order, d.unit.facility_id, d.unit.order))
    return result


def demand_per_date(demand: list[Demand]) -> list[tuple[dt.date, int]]:
    """Applications per date of use, all units together (the chart)."""
    totals: dict[dt.date, int] = defaultdict(int)
    for row in demand:
        totals[row.date] += row.applications
    return sorted(totals.items())


# — money (使用料・返金・減免) —


@dataclass
class Money:
    facility: Facility
    month: dt.date
    charged: int = 0  # 調定: fees, their recalculation and cancellation fees, net
    received: int = 0  # 収入: payments taken (online and at the counter)
    refunded: int = 0  # 返金: money given back
    adjusted: int = 0  # 調整 entries (signed as in the ledger)
    reductions: int = 0  # 減免: yen taken off the fees of reservations used in the month
    reduced_count: int = 0

    @property
    def net(self) -> int:
        """What stayed with the municipality: received less refunded."""
        return self.received - self.refunded


def money(*, facilities: QuerySet[Facility], start: dt.date, end: dt.date) -> list[Money]:
    """Per facility and month. Fees, payments and refunds from the ledger by the month the
    entry was written (Japan time); 減免 from the stored fee breakdown of reservations that
    were charged (to be paid, paid, used or no-show) by the month of use. Three queries."""
    since, until = _period(start, end)
    facility_list = list(facilities.order_by("order", "id"))
    by_id = {f.pk: f for f in facility_list}
    rows: dict[tuple[int, dt.date], Money] = {}

    def row(facility_id: int, month: dt.date) -> Money:
        return rows.setdefault(
            (facility_id, month), Money(facility=by_id[facility_id], month=month)
        )

    entries = (
        LedgerEntry.objects.filter(
            reservation__unit__facility__in=facility_list, at__gte=since, at__lt=until
        )
        .annotate(month=TruncMonth("at", tzinfo=clock.JST))
        .values("reservation__unit__facility_id", "month", "kind")
        .annotate(total=Sum("amount"))
    )
    for entry in entries:
        target = row(entry["reservation__unit__facility_id"], _month(entry["month"]))
        kind, total = entry["kind"], entry["total"] or 0
        if kind in LedgerEntry.CHARGES:
            target.charged += total
        elif kind == K.PAYMENT:
            target.received += -total
        elif kind == K.REFUND:
            target.refunded += total
        else:
            target.adjusted += total

    reduced = Reservation.objects.filter(
        unit__facility__in=facility_list,
        use_date__gte=start,
        use_date__lte=end,
        status__in=CHARGED_STATES,
        reduction__isnull=False,
    ).values_list("unit__facility_id", "use_date", "fee_breakdown")
    for facility_id, use_date, breakdown in reduced:
        discount = -sum(
            int(line.get("amount", 0))
            for line in (breakdown or {}).get("lines", [])
            if line.get("kind") == FeeLine.REDUCTION
        )
        if discount:
            target = row(facility_id, month_of(use_date))
            target.reductions += discount
            target.reduced_count += 1
    order = {f.pk: n for n, f in enumerate(facility_list)}
    return sorted(rows.values(), key=lambda m: (order[m.facility.pk], m.month))


# — registrations (利用者登録) —


@dataclass
class Registrations:
    month: dt.date
    by_category: dict[str, int] = field(default_factory=dict)
    groups: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_category.values())


def registrations(
    *, municipality: Municipality, start: dt.date, end: dt.date
) -> list[Registrations]:
    """New registrations (a user number given) per month and category (在住・在勤・区域外),
    with how many of them are groups. Refused applications are not registrations. One query."""
    since, until = _period(start, end)
    rows = (
        Registrant.objects.filter(
            municipality=municipality, registered_at__gte=since, registered_at__lt=until
        )
        .exclude(status=Registrant.Status.REJECTED)
        .annotate(month=TruncMonth("registered_at", tzinfo=clock.JST))
        .values("month", "category", "kind")
        .annotate(n=Count("id"))
    )
    months: dict[dt.date, Registrations] = {}
    for row in rows:
        month = _month(row["month"])
        entry = months.setdefault(
            month, Registrations(month, {c: 0 for c in Registrant.Category.values})
        )
        entry.by_category[row["category"]] = entry.by_category.get(row["category"], 0) + row["n"]
        if row["kind"] == Registrant.Kind.GROUP:
            entry.groups += row["n"]
    return sorted(months.values(), key=lambda r: r.month)


# — cancellations and no-shows (取消・無断不使用) —


@dataclass
class Cancellations:
    facility: Facility
    month: dt.date
    reservations: int  # every reservation for a date of the month, refused ones left out
    by_registrant: int
    by_staff: int
    automatic: int  # unpaid past the deadline, or a lottery win never confirmed
    no_shows: int

    @property
    def cancelled(self) -> int:
        return self.by_registrant + self.by_staff + self.automatic

    def rate(self, count: int) -> float | None:
        if not self.reservations:
            return None
        return round(count * 100 / self.reservations, 1)


def cancellations(
    *, facilities: QuerySet[Facility], start: dt.date, end: dt.date
) -> list[Cancellations]:
    """Per facility and month of use. Two queries."""
    facility_list = list(facilities.order_by("order", "id"))
    by_id = {f.pk: f for f in facility_list}
    cancelled = Q(status=R.CANCELLED)
    rows = (
        Reservation.objects.filter(
            unit__facility__in=facility_list, use_date__gte=start, use_date__lte=end
        )
        .exclude(status=R.REJECTED)
        .annotate(month=TruncMonth("use_date"))
        .values("unit__facility_id", "month")
        .annotate(
            reservations=Count("id"),
            by_registrant=Count("id", filter=cancelled & Q(cancelled_by__is_staff=False)),
            by_staff=Count("id", filter=cancelled & Q(cancelled_by__is_staff=True)),
            automatic=Count("id", filter=cancelled & Q(cancelled_by__isnull=True)),
            no_shows=Count("id", filter=Q(status=R.NO_SHOW)),
        )
    )
    order = {f.pk: n for n, f in enumerate(facility_list)}
    result = [
        Cancellations(
            facility=by_id[r["unit__facility_id"]],
            month=_month(r["month"]),
            reservations=r["reservations"],
            by_registrant=r["by_registrant"],
            by_staff=r["by_staff"],
            automatic=r["automatic"],
            no_shows=r["no_shows"],
        )
        for r in rows
    ]
    return sorted(result, key=lambda c: (order[c.facility.pk], c.month))
