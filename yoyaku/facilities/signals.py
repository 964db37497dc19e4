"""Every change of a facility's setup bumps the municipality's ``setup:`` cache scope.

Connected in ``FacilitiesConfig.ready``. Saves and deletes of single rows (the staff console,
the admin, cascades) arrive here; services that write many rows at once with ``bulk_create`` or
``QuerySet.update`` (which send no signals) call :func:`setup_cache.bump` themselves.

Deletes are caught *before* the rows go (``pre_delete``): a cascade deletes the facility after
its units, and the municipality of a unit could not be looked up afterwards.
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_save, pre_delete

from yoyaku.core.models import Municipality
from yoyaku.facilities import setup_cache
from yoyaku.facilities.catalogue import availability_changed
from yoyaku.facilities.models import (
    Closure,
    Facility,
    FeeRule,
    Purpose,
    ReductionCategory,
    Slot,
    SlotSchedule,
    Unit,
)

# Models whose rows carry the municipality themselves.
_OWN = (Facility, SlotSchedule, Purpose, ReductionCategory)


def _municipality_id(instance) -> int | None:
    if isinstance(instance, Municipality):
        return instance.pk
    if isinstance(instance, _OWN):
        return instance.municipality_id
    if isinstance(instance, (Unit, Closure)):
        facilities = Facility.objects.filter(pk=instance.facility_id)
        return facilities.values_list("municipality_id", flat=True).first()
    if isinstance(instance, FeeRule):
        units = Unit.objects.filter(pk=instance.unit_id)
        return units.values_list("facility__municipality_id", flat=True).first()
    if isinstance(instance, Slot):
        schedules = SlotSchedule.objects.filter(pk=instance.schedule_id)
        return schedules.values_list("municipality_id", flat=True).first()
    return None


def _changed(sender, instance, **kwargs) -> None:
    if kwargs.get("raw"):
        return  # loading fixtures: nothing is cached yet
    setup_cache.bump(_municipality_id(instance))
    if isinstance(instance, Closure | Unit):
        # A facility's availability is cached with its closures and its list of units
        # (reservations.selectors.facilities_occupancy): whichever way they change.
        availability_changed([instance.facility_id])


def _purposes_changed(sender, instance, action, **kwargs) -> None:
    if action.startswith("post_"):
        setup_cache.bump(_municipality_id(instance))


def connect() -> None:
    for model in (Municipality, *_OWN, Unit, Closure, FeeRule, Slot):
        post_save.connect(_changed, sender=model, dispatch_uid=f"setup-save-{model.__name__}")
        pre_delete.connect(_changed, sender=model, dispatch_uid=f"setup-delete-{model.__name__}")
    m2m_changed.connect(
        _purposes_changed, sender=Unit.purposes.through, dispatch_uid="setup-unit-purposes"
    )
