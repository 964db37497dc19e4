"""再計算 (Ukiha art. 10.4): staff price a reservation again with the conditions as they
turned out — the number of people, a commercial use, a 減免 — before or after the day of use.

The new fee is shown first (:func:`reservation_recalculate_preview`), then applied
(:func:`reservation_recalculate`). Applying it saves the new fee and its breakdown (with the
previous total), writes the audit row and tells the money handler (``hooks.money_changed``
with ``verb="recalculate"``): the payments app charges the difference, announces an additional
charge to the registrant, or refunds what was overpaid through the provider that took it.
Capacity is not touched: the unit, the date, the slots and the rooms stay as booked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, User
from yoyaku.core.permissions import Perm, can
from yoyaku.core.services import audit_record
from yoyaku.facilities.models import ReductionCategory
from yoyaku.reservations import fees, hooks, limits, rules, states
from yoyaku.reservations.models import Reservation

# The conditions a recalculation may change; everything else stays as booked.
LODGING_FIELDS = ("adults", "children", "commercial", "reduction")
SLOT_FIELDS = ("party_size", "commercial", "reduction")


@dataclass(frozen=True)
class Recalculation:
    """What a recalculation would do: the fee before and after, and the conditions used."""

    previous_total: int
    quote: fees.FeeQuote
    changes: dict[str, Any]

    @property
    def new_total(self) -> int:
        return self.quote.total

    @property
    def difference(self) -> int:
        """Positive: an additional charge; negative: to be refunded (or owed less)."""
        return self.quote.total - self.previous_total


def _allowed(reservation: Reservation) -> tuple[str, ...]:
    return LODGING_FIELDS if reservation.unit.is_lodging else SLOT_FIELDS


def _clean(reservation: Reservation, changes: dict[str, Any]) -> dict[str, Any]:
    allowed = _allowed(reservation)
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValueError(f"cannot recalculate with {sorted(unknown)}")
    reduction = changes.get("reduction")
    if isinstance(reduction, ReductionCategory) and (
        reduction.municipality_id != reservation.municipality_id
    ):
        raise DomainError("reduction_unknown", field="reduction")
    return {k: v for k, v in changes.items() if getattr(reservation, k) != v}


def _problems(reservation: Reservation, values: dict[str, Any]) -> list[DomainError]:
    counts = rules.head_count_problems(
        reservation.unit,
        rooms=reservation.rooms,
        adults=values["adults"],
        children=values["children"],
        infants=reservation.infants,
        party_size=values["party_size"],
    )
    problems = [
        DomainError(error.code, field=field, **error.params) for field, error in counts.items()
    ]
    if values["commercial"] and values["reduction"] is not None:
        problems.append(DomainError("reduction_not_for_commercial", field="reduction"))
    return problems


def _quote(reservation: Reservation, values: dict[str, Any]) -> fees.FeeQuote:
    available = limits.reduced_nights_available(
        registrant=reservation.registrant,
        category=values["reduction"],
        use_date=reservation.use_date,
        nights=reservation.nights,
        exclude=reservation,
    )
    return fees.fee_quote(
        unit=reservation.unit,
        use_date=reservation.use_date,
        nights=reservation.nights,
        slots=[] if reservation.unit.is_lodging else list(reservation.slots.all()),
        adults=values["adults"],
        children=values["children"],
        rate_class=fees.rate_class_for(reservation.registrant),
        commercial=values["commercial"],
        reduction=values["reduction"],
        reduced_nights_available=available,
    )


def _judge(reservation: Reservation, by: User, changes: dict[str, Any]) -> Recalculation:
    if not can(by, Perm.RESERVATIONS, reservation):
        raise DomainError("recalculate_forbidden")
    if not states.RESERVATION.allows(reservation, "recalculate"):
        raise DomainError("reservation_wrong_state", status=reservation.get_status_display())
    changed = _clean(reservation, changes)
    values = {
        name: changed.get(name, getattr(reservation, name))
        for name in ("adults", "children", "party_size", "commercial", "reduction")
    }
    problems = _problems(reservation, values)
    if problems:
        first = problems[0]
        first.all = problems  # every refusal, for a form to show each next to its field
        raise first
    quote = _quote(reservation, values)
    if not changed and quote.total == reservation.fee_total:
        raise DomainError("nothing_to_change")
    return Recalculation(previous_total=reservation.fee_total, quote=quote, changes=changed)


def reservation_recalculate_preview(
    *, reservation: Reservation, by: User, **changes: Any
) -> Recalculation:
    """再計算する: the new fee and the difference, changing nothing. Raises the same
    ``DomainError`` as :func:`reservation_recalculate` would."""
    return _judge(reservation, by, changes)


@transaction.atomic
def reservation_recalculate(
    *, reservation: Reservation, by: User, reason: str, **changes: Any
) -> Recalculation:
    """確定する: save the recalculated fee.

    Preconditions: ``by`` is staff who may act on the reservation's facility; the reservation
    is under review, to be paid, confirmed, used or not shown; a reason is given (e.g. the
    actual use); the conditions are within the unit's bounds and change the conditions or
    the fee. Side effects: fee_total / fee_breakdown (with ``previous_total`` and the reason),
    an audit row, and the money handler (ledger, refund or additional-charge mail).
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", field="reason")
    reservation = states.RESERVATION.lock(reservation, "recalculate")
    result = _judge(reservation, by, changes)
    for name, value in result.changes.items():
        setattr(reservation, name, value)
    reservation.fee_total = result.new_total
    reservation.fee_breakdown = {
        **result.quote.as_json(),
        "previous_total": result.previous_total,
        "recalculated": {"reason": reason[:200], "by": by.pk},
    }
    reservation.save(update_fields=[*result.changes, "fee_total", "fee_breakdown"])
    audit_record(
        action=AuditAction.RESERVATION_RECALCULATE,
        actor=by,
        municipality=reservation.municipality,
        target=reservation,
        data={
            "changes": {k: str(v) for k, v in result.changes.items()},
            "previous_total": result.previous_total,
            "fee_total": result.new_total,
            "reason": reason[:200],
        },
    )
    hooks.money_changed(reservation, verb="recalculate", by=by)
    return result
