"""The fee engine (使用料): the one place that turns the fee table into an itemised quote.

Every face (booking pages, staff console, API, recalculation after a change) asks
:func:`fee_quote`; nothing else reads ``FeeRule`` to price a booking.

* Time-slot units: one base line per booked slot (a basic slot or a combined slot such as
  全日, each priced by its own rule) on the use date.
* Lodging units: per night and per person class — adults × adult price + children × child
  price. Infants (younger than ``Municipality.free_child_age``) are not passed in and cost
  nothing; the number of rooms does not change per-person fees.
* The rule in force on the day of use applies (``effective_from <= day <= effective_until``);
  for a stay, each night is priced by the table in force on that night.

Rounding (端数処理)
    Fee table amounts are tax-inclusive (税込) integer yen, so base lines (unit price ×
    quantity) are exact. Each surcharge (営利目的の割増) and reduction (減免) line is computed
    from the integer yen base and rounded down to the yen (円未満切り捨て) with integer
    arithmetic, ``x * p // 100`` — never a float. A reduction rounds its *discount* down, so
    it is ``-(base * percent // 100)``. The total is the sum of the lines and never below 0.
    This rule is stored with every quote (``FeeQuote.as_json()["rounding"]``).

The quote is stored on the reservation as JSON, so a later change of the fee table never alters
what a registrant was told or paid.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from yoyaku.core.dates import japanese_date
from yoyaku.core.errors import DomainError
from yoyaku.facilities.models import FeeRule, ReductionCategory, Slot, Unit
from yoyaku.facilities.selectors import holidays_between
from yoyaku.registrants.models import Registrant
from yoyaku.reservations.models import Reservation

ROUNDING = "floor_per_line"
TAX = "included"

# The descriptions are a record, stored with the reservation like a receipt: they stay in
# Japanese whatever language the page was in, so they are fixed text here, not gettext.
_RATE_LABELS = {
    FeeRule.RateClass.RESIDENT: "区域内",
    FeeRule.RateClass.NON_RESIDENT: "区域外",
}
_PERSON_LABELS = {FeeRule.PersonClass.ADULT: "大人", FeeRule.PersonClass.CHILD: "子ども"}
_SLOT_DAY_LABELS = {
    FeeRule.DayClass.WEEKDAY: "平日",
    FeeRule.DayClass.WEEKEND_HOLIDAY: "土日祝",
}
_NIGHT_DAY_LABELS = {
    FeeRule.DayClass.WEEKDAY: "平日",
    FeeRule.DayClass.WEEKEND_HOLIDAY: "休前日",
}


@dataclass(frozen=True)
class FeeLine:
    """One line of a quote; ``amount == unit_price * quantity`` always holds."""

    BASE: ClassVar[str] = "base"
    COMMERCIAL: ClassVar[str] = "commercial"
    REDUCTION: ClassVar[str] = "reduction"

    kind: str
    description: str
    unit_price: int  # yen
    quantity: int
    amount: int  # yen, negative for reductions


@dataclass(frozen=True)
class FeeQuote:
    lines: tuple[FeeLine, ...]
    total: int
    # Nights whose base was discounted (lodging); less than the stay when the reduction
    # category's annual night limit ran out. Always 0 for time-slot units.
    reduction_nights: int = 0

    @classmethod
    def of(cls, lines: Iterable[FeeLine], *, reduction_nights: int = 0) -> FeeQuote:
        lines = tuple(lines)
        # A 100 % exemption plus rounding can never go negative, but a fee is never a refund.
        total = max(0, sum(line.amount for line in lines))
        return cls(lines=lines, total=total, reduction_nights=reduction_nights)

    @property
    def base_total(self) -> int:
        return sum(line.amount for line in self.lines if line.kind == FeeLine.BASE)

    def as_json(self) -> dict[str, Any]:
        """JSON-safe breakdown stored on the reservation (``Reservation.fee_breakdown``)."""
        return {
            "lines": [asdict(line) for line in self.lines],
            "total": self.total,
            "reduction_nights": self.reduction_nights,
            "rounding": ROUNDING,
            "tax": TAX,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeeQuote:
        """The quote as stored: the stored total is kept, never recomputed."""
        lines = tuple(
            FeeLine(
                kind=str(line["kind"]),
                description=str(line["description"]),
                unit_price=int(line["unit_price"]),
                quantity=int(line["quantity"]),
                amount=int(line["amount"]),
            )
            for line in data.get("lines", [])
        )
        return cls(
            lines=lines,
            total=int(data.get("total", 0)),
            reduction_nights=int(data.get("reduction_nights", 0)),
        )


# — classification —


def rate_class_for(registrant: Registrant) -> str:
    """区域内 for residents, workers and groups; 区域外 for everyone else.

    Groups (団体) register with the municipality as local groups, so they pay the resident
    rate whatever category their representative was entered with.
    """
    if registrant.kind == Registrant.Kind.GROUP or registrant.category in (
        Registrant.Category.RESIDENT,
        Registrant.Category.WORKER,
    ):
        return FeeRule.RateClass.RESIDENT
    return FeeRule.RateClass.NON_RESIDENT


def _is_day_off(day: dt.date, holidays: Container[dt.date]) -> bool:
    return day.weekday() >= 5 or day in holidays


def day_class_for_slot_day(day: dt.date, holidays: Container[dt.date]) -> str:
    """Saturdays, Sundays and public holidays (incl. 振替休日) are WEEKEND_HOLIDAY."""
    if _is_day_off(day, holidays):
        return FeeRule.DayClass.WEEKEND_HOLIDAY
    return FeeRule.DayClass.WEEKDAY


def day_class_for_night(night: dt.date, holidays: Container[dt.date]) -> str:
    """休前日: a night is priced by the day that follows it.

    Friday and Saturday nights, and the night before a public holiday, are WEEKEND_HOLIDAY;
    a holiday's own night is a weekday night unless the next day is a day off too.
    ``holidays`` must cover the day after ``night``.
    """
    if _is_day_off(night + dt.timedelta(days=1), holidays):
        return FeeRule.DayClass.WEEKEND_HOLIDAY
    return FeeRule.DayClass.WEEKDAY


def fiscal_year_of(day: dt.date) -> int:
    """The Japanese fiscal year (年度), April to March: 2027-03-31 is in 2026."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(fiscal_year: int) -> tuple[dt.date, dt.date]:
    return dt.date(fiscal_year, 4, 1), dt.date(fiscal_year + 1, 3, 31)


# — annual night limit of reductions —


def reduced_nights_used(
    *,
    registrant: Registrant,
    category: ReductionCategory,
    fiscal_year: int,
    exclude_reservation_id: int | None = None,
) -> int:
    """Reduced nights the registrant already has in ``fiscal_year`` under ``category``.

    Counts the lodging reservations that hold capacity or were used; only their nights inside
    the fiscal year count, so a stay over 31 March is split between the two years.
    ``exclude_reservation_id`` leaves out the reservation being changed (宿泊数の変更).
    """
    start, end = fiscal_year_bounds(fiscal_year)
    reservations = Reservation.objects.filter(
        registrant=registrant,
        reduction=category,
        unit__booking_kind=Unit.BookingKind.LODGING,
        status__in=[*Reservation.HOLDS_CAPACITY, Reservation.Status.USED],
        use_date__lte=end,
    )
    if exclude_reservation_id is not None:
        reservations = reservations.exclude(pk=exclude_reservation_id)
    used = 0
    for use_date, nights in reservations.values_list("use_date", "nights"):
        first = max(use_date, start)
        last = min(use_date + dt.timedelta(days=nights - 1), end)
        used += max(0, (last - first).days + 1)
    return used


def reduced_nights_left(
    *,
    registrant: Registrant,
    category: ReductionCategory,
    use_date: dt.date,
    nights: int,
    exclude_reservation_id: int | None = None,
) -> dict[int, int] | None:
    """Reduced nights still available per fiscal year touched by a stay, for
    :func:`fee_quote`'s ``reduced_nights_available``; None when the category has no limit."""
    limit = category.annual_night_limit
    if limit is None:
        return None
    years = sorted({fiscal_year_of(use_date + dt.timedelta(days=i)) for i in range(nights)})
    return {
        year: max(
            0,
            limit
            - reduced_nights_used(
                registrant=registrant,
                category=category,
                fiscal_year=year,
                exclude_reservation_id=exclude_reservation_id,
            ),
        )
        for year in years
    }


# — rule lookup —


def _rules_for(unit: Unit, rate_class: str) -> list[FeeRule]:
    """All candidate rules of the unit in one query; the choice is made in Python."""
    basis = FeeRule.Basis.PER_PERSON_NIGHT if unit.is_lodging else FeeRule.Basis.PER_SLOT
    return list(
        FeeRule.objects.filter(unit=unit, basis=basis, rate_class=rate_class).order_by(
            "-effective_from", "-id"
        )
    )


def fee_tables(units: Iterable[Unit]) -> dict[tuple[int, str], list[FeeRule]]:
    """The candidate rules of many units in one query, by (unit id, rate class), in the order
    :func:`fee_quote` expects: for callers that price many bookings at once (the lottery's
    winners), which pass each one's list to ``fee_quote(rules=…)``."""
    basis = {
        u.pk: FeeRule.Basis.PER_PERSON_NIGHT if u.is_lodging else FeeRule.Basis.PER_SLOT
        for u in units
    }
    tables: dict[tuple[int, str], list[FeeRule]] = {}
    for rule in FeeRule.objects.filter(unit_id__in=basis).order_by("-effective_from", "-id"):
        if rule.basis == basis[rule.unit_id]:
            tables.setdefault((rule.unit_id, rule.rate_class), []).append(rule)
    return tables


def _pick_rule(
    rules: list[FeeRule],
    *,
    day: dt.date,
    day_class: str,
    person_class: str,
    slot_id: int | None = None,
) -> FeeRule:
    """The rule in force on ``day``; a rule for the exact day class beats an ANY rule.

    ``rules`` are newest first. If an older table was left open-ended when a newer one was
    entered, the newest table wins, so a new flat (ANY) price is not shadowed by an old
    weekend price.
    """
    in_force = [
        rule
        for rule in rules
        if rule.slot_id == slot_id
        and rule.person_class == person_class
        and rule.day_class in (day_class, FeeRule.DayClass.ANY)
        and rule.applies_on(day)
    ]
    if not in_force:
        raise DomainError("fee_not_set")
    newest = [rule for rule in in_force if rule.effective_from == in_force[0].effective_from]
    exact = [rule for rule in newest if rule.day_class == day_class]
    return (exact or newest)[0]


def _slot_lines(
    *,
    rules: list[FeeRule],
    slots: Iterable[Slot],
    use_date: dt.date,
    rate_class: str,
    on: dt.date | None,
) -> list[FeeLine]:
    holidays = holidays_between(use_date, use_date)
    day_class = day_class_for_slot_day(use_date, holidays)
    lines = []
    for slot in sorted(slots, key=lambda s: (s.start, s.end)):
        rule = _pick_rule(
            rules,
            day=on or use_date,
            day_class=day_class,
            person_class=FeeRule.PersonClass.ANY,
            slot_id=slot.pk,
        )
        description = f"{slot.label}（{slot.time_label}）{_RATE_LABELS[rate_class]}"
        if rule.day_class in _SLOT_DAY_LABELS:
            description += f" {_SLOT_DAY_LABELS[rule.day_class]}"
        lines.append(FeeLine(FeeLine.BASE, description, rule.amount_yen, 1, rule.amount_yen))
    return lines


def _lodging_lines(
    *,
    rules: list[FeeRule],
    use_date: dt.date,
    nights: int,
    adults: int,
    children: int,
    rate_class: str,
    on: dt.date | None,
) -> tuple[list[FeeLine], list[tuple[dt.date, int]]]:
    """The base lines, and each night with its base (for reductions limited by nights)."""
    stay = [use_date + dt.timedelta(days=i) for i in range(nights)]
    # Covers the morning after the last night: its 休前日 status depends on that day.
    holidays = holidays_between(stay[0], stay[-1] + dt.timedelta(days=1))
    lines: list[FeeLine] = []
    night_bases: list[tuple[dt.date, int]] = []
    for night in stay:
        day_class = day_class_for_night(night, holidays)
        night_base = 0
        for person_class, count in (
            (FeeRule.PersonClass.ADULT, adults),
            (FeeRule.PersonClass.CHILD, children),
        ):
            if count == 0:
                continue  # no child price is needed for a party of adults
            rule = _pick_rule(
                rules, day=on or night, day_class=day_class, person_class=person_class
            )
            description = (
                f"{japanese_date(night, lang='ja')}泊"
                f" {_PERSON_LABELS[person_class]} {_RATE_LABELS[rate_class]}"
            )
            if rule.day_class in _NIGHT_DAY_LABELS:
                description += f" {_NIGHT_DAY_LABELS[rule.day_class]}"
            amount = rule.amount_yen * count
            lines.append(FeeLine(FeeLine.BASE, description, rule.amount_yen, count, amount))
            night_base += amount
        night_bases.append((night, night_base))
    return lines, night_bases


def _discounted_nights(
    night_bases: list[tuple[dt.date, int]], available: int | Mapping[int, int]
) -> list[tuple[dt.date, int]]:
    """The first nights the remaining annual allowance covers, in order of the stay.

    An int is the allowance for the whole stay; a mapping gives it per fiscal year (as
    :func:`reduced_nights_left` does), which matters for a stay over 31 March.
    """
    if isinstance(available, int):
        return night_bases[: max(0, available)]
    left = dict(available)
    chosen = []
    for night, base in night_bases:
        year = fiscal_year_of(night)
        if left.get(year, 0) > 0:
            left[year] -= 1
            chosen.append((night, base))
    return chosen


# — the quote —


def fee_quote(
    *,
    unit: Unit,
    use_date: dt.date,
    nights: int = 1,
    slots: Iterable[Slot] = (),
    adults: int = 0,
    children: int = 0,
    rate_class: str,
    commercial: bool = False,
    reduction: ReductionCategory | None = None,
    reduced_nights_available: int | Mapping[int, int] | None = None,
    on: dt.date | None = None,
    rules: list[FeeRule] | None = None,
) -> FeeQuote:
    """Price a booking of ``unit`` from the fee table.

    Time-slot units take ``slots`` on ``use_date``; lodging units take ``nights`` from
    ``use_date`` (the check-in date) and the paying ``adults`` and ``children`` (not infants).
    ``reduced_nights_available`` is required when ``reduction`` has an annual night limit: an
    int (limit − used) or a mapping fiscal year → nights left (:func:`reduced_nights_left`).
    ``on`` prices with the table in force on that date instead of on the day(s) of use.

    Raises ``DomainError("reduction_not_for_commercial")`` when both are asked for, and
    ``DomainError("fee_not_set")`` when the table has no price for some part of the booking.
    Reads the fee table (one query) and, for a commercial use, the facility; ``rules`` (the
    unit's list for ``rate_class`` from :func:`fee_tables`) spares the query.
    """
    # Checked before any lookup: the combination is refused whatever the prices are.
    if commercial and reduction is not None:
        raise DomainError("reduction_not_for_commercial")
    if rate_class not in FeeRule.RateClass.values:
        raise ValueError(f"unknown rate class {rate_class!r}")
    slots = list(slots)
    if rules is None:
        rules = _rules_for(unit, rate_class)
    night_bases: list[tuple[dt.date, int]] = []
    if unit.is_lodging:
        if slots:
            raise ValueError("a lodging unit is booked by the night, not by slots")
        if nights < 1 or adults < 0 or children < 0:
            raise ValueError("nights must be positive and party sizes not negative")
        lines, night_bases = _lodging_lines(
            rules=rules,
            use_date=use_date,
            nights=nights,
            adults=adults,
            children=children,
            rate_class=rate_class,
            on=on,
        )
    else:
        if not slots:
            raise ValueError("a time-slot unit needs at least one slot")
        lines = _slot_lines(
            rules=rules, slots=slots, use_date=use_date, rate_class=rate_class, on=on
        )
    base_total = sum(line.amount for line in lines)

    if commercial:
        multiplier = unit.facility.commercial_multiplier_percent
        if multiplier > 100:
            surcharge = base_total * (multiplier - 100) // 100  # 円未満切り捨て
            lines.append(
                FeeLine(
                    FeeLine.COMMERCIAL, f"営利目的の割増 {multiplier}%", surcharge, 1, surcharge
                )
            )

    reduction_nights = 0
    if reduction is not None:
        description = f"減免（{reduction.name} {reduction.percent}%）"
        if unit.is_lodging:
            if reduction.annual_night_limit is not None:
                if reduced_nights_available is None:
                    # Forgetting the allowance would silently discount every night.
                    raise ValueError(
                        "reduced_nights_available is required for a category with a night limit"
                    )
                discounted = _discounted_nights(night_bases, reduced_nights_available)
            else:
                discounted = night_bases
            reduction_nights = len(discounted)
            reduced_base = sum(base for _night, base in discounted)
            if reduction_nights < nights:
                description = (
                    f"減免（{reduction.name} {reduction.percent}%・{reduction_nights}泊分）"
                )
        else:
            reduced_base = base_total
        # The discount is rounded down, so the registrant pays the odd yen.
        discount = reduced_base * reduction.percent // 100
        if discount > 0:
            lines.append(FeeLine(FeeLine.REDUCTION, description, -discount, 1, -discount))

    return FeeQuote.of(lines, reduction_nights=reduction_nights)
