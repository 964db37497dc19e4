"""Writes of facilities: the setup a municipality does in the staff console (施設の設定).

Every service takes typed keyword-only input, checks it, writes in one transaction and appends
an audit row. A refusal is a ``DomainError`` naming the input it is about (``field``), so the
console shows the Japanese message next to that field and any other caller gets the same words.

Fee tables are never edited in place: :func:`fee_table_publish` adds a new table from a date and
ends the one before it the day before, so the history stays and a reservation, which stores the
breakdown it was priced with, keeps its fee.
"""

from yoyaku.facilities.services.fees import (
    FeeLineSpec,
    ReductionSettings,
    closure_add,
    closure_remove,
    fee_table_publish,
    fee_table_required_keys,
    reduction_category_create,
    reduction_category_update,
)
from yoyaku.facilities.services.setup import (
    FacilitySettings,
    SlotSpec,
    UnitSettings,
    facility_create,
    facility_settings_check,
    facility_update,
    slot_schedule_create,
    slots_classify,
    unit_create,
    unit_update,
)

__all__ = [
    "FacilitySettings",
    "FeeLineSpec",
    "ReductionSettings",
    "SlotSpec",
    "UnitSettings",
    "closure_add",
    "closure_remove",
    "facility_create",
    "facility_settings_check",
    "facility_update",
    "fee_table_publish",
    "fee_table_required_keys",
    "reduction_category_create",
    "reduction_category_update",
    "slot_schedule_create",
    "slots_classify",
    "unit_create",
    "unit_update",
]
