"""The catalogue as the availability pages read it, kept in the versioned cache.

Two scopes (see ``yoyaku.core.cache``):

- ``setup:<municipality id>``: facilities, units, slot schedules, purposes — what staff change
  rarely. Signal receivers (``yoyaku/facilities/signals.py``) and the services that write
  with ``bulk_create`` or ``update()`` bump it.
- ``avail:<facility id>``: what a facility's availability is built from (occupancy, dated
  closures, lottery holds). Whatever writes one of them calls :func:`availability_changed`.

A catalogue holds model instances whose display names follow the language of the request that
renders them, so one cached value serves Japanese and English pages alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import prefetch_related_objects

from yoyaku.core import cache
from yoyaku.core.models import Municipality
from yoyaku.facilities.models import Facility, Purpose, Unit
from yoyaku.facilities.selectors import UnitFamily


def setup_scope(municipality_id: int) -> str:
    return f"setup:{municipality_id}"


def avail_scope(facility_id: int) -> str:
    return f"avail:{facility_id}"


def availability_changed(facility_ids: Iterable[int]) -> None:
    """Every cached availability of these facilities is outdated (now and after commit)."""
    cache.bump(*(avail_scope(pk) for pk in sorted(set(facility_ids))))


@dataclass
class Catalogue:
    """Active facilities (in the catalogue's order) with their active units, each unit with its
    facility, slot schedule and slots loaded; the unit trees (inactive units too, whose
    capacity still counts); which purposes each unit serves."""

    facilities: list[Facility]
    units_of: dict[int, list[Unit]]
    family: UnitFamily
    unit_ids_of: dict[int, list[int]]
    unit_purposes: dict[int, frozenset[int]] = field(default_factory=dict)
    purposes: list[Purpose] = field(default_factory=list)

    def facility(self, slug: str) -> Facility | None:
        return next((f for f in self.facilities if f.slug == slug), None)

    def units(self, *, kind: str | None = None, purpose_id: int | None = None) -> list[Unit]:
        """Active units in the catalogue's order, optionally of one kind or purpose."""
        return [
            unit
            for facility in self.facilities
            if not kind or facility.kind == kind
            for unit in self.units_of[facility.pk]
            if purpose_id is None or purpose_id in self.unit_purposes.get(unit.pk, ())
        ]

    def parts(self, facility_ids: Iterable[int]) -> dict[int, Catalogue]:
        """The catalogue of each of these facilities alone (see :func:`facilities_catalogue`)."""
        by_id = {f.pk: f for f in self.facilities}
        result = {}
        for pk in facility_ids:
            if pk not in by_id:  # gone from the catalogue meanwhile: nothing to show
                result[pk] = Catalogue(
                    facilities=[], units_of={}, family=UnitFamily.of(()), unit_ids_of={}
                )
                continue
            ids = self.unit_ids_of.get(pk, [])
            units = self.units_of.get(pk, [])
            result[pk] = Catalogue(
                facilities=[by_id[pk]],
                units_of={pk: units},
                family=UnitFamily.of(_Tree(u, self.family.parent_of.get(u)) for u in ids),
                unit_ids_of={pk: ids},
                unit_purposes={
                    u.pk: self.unit_purposes[u.pk] for u in units if u.pk in self.unit_purposes
                },
                purposes=self.purposes,
            )
        return result

    @classmethod
    def merged(cls, parts: Iterable[Catalogue]) -> Catalogue:
        """One catalogue of the facilities of several (the parts' order kept)."""
        merged = cls(facilities=[], units_of={}, family=UnitFamily.of(()), unit_ids_of={})
        for part in parts:
            merged.facilities += part.facilities
            merged.units_of.update(part.units_of)
            merged.unit_ids_of.update(part.unit_ids_of)
            merged.unit_purposes.update(part.unit_purposes)
            merged.purposes = part.purposes
            for unit_id, parent_id in part.family.parent_of.items():
                merged.family.parent_of[unit_id] = parent_id
                if parent_id:
                    merged.family.children_of[parent_id].append(unit_id)
        return merged

    def kinds(self) -> list[tuple[str, str]]:
        """(value, label) of the kinds present, in the usual order (the day view's filter)."""
        present = {f.kind for f in self.facilities}
        return [(value, label) for value, label in Facility.Kind.choices if value in present]


def _build(municipality: Municipality, slug: str | None) -> Catalogue:
    facilities_qs = Facility.objects.filter(municipality=municipality, is_active=True)
    if slug is not None:
        facilities_qs = facilities_qs.filter(slug=slug)
    facilities = list(facilities_qs.order_by("order", "id"))
    by_id = {f.pk: f for f in facilities}
    for facility in facilities:
        facility.municipality = municipality
    every_unit = list(
        Unit.objects.filter(facility_id__in=by_id)
        .select_related("slot_schedule")
        .order_by("order", "id")
    )
    active = [u for u in every_unit if u.is_active]
    # One schedule object (and one list of slots) per schedule, shared by its units: pickled
    # once, so a catalogue of a thousand units on three schedules loads quickly.
    schedules = {u.slot_schedule_id: u.slot_schedule for u in active if u.slot_schedule_id}
    prefetch_related_objects(list(schedules.values()), "slots")
    for unit in active:
        if unit.slot_schedule_id:
            unit.slot_schedule = schedules[unit.slot_schedule_id]
    units_of: dict[int, list[Unit]] = {pk: [] for pk in by_id}
    unit_ids_of: dict[int, list[int]] = defaultdict(list)
    for unit in every_unit:
        unit.facility = by_id[unit.facility_id]
        unit_ids_of[unit.facility_id].append(unit.pk)
    for unit in active:
        units_of[unit.facility_id].append(unit)
    catalogue = Catalogue(
        facilities=facilities,
        units_of=units_of,
        family=UnitFamily.of(every_unit),
        unit_ids_of=dict(unit_ids_of),
    )
    if slug is None:
        purposes_of: dict[int, set[int]] = defaultdict(set)
        for unit_id, purpose_id in Unit.purposes.through.objects.filter(
            unit_id__in=[u.pk for u in active]
        ).values_list("unit_id", "purpose_id"):
            purposes_of[unit_id].add(purpose_id)
        catalogue.unit_purposes = {pk: frozenset(ids) for pk, ids in purposes_of.items()}
        catalogue.purposes = list(Purpose.objects.filter(municipality=municipality))
    return catalogue


def catalogue(*, municipality: Municipality) -> Catalogue:
    """The whole catalogue of a municipality (the day view, open data): four queries when the
    cache is cold, none when warm."""
    return cache.remember(
        [setup_scope(municipality.pk)], "catalogue", lambda: _build(municipality, None)
    )


@dataclass(frozen=True)
class _Tree:
    """A unit's place in its tree, as ``UnitFamily.of`` reads it."""

    pk: int
    parent_id: int | None


def facilities_catalogue(*, municipality: Municipality, facility_ids: Iterable[int]) -> Catalogue:
    """The catalogue of a few facilities, each kept on its own under ``setup:<municipality>``:
    a page that must render again only the facilities just booked reads their parts (a few
    kilobytes) rather than the whole catalogue (some hundreds for a thousand units). No query
    when the whole catalogue is cached, which the parts are cut from."""
    wanted = list(facility_ids)
    parts = cache.remember_many(
        {pk: [setup_scope(municipality.pk)] for pk in wanted},
        lambda pk: f"catalogue-part:{pk}",
        lambda missing: catalogue(municipality=municipality).parts(missing),
    )
    return Catalogue.merged(parts[pk] for pk in wanted)


@dataclass(frozen=True)
class Directory:
    """What the day view needs to choose its facilities and fill its filter, without the units:
    small, so a warm page unpickles it in well under a millisecond (the whole catalogue of a
    thousand units takes tens of milliseconds)."""

    # (facility id, kind, the purposes its active units serve), facilities with active units
    # only, in the catalogue's order.
    facilities: tuple[tuple[int, str, frozenset[int]], ...]
    purposes: tuple[Purpose, ...]
    present_kinds: frozenset[str]  # of every active facility, with units or not

    def facility_ids(self, *, kind: str | None = None, purpose_id: int | None = None) -> list[int]:
        """The facilities that have an active unit of this kind and purpose, in order."""
        return [
            pk
            for pk, facility_kind, purposes in self.facilities
            if (not kind or facility_kind == kind)
            and (purpose_id is None or purpose_id in purposes)
        ]

    def kinds(self) -> list[tuple[str, str]]:
        """(value, label) of the kinds present, in the usual order (the day view's filter)."""
        return [
            (value, label) for value, label in Facility.Kind.choices if value in self.present_kinds
        ]


def _build_directory(municipality: Municipality) -> Directory:
    setup = catalogue(municipality=municipality)
    return Directory(
        facilities=tuple(
            (
                facility.pk,
                facility.kind,
                frozenset(
                    pk
                    for unit in setup.units_of[facility.pk]
                    for pk in setup.unit_purposes.get(unit.pk, ())
                ),
            )
            for facility in setup.facilities
            if setup.units_of[facility.pk]
        ),
        purposes=tuple(setup.purposes),
        present_kinds=frozenset(facility.kind for facility in setup.facilities),
    )


def directory(*, municipality: Municipality) -> Directory:
    """The municipality's :class:`Directory`: no query when warm, the catalogue's when cold."""
    return cache.remember(
        [setup_scope(municipality.pk)], "directory", lambda: _build_directory(municipality)
    )


def facility_catalogue(*, municipality: Municipality, slug: str) -> Catalogue:
    """The catalogue of one active facility, found by its slug (its month calendar): empty
    when there is none. Three queries when cold, none when warm."""
    return cache.remember(
        [setup_scope(municipality.pk)], f"facility:{slug}", lambda: _build(municipality, slug)
    )
