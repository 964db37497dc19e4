"""Setup in the console (施設の設定): an administrator sets up a meeting room with its schedule
and fees through the pages and a citizen can book it; refusals stand next to their field;
facility staff reach only their own facilities; every change leaves an audit row."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests import factories as f
from tests.reservations import helpers
from tests.staff.test_console import login
from yoyaku.core.models import AuditLog, User
from yoyaku.facilities.models import Facility, FeeRule, Unit
from yoyaku.facilities.services import fee_table_required_keys
from yoyaku.reservations import booking, rules
from yoyaku.staff.setup_forms import FacilityForm, fee_days_field_name, fee_field_name

pytestmark = pytest.mark.django_db

USE_DAY = dt.date(2026, 6, 10)  # a Wednesday; "today" is Monday 2026-06-01 (conftest)


def facility_post(**overrides) -> dict:
    initial = FacilityForm.initial_of(None)
    data = {k: v for k, v in initial.items() if v is not None and not isinstance(v, (bool, list))}
    data.update(
        slug="chuo-kominkan",
        name="中央公民館",
        kind="hall",
        closed_at_year_end="on",
        is_active="on",
        cancellation_tiers="7 0\n2 50\n0 100",
    )
    data.update(overrides)
    return data


def test_admin_sets_up_a_meeting_room_in_the_console_and_a_citizen_books_it(client, ukiha):
    f.staff_user(ukiha)
    login(client, ukiha)

    response = client.post(
        "/staff/setup/schedules/",
        {
            "name": "2区分",
            "slots": "am 午前 9:00 12:00\npm 午後 13:00 17:00\nall-day 全日 9:00 17:00",
        },
    )
    assert response.status_code == 302

    response = client.post("/staff/setup/facilities/new/", facility_post())
    assert response.status_code == 302
    facility = Facility.objects.get(slug="chuo-kominkan")
    assert facility.tiers()[0].days_before == 7

    schedule = ukiha.slot_schedules.get(name="2区分")
    response = client.post(
        f"/staff/setup/facilities/{facility.pk}/units/new/",
        {
            "name": "第1会議室",
            "booking_kind": "slot",
            "slot_schedule": schedule.pk,
            "capacity": "20",
            "order": "1",
            "is_active": "on",
        },
    )
    room = Unit.objects.get(facility=facility, name="第1会議室")
    assert response["Location"] == f"/staff/setup/units/{room.pk}/fees/"

    page = client.get(f"/staff/setup/units/{room.pk}/fees/")
    # The simple case: one price for all days (the default of every row).
    fields = re.findall(r'name="(fee_[^"_]+_(?:resident|non_resident))"', page.content.decode())
    assert len(fields) == 6  # three blocks × resident / non-resident
    data = {"effective_from": "2026-06-01"}
    data.update({name: "800" if name.endswith("_resident") else "1600" for name in fields})
    response = client.post(f"/staff/setup/units/{room.pk}/fees/", data)
    assert response.status_code == 302
    assert FeeRule.objects.filter(unit=room).count() == 6

    # After the change: a link to the public calendar of the room.
    page = client.get(response["Location"]).content.decode()
    assert f"/ukiha/facilities/chuo-kominkan/calendar/?unit={room.pk}" in page

    person = helpers.registrant(ukiha)
    reservation = helpers.book_slot(person, room, USE_DAY, "am", party=8)
    assert reservation.fee_total == 800

    actions = set(AuditLog.objects.filter(via="staff").values_list("action", flat=True))
    assert {
        "slot_schedule.create",
        "facility.create",
        "unit.create",
        "fee_table.publish",
    } <= actions


def test_a_refused_setting_is_shown_next_to_its_field(client, ukiha):
    f.staff_user(ukiha)
    login(client, ukiha)
    response = client.post(
        "/staff/setup/facilities/new/", facility_post(cancellation_tiers="7 50\n1 10")
    )
    assert response.status_code == 200
    html = response.content.decode()
    error = re.search(r'id="id_cancellation_tiers_error">([^<]+)<', html)
    assert error is not None and "利用日が近いほど" in error.group(1)
    assert 'aria-describedby="id_cancellation_tiers_helptext id_cancellation_tiers_error"' in html
    assert not Facility.objects.exists()

    response = client.post("/staff/setup/facilities/new/", facility_post(season_start_month="4"))
    assert re.search(r'id="id_season_start_month_error">[^<]*営業期間', response.content.decode())


def test_facility_staff_set_up_their_own_facility_and_no_other(client, ukiha):
    own = f.FacilityFactory(municipality=ukiha, name="自分の館")
    other = f.FacilityFactory(municipality=ukiha, name="よその館")
    other_room = f.slot_unit(other)
    staff = f.staff_user(ukiha, role=User.StaffRole.FACILITY, login_id="kanri")
    staff.facilities.add(own)
    login(client, ukiha, login_id="kanri")

    assert client.get(f"/staff/setup/facilities/{own.pk}/").status_code == 200
    for url in (
        f"/staff/setup/facilities/{other.pk}/",
        f"/staff/setup/facilities/{other.pk}/units/new/",
        f"/staff/setup/units/{other_room.pk}/",
        f"/staff/setup/units/{other_room.pk}/fees/",
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        f"/staff/setup/facilities/{other.pk}/",
        facility_post(name="乗っ取り"),
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.name == "よその館"
    # The municipality's own setup is for administrators.
    for url in (
        "/staff/setup/facilities/new/",
        "/staff/setup/schedules/",
        "/staff/setup/reductions/",
    ):
        assert client.get(url).status_code == 403, url

    response = client.post(
        f"/staff/setup/facilities/{own.pk}/closures/",
        {"start_date": "2026-06-10", "end_date": "2026-06-12", "reason": "施設点検"},
    )
    assert response.status_code == 302
    row = AuditLog.objects.get(action="closure.add")
    assert row.actor == staff


def test_staff_of_another_municipality_find_nothing(client, ukiha, minato):
    hall = f.FacilityFactory(municipality=ukiha)
    f.staff_user(minato, login_id="minato-admin")
    login(client, minato, login_id="minato-admin")
    assert client.get(f"/staff/setup/facilities/{hall.pk}/").status_code == 404


def test_a_closure_with_its_end_before_its_start_is_refused_next_to_the_end_date(client, ukiha):
    hall = f.FacilityFactory(municipality=ukiha)
    f.staff_user(ukiha)
    login(client, ukiha)
    response = client.post(
        f"/staff/setup/facilities/{hall.pk}/closures/",
        {"start_date": "2026-06-12", "end_date": "2026-06-10", "reason": "点検"},
    )
    assert response.status_code == 400
    assert re.search(r'id="id_end_date_error">[^<]*終了日', response.content.decode())


def test_reduction_categories_are_created_and_edited_with_audit_rows(client, ukiha):
    f.staff_user(ukiha)
    login(client, ukiha)
    response = client.post(
        "/staff/setup/reductions/",
        {"name": "障害者手帳", "percent": "100", "requires_approval": "on", "order": "0"},
    )
    assert response.status_code == 302
    category = ukiha.reduction_categories.get()
    response = client.post(
        f"/staff/setup/reductions/{category.pk}/",
        {"name": "障害者手帳", "percent": "150", "order": "0"},
    )
    assert re.search(r'id="id_percent_error">[^<]*1～100', response.content.decode())
    assert list(AuditLog.objects.values_list("action", flat=True).order_by("id"))[-1] == (
        "reduction_category.create"
    )


# — fee tables with day classes and, for lodging, adult / child prices —

SATURDAY = dt.date(2026, 6, 13)
THURSDAY = dt.date(2026, 6, 11)


def fee_post(unit: Unit, price) -> dict:
    """The fee page's form: ``price(slot_id, rate, person)`` gives one amount for all days
    or a (weekday, weekend) pair, as a clerk would fill each row."""
    data = {"effective_from": "2026-06-01"}
    for slot_id, rate, person in fee_table_required_keys(unit):
        amount = price(slot_id, rate, person)
        if isinstance(amount, tuple):
            data[fee_days_field_name(slot_id, rate, person)] = "split"
            data[fee_field_name(slot_id, rate, person, "weekday")] = amount[0]
            data[fee_field_name(slot_id, rate, person, "weekend_holiday")] = amount[1]
        else:
            data[fee_days_field_name(slot_id, rate, person)] = "any"
            data[fee_field_name(slot_id, rate, person)] = amount
    return data


def test_a_room_priced_by_weekday_and_weekend_charges_the_weekend_price_on_a_saturday(
    client, ukiha
):
    room = f.slot_unit(f.FacilityFactory(municipality=ukiha))
    f.staff_user(ukiha)
    login(client, ukiha)
    page = client.get(f"/staff/setup/units/{room.pk}/fees/").content.decode()
    assert '<th scope="col">土日祝</th>' in page

    def price(slot_id, rate, person):
        return ("1000", "1500") if rate == FeeRule.RateClass.RESIDENT else "3000"

    response = client.post(f"/staff/setup/units/{room.pk}/fees/", fee_post(room, price))
    assert response.status_code == 302

    person = helpers.registrant(ukiha)
    saturday = rules.BookingRequest(
        registrant=person, unit=room, use_date=SATURDAY, slots=[f.slot(room, "am")], party_size=5
    )
    assert booking.reservation_quote(saturday).total == 1500
    assert helpers.book_slot(person, room, SATURDAY, "am", party=5).fee_total == 1500
    assert helpers.book_slot(person, room, USE_DAY, "am", party=5).fee_total == 1000


def test_a_resort_room_priced_for_adults_children_and_the_night_before_a_day_off(client, ukiha):
    resort = f.FacilityFactory(municipality=ukiha, kind="resort", closed_at_year_end=False)
    room_type = f.lodging_unit(resort)
    f.staff_user(ukiha)
    login(client, ukiha)
    page = client.get(f"/staff/setup/units/{room_type.pk}/fees/").content.decode()
    assert '<th scope="col">休前日</th>' in page
    assert '<th scope="row">子ども 区域内（在住・在勤）</th>' in page

    resident = {
        FeeRule.PersonClass.ADULT: ("5000", "6500"),
        FeeRule.PersonClass.CHILD: ("2500", "3200"),
    }

    def price(slot_id, rate, person):
        return resident[person] if rate == FeeRule.RateClass.RESIDENT else "9000"

    response = client.post(f"/staff/setup/units/{room_type.pk}/fees/", fee_post(room_type, price))
    assert response.status_code == 302

    request = rules.BookingRequest(
        registrant=helpers.registrant(ukiha),
        unit=room_type,
        use_date=THURSDAY,
        nights=2,
        adults=2,
        children=1,
    )
    quote = booking.reservation_quote(request)
    assert [(line.description, line.amount) for line in quote.lines] == [
        ("2026年6月11日（木）泊 大人 区域内 平日", 10000),
        ("2026年6月11日（木）泊 子ども 区域内 平日", 2500),
        ("2026年6月12日（金）泊 大人 区域内 休前日", 13000),
        ("2026年6月12日（金）泊 子ども 区域内 休前日", 3200),
    ]
    assert quote.total == 28700


def test_a_bad_price_is_refused_next_to_its_field_and_no_table_is_written(client, ukiha):
    room = f.slot_unit(f.FacilityFactory(municipality=ukiha))
    f.staff_user(ukiha)
    login(client, ukiha)
    am, pm, night = (f.slot(room, code).pk for code in ("am", "pm", "night"))
    resident, non_resident = FeeRule.RateClass.RESIDENT, FeeRule.RateClass.NON_RESIDENT
    bad = {
        (am, resident): "-100",
        (pm, resident): "千円",
        (night, resident): ("1000", ""),  # split into weekday and weekend: no weekend price
    }

    def price(slot_id, rate, person):
        return bad.get((slot_id, rate), "1000")

    response = client.post(f"/staff/setup/units/{room.pk}/fees/", fee_post(room, price))

    assert response.status_code == 200
    html = response.content.decode()

    def error_of(name):
        match = re.search(rf'id="id_{name}_error">([^<]+)<', html)
        assert match is not None, name
        assert f'aria-describedby="id_{name}_error"' in html
        return match.group(1)

    assert "0以上" in error_of(fee_field_name(am, resident, "any"))
    assert "半角数字" in error_of(fee_field_name(pm, resident, "any"))
    assert "土日祝" in error_of(fee_field_name(night, resident, "any", "weekend_holiday"))
    # The rows left alone carry no message.
    assert f'id="id_{fee_field_name(am, non_resident, "any")}_error"' not in html
    assert not FeeRule.objects.filter(unit=room).exists()
