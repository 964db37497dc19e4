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
from yoyaku.staff.setup_forms import FacilityForm

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
    fields = re.findall(r'name="(fee_[^"]+)"', page.content.decode())
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
