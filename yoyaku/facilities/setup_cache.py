"""The setup cache: what the booking path reads and staff rarely change, read once and shared.

A bookable unit's *setup* is the unit with its facility and municipality, its slot schedule with
the slots, its purposes, the unit tree of its facility (wholes and parts), the facility's dated
closures and the unit's fee table. The booking page, the API and the booking rules read it
through :func:`unit_setup`, from the versioned cache (``yoyaku/core/cache.py``) under the scope
``setup:<municipality id>``; every change of those tables bumps that scope
(``yoyaku/facilities/signals.py`` for saves and deletes, and the services that write with
``bulk_create`` or ``QuerySet.update``), so the very next booking sees it.

Nothing here depends on who books or on what is taken: occupancy, a registrant's limits,
penalties and debts are always read live.

The values come out of the cache unpickled, one copy per read: a caller may not share them
across requests, and should not change them (they are the rules, not a draft).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from yoyaku.core import cache
from yoyaku.facilities.catalogue import setup_scope
from yoyaku.facilities.models import Closure, FeeRule, Purpose, Slot, Unit
from yoyaku.facilities.selectors import UnitFamily


def scope(municipality_id: int) -> str:
    """The cache scope of one municipality's facility setup (shared with the catalogue)."""
    return setup_scope(municipality_id)


def bump(municipality_id: int | None) -> None:
    """Announce a change of the municipality's setup (every cached unit setup is rebuilt)."""
    if municipality_id is not None:
        cache.bump(scope(municipality_id))


@dataclass(frozen=True)
class UnitSetup:
    """One unit as the booking path needs it; ``unit`` has its relations loaded:
    ``unit.facility.municipality``, ``unit.slot_schedule.slots.all()``, ``unit.parent`` and
    ``unit.purposes.all()`` read no database."""

    unit: Unit
    family: UnitFamily
    closures: tuple[Closure, ...]
    fee_rules: tuple[FeeRule, ...]  # newest first, as the fee engine expects

    @property
    def purposes(self) -> list[Purpose]:
        return list(self.unit.purposes.all())

    @property
    def slots(self) -> list[Slot]:
        schedule = self.unit.slot_schedule
        return list(schedule.slots.all()) if schedule is not None else []

    def slots_by_pk(self, pks) -> list[Slot] | None:
        """The schedule's slots with these ids, in schedule order; None if one is not in it."""
        wanted = {int(pk) for pk in pks}
        found = [slot for slot in self.slots if slot.pk in wanted]
        return found if len(found) == len(wanted) else None

    def closures_between(self, start: dt.date, end: dt.date) -> list[Closure]:
        """The facility's dated closures overlapping [start, end] (all units)."""
        return [c for c in self.closures if c.start_date <= end and c.end_date >= start]

    def fee_table(self, rate_class: str) -> list[FeeRule]:
        """The unit's candidate fee rules for ``rate_class``, as ``fees.fee_quote(rules=…)``
        takes them (the same list the fee engine would read)."""
        basis = FeeRule.Basis.PER_PERSON_NIGHT if self.unit.is_lodging else FeeRule.Basis.PER_SLOT
        return [r for r in self.fee_rules if r.basis == basis and r.rate_class == rate_class]


def _build(municipality_id: int, unit_id: int) -> UnitSetup | None:
    unit = (
        Unit.objects.filter(pk=unit_id, facility__municipality_id=municipality_id)
        .select_related("facility__municipality", "slot_schedule", "parent")
        .prefetch_related("slot_schedule__slots", "purposes")
        .first()
    )
    if unit is None:
        return None
    family = UnitFamily.of(
        Unit.objects.filter(facility_id=unit.facility_id).only("id", "parent_id")
    )
    closures = tuple(Closure.objects.filter(facility_id=unit.facility_id).order_by("start_date"))
    fee_rules = tuple(FeeRule.objects.filter(unit=unit).order_by("-effective_from", "-id"))
    return UnitSetup(unit=unit, family=family, closures=closures, fee_rules=fee_rules)


def unit_setup(*, municipality_id: int, unit_id: int) -> UnitSetup | None:
    """The setup of a unit of this municipality (active or not), or None when there is none.

    One round trip to the cache when it is there; six queries when it is built.
    """
    return cache.remember(
        [scope(municipality_id)],
        f"unit:{unit_id}",
        lambda: _build(municipality_id, unit_id),
    )


def setup_of(unit: Unit) -> UnitSetup:
    """The setup of a unit already loaded (its facility's municipality id is read from it)."""
    municipality_id = unit.facility.municipality_id
    found = unit_setup(municipality_id=municipality_id, unit_id=unit.pk)
    if found is None:  # pragma: no cover - a unit that was just loaded exists
        raise Unit.DoesNotExist(unit.pk)
    return found
