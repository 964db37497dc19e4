"""Setup services (施設の設定): what staff type is checked with a message about the field, each
write leaves an audit row, and a new fee table takes effect from its date while bookings
already made keep the fee they were told."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.reservations import helpers
from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditLog
from yoyaku.facilities import services
from yoyaku.facilities.models import Closure, FeeRule, Unit
from yoyaku.facilities.selectors import closed_reason, holidays_between

pytestmark = pytest.mark.django_db

USE_DAY = dt.date(2026, 7, 15)  # a Wednesday; "today" is Monday 2026-06-01 (conftest)


@pytest.fixture
def admin(ukiha):
    return f.staff_user(ukiha)


def _settings(**overrides) -> services.FacilitySettings:
    values = {"name": "中央公民館", "kind": "hall"}
    values.update(overrides)
    return services.FacilitySettings(**values)


def test_facility_create__writes_the_facility_and_an_audit_row(ukiha, admin):
    facility = services.facility_create(
        municipality=ukiha,
        by=admin,
        slug="chuo-kominkan",
        settings=_settings(
            weekly_closed_days=(0,),
            cancellation_tiers=(
                {"days_before": 7, "percent": 0},
                {"days_before": 0, "percent": 100},
            ),
        ),
    )
    assert facility.weekly_closed_days == [0]
    row = AuditLog.objects.get(action="facility.create")
    assert (row.actor, row.target_id) == (admin, str(facility.pk))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": " "}, "name"),
        ({"weekly_closed_days": (7,)}, "weekly_closed_days"),
        ({"season_start_month": 4}, "season_start_month"),
        (
            {
                "season_start_month": 2,
                "season_start_day": 30,
                "season_end_month": 3,
                "season_end_day": 1,
            },
            "season_start_month",
        ),
        ({"opens_months_before": 1, "closes_days_before": 40}, "closes_days_before"),
        ({"allowed_categories": ("tourist",)}, "allowed_categories"),
        ({"payment_methods": ("cash",)}, "payment_methods"),
        (
            {
                "cancellation_tiers": (
                    {"days_before": 7, "percent": 50},
                    {"days_before": 1, "percent": 10},
                )
            },
            "cancellation_tiers",
        ),
        ({"commercial_multiplier_percent": 50}, "commercial_multiplier_percent"),
    ],
)
def test_facility_settings__refused_with_the_field_named(ukiha, admin, overrides, field):
    with pytest.raises(DomainError) as caught:
        services.facility_create(
            municipality=ukiha, by=admin, slug="kan", settings=_settings(**overrides)
        )
    assert caught.value.field == field
    assert caught.value.message  # a Japanese sentence, not a code


def test_falling_cancellation_tiers__say_why_in_japanese(ukiha, admin):
    tiers = ({"days_before": 7, "percent": 50}, {"days_before": 1, "percent": 10})
    with pytest.raises(DomainError) as caught:
        services.facility_create(
            municipality=ukiha, by=admin, slug="kan", settings=_settings(cancellation_tiers=tiers)
        )
    assert "利用日が近いほど" in caught.value.message


def test_facility_update__records_each_change_before_and_after(ukiha, admin):
    facility = f.FacilityFactory(municipality=ukiha, name="旧名称")
    services.facility_update(facility=facility, by=admin, settings=_settings(name="新名称"))
    facility.refresh_from_db()
    assert facility.name == "新名称"
    row = AuditLog.objects.get(action="facility.update")
    assert row.data["changes"]["name"] == ["旧名称", "新名称"]


def _three_blocks():
    t = dt.time
    return [
        services.SlotSpec("am", "午前", t(9), t(12)),
        services.SlotSpec("pm", "午後", t(13), t(17)),
        services.SlotSpec("all-day", "全日", t(9), t(17)),
    ]


def test_slot_schedule__a_block_containing_others_is_a_combined_block(ukiha, admin):
    schedule = services.slot_schedule_create(
        municipality=ukiha, by=admin, name="2区分", slots=_three_blocks()
    )
    basic = {s.code: s.is_basic for s in schedule.slots.all()}
    assert basic == {"am": True, "pm": True, "all-day": False}
    assert AuditLog.objects.filter(action="slot_schedule.create").count() == 1


def test_slot_schedule__a_combined_block_must_end_where_a_basic_block_ends(ukiha, admin):
    slots = [*_three_blocks()[:2], services.SlotSpec("long", "長時間", dt.time(9), dt.time(14))]
    with pytest.raises(DomainError) as caught:
        services.slot_schedule_create(municipality=ukiha, by=admin, name="x", slots=slots)
    assert caught.value.code == "slot_combined_misaligned"


def test_unit__a_part_takes_its_whole_schedule_and_lodging_needs_rooms(ukiha, admin):
    facility = f.FacilityFactory(municipality=ukiha)
    whole = f.slot_unit(facility, "体育館全面")
    other = services.slot_schedule_create(
        municipality=ukiha, by=admin, name="2区分", slots=_three_blocks()
    )
    with pytest.raises(DomainError) as caught:
        services.unit_create(
            facility=facility,
            by=admin,
            settings=services.UnitSettings(
                name="半面", booking_kind="slot", parent=whole, slot_schedule=other
            ),
        )
    assert caught.value.field == "slot_schedule"
    with pytest.raises(DomainError) as caught:
        services.unit_create(
            facility=facility,
            by=admin,
            settings=services.UnitSettings(name="和室", booking_kind="lodging"),
        )
    assert caught.value.field == "room_count"
    part = services.unit_create(
        facility=facility,
        by=admin,
        settings=services.UnitSettings(
            name="半面", booking_kind="slot", parent=whole, slot_schedule=whole.slot_schedule
        ),
    )
    assert part.parent == whole
    # A whole may not become a part of its own part.
    with pytest.raises(DomainError) as caught:
        services.unit_update(
            unit=whole,
            by=admin,
            settings=services.UnitSettings(
                name="体育館全面",
                booking_kind="slot",
                parent=part,
                slot_schedule=whole.slot_schedule,
            ),
        )
    assert caught.value.field == "parent"


def _table(unit: Unit, resident: int) -> list[services.FeeLineSpec]:
    return [
        services.FeeLineSpec(rate_class=rate, amount_yen=amount, slot=slot)
        for slot in unit.slot_schedule.slots.all()
        for rate, amount in (("resident", resident), ("non_resident", resident * 2))
    ]


def test_fee_table__a_booking_keeps_its_fee_and_the_next_gets_the_new_table(ukiha, admin):
    facility = f.FacilityFactory(municipality=ukiha, cancellation_tiers=helpers.TIERS)
    room = f.slot_unit(facility, "会議室")
    services.fee_table_publish(
        unit=room, by=admin, effective_from=clock.today(), lines=_table(room, 1000)
    )
    person = helpers.registrant(ukiha)
    before = helpers.book_slot(person, room, USE_DAY, "am", party=5)
    assert before.fee_total == 1000

    services.fee_table_publish(
        unit=room, by=admin, effective_from=dt.date(2026, 7, 1), lines=_table(room, 1500)
    )
    after = helpers.book_slot(person, room, USE_DAY, "pm", party=5)
    before.refresh_from_db()
    assert (before.fee_total, after.fee_total) == (1000, 1500)
    # The old table stays as history, ended the day before the new one.
    old = FeeRule.objects.filter(unit=room, effective_from=clock.today())
    assert old.count() == 12
    assert set(old.values_list("effective_until", flat=True)) == {dt.date(2026, 6, 30)}
    assert AuditLog.objects.filter(action="fee_table.publish").count() == 2


def test_fee_table__refuses_a_past_date_a_gap_and_a_date_before_a_later_table(ukiha, admin):
    facility = f.FacilityFactory(municipality=ukiha)
    room = f.slot_unit(facility, "会議室")
    with pytest.raises(DomainError) as caught:
        services.fee_table_publish(
            unit=room, by=admin, effective_from=dt.date(2026, 5, 1), lines=_table(room, 1000)
        )
    assert caught.value.code == "fee_table_past"
    with pytest.raises(DomainError) as caught:
        services.fee_table_publish(
            unit=room, by=admin, effective_from=clock.today(), lines=_table(room, 1000)[:-1]
        )
    assert caught.value.code == "fee_table_incomplete"
    services.fee_table_publish(
        unit=room, by=admin, effective_from=dt.date(2026, 8, 1), lines=_table(room, 1000)
    )
    with pytest.raises(DomainError) as caught:
        services.fee_table_publish(
            unit=room, by=admin, effective_from=dt.date(2026, 7, 1), lines=_table(room, 900)
        )
    assert caught.value.code == "fee_table_later_exists"


def test_fee_table__a_split_row_needs_both_day_classes_and_one_price_each(ukiha, admin):
    room = f.slot_unit(f.FacilityFactory(municipality=ukiha), "会議室")
    am = f.slot(room, "am")
    flat = [
        line
        for line in _table(room, 1000)
        if not (line.slot == am and line.rate_class == "resident")
    ]
    weekday = services.FeeLineSpec(
        rate_class="resident", amount_yen=1000, slot=am, day_class=FeeRule.DayClass.WEEKDAY
    )
    weekend = services.FeeLineSpec(
        rate_class="resident",
        amount_yen=1500,
        slot=am,
        day_class=FeeRule.DayClass.WEEKEND_HOLIDAY,
    )
    with pytest.raises(DomainError) as caught:
        services.fee_table_publish(
            unit=room, by=admin, effective_from=clock.today(), lines=[*flat, weekday]
        )
    assert caught.value.code == "fee_table_incomplete"
    assert "土日祝" in caught.value.message
    with pytest.raises(DomainError) as caught:
        services.fee_table_publish(
            unit=room, by=admin, effective_from=clock.today(), lines=[*flat, weekday, weekday]
        )
    assert caught.value.code == "fee_table_duplicate"

    services.fee_table_publish(
        unit=room, by=admin, effective_from=clock.today(), lines=[*flat, weekday, weekend]
    )
    assert set(
        FeeRule.objects.filter(unit=room, slot=am, rate_class="resident").values_list(
            "day_class", "amount_yen"
        )
    ) == {("weekday", 1000), ("weekend_holiday", 1500)}


def test_closure__closes_the_days_and_removing_it_opens_them_again(ukiha, admin):
    facility = f.FacilityFactory(municipality=ukiha)
    closure = services.closure_add(
        facility=facility,
        by=admin,
        start_date=USE_DAY,
        end_date=USE_DAY,
        reason="空調設備の修繕",
    )
    holidays = holidays_between(USE_DAY - dt.timedelta(days=10), USE_DAY)
    assert (
        closed_reason(facility=facility, day=USE_DAY, holidays=holidays, closures=[closure])
        == "空調設備の修繕"
    )
    services.closure_remove(closure=closure, by=admin)
    assert not Closure.objects.exists()
    assert [r.action for r in AuditLog.objects.order_by("id")] == ["closure.add", "closure.remove"]


def test_reduction_category__percent_is_checked_and_changes_audited(ukiha, admin):
    with pytest.raises(DomainError) as caught:
        services.reduction_category_create(
            municipality=ukiha, by=admin, settings=services.ReductionSettings(name="x", percent=0)
        )
    assert caught.value.field == "percent"
    category = services.reduction_category_create(
        municipality=ukiha,
        by=admin,
        settings=services.ReductionSettings(name="65歳以上", percent=50, min_age=65),
    )
    services.reduction_category_update(
        category=category,
        by=admin,
        settings=services.ReductionSettings(name="65歳以上", percent=30, min_age=65),
    )
    row = AuditLog.objects.get(action="reduction_category.update")
    assert row.data["changes"] == {"percent": [50, 30]}
