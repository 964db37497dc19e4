"""The staff console for lottery rounds: create, demand, 「今すぐ抽選する」, publication,
rounds on a schedule; admins only, own municipality only, every view of applicants audited."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests import factories as f
from tests.reservations.helpers import registrant, resort
from tests.staff.test_console import login
from yoyaku.core import clock
from yoyaku.core.models import AuditLog, User
from yoyaku.lottery import services
from yoyaku.lottery.models import LotteryApplication, LotteryRound, LotteryRoundSchedule
from yoyaku.lottery.schedules import schedule_create

pytestmark = pytest.mark.django_db

STAY = dt.date(2026, 8, 8)  # "today" is 2026-06-01 10:00 (conftest); applications open
MONTHLY = {"name_template": "{year}年{month}月", "open_day": 1, "close_day": 10, "draw_day": 15}


@pytest.fixture
def admin(minato):
    return f.staff_user(minato)


@pytest.fixture
def room_type(minato):
    _facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    return room_type


def make_round(municipality, units, **overrides) -> LotteryRound:
    fields = {
        "name": "2026年8月宿泊分",
        "use_from": dt.date(2026, 8, 1),
        "use_until": dt.date(2026, 8, 31),
        "applications_open_at": clock.at(dt.date(2026, 6, 1), dt.time(8)),
        "applications_close_at": clock.at(dt.date(2026, 6, 10), dt.time(23, 59)),
        "draw_at": clock.at(dt.date(2026, 6, 25), dt.time(10)),
        "confirm_deadline": clock.at(dt.date(2026, 6, 30), dt.time(23, 59)),
        "first_come_opens_at": clock.at(dt.date(2026, 7, 1), dt.time(9)),
        **overrides,
    }
    return services.round_create(municipality=municipality, by=None, units=units, **fields)


def apply(lottery, unit, *days: dt.date, municipality):
    person = registrant(municipality)
    choices = [services.ChoiceRequest(unit=unit, use_date=day, nights=1, adults=2) for day in days]
    return services.lottery_apply(
        lottery=lottery, registrant=person, choices=choices, by=person.user
    )


def round_form(unit, **overrides) -> dict:
    data = {
        "name": "2026年9月利用分",
        "units": [unit.pk],
        "use_from": "2026-09-01",
        "use_until": "2026-09-30",
        "applications_open_at": "2026-07-01T08:00",
        "applications_close_at": "2026-07-10T23:59",
        "draw_at": "2026-07-15T10:00",
        "confirm_deadline": "2026-07-20T23:59",
        "first_come_opens_at": "2026-07-21T09:00",
        "max_applications_per_registrant": "2",
        "max_choices": "3",
        "max_wins_per_registrant": "1",
        "eligible_categories": ["resident", "worker"],
        "groups_first": "on",
        "loser_weight_rounds": "2",
        "cancelled_win_release_hours": "12",
    }
    data.update(overrides)
    return data


def error_of(body: str, field: str) -> str:
    """The error text shown next to a field (citizen/_field.html), or ''."""
    match = re.search(rf'id="id_{field}_error">([^<]*)<', body)
    return match.group(1) if match else ""


# — who may see what —


def test_facility_staff_may_not_open_the_lottery_console(client, minato, room_type):
    f.staff_user(minato, role=User.StaffRole.FACILITY, login_id="hoyou")
    lottery = make_round(minato, [room_type])
    login(client, minato, login_id="hoyou")
    assert client.get("/staff/lottery/").status_code == 403
    assert client.get("/staff/lottery/new/").status_code == 403
    assert client.get(f"/staff/lottery/{lottery.pk}/").status_code == 403
    assert client.post(f"/staff/lottery/{lottery.pk}/draw/").status_code == 403
    assert client.get("/staff/lottery/schedules/").status_code == 403


def test_a_round_of_another_municipality_is_not_found(client, minato, admin, room_type):
    other = f.MunicipalityFactory(slug="ukiha")
    _facility, theirs = resort(other)
    lottery = make_round(other, [theirs])
    login(client, minato)
    assert client.get(f"/staff/lottery/{lottery.pk}/").status_code == 404
    assert client.get(f"/staff/lottery/{lottery.pk}/applications/").status_code == 404
    assert client.post(f"/staff/lottery/{lottery.pk}/draw/").status_code == 404
    assert "2026年8月宿泊分" not in client.get("/staff/lottery/").content.decode()


# — creating a round —


def test_admin_creates_a_round_through_the_form(client, minato, admin, room_type):
    login(client, minato)
    page = client.get("/staff/lottery/new/").content.decode()
    assert room_type.facility.display_name in page  # units grouped by facility
    response = client.post("/staff/lottery/new/", round_form(room_type))
    lottery = LotteryRound.objects.get(name="2026年9月利用分")
    assert response.status_code == 302
    assert response["Location"] == f"/staff/lottery/{lottery.pk}/"
    assert list(lottery.units.all()) == [room_type]
    assert clock.local(lottery.applications_open_at) == clock.at(dt.date(2026, 7, 1), dt.time(8))
    assert clock.local(lottery.first_come_opens_at) == clock.at(dt.date(2026, 7, 21), dt.time(9))
    assert lottery.eligible_categories == ["resident", "worker"]
    assert lottery.groups_first and lottery.loser_weight_rounds == 2
    assert lottery.cancelled_win_release_hours == 12
    assert lottery.seed_sha256
    assert AuditLog.objects.filter(
        action="lottery.create", actor=admin, target_id=str(lottery.pk)
    ).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"applications_close_at": "2026-07-01T08:00"},
            "applications_close_at",
            "受付終了は受付開始より後にしてください。",
        ),
        ({"draw_at": "2026-07-10T12:00"}, "draw_at", "抽選日時は受付終了以降にしてください。"),
        (
            {"first_come_opens_at": "2026-07-15T09:00", "confirm_deadline": "2026-07-15T09:00"},
            "first_come_opens_at",
            "先着順の受付開始は抽選日時以降にしてください。",
        ),
        (
            {"confirm_deadline": "2026-07-15T10:00"},
            "confirm_deadline",
            "当選の確認期限は抽選日時より後にしてください。",
        ),
        (
            {"confirm_deadline": "2026-07-22T23:59"},
            "confirm_deadline",
            "当選の確認期限は先着順の受付開始までにしてください。",
        ),
        (
            {"use_from": "2026-07-10"},
            "use_from",
            "対象の利用日は、受付終了の翌日以降にしてください。",
        ),
        ({"use_until": "2026-08-31"}, "use_until", "終了日は開始日以降にしてください。"),
        ({"max_choices": "4"}, "max_choices", ""),
        ({"units": []}, "units", ""),
    ],
)
def test_times_out_of_order__say_why_next_to_the_field_and_keep_the_input(
    client, minato, admin, room_type, overrides, field, message
):
    login(client, minato)
    response = client.post("/staff/lottery/new/", round_form(room_type, **overrides))
    assert response.status_code == 400
    body = response.content.decode()
    shown = error_of(body, field)
    assert shown and (not message or message in shown)
    assert 'value="2026年9月利用分"' in body
    assert 'value="2026-07-01T08:00"' in body or field == "applications_close_at"
    assert not LotteryRound.objects.filter(name="2026年9月利用分").exists()


def test_a_second_round_of_the_same_name_is_refused(client, minato, admin, room_type):
    make_round(minato, [room_type], name="2026年9月利用分")
    login(client, minato)
    response = client.post("/staff/lottery/new/", round_form(room_type))
    assert error_of(response.content.decode(), "name") == "同じ名前の抽選がすでにあります。"


# — list, detail and demand —


def test_list_shows_phase_and_counts(client, minato, admin, room_type):
    lottery = make_round(minato, [room_type])
    apply(lottery, room_type, STAY, STAY + dt.timedelta(days=7), municipality=minato)
    withdrawn = apply(lottery, room_type, STAY, municipality=minato)
    services.lottery_withdraw(application=withdrawn, by=withdrawn.registrant.user)
    login(client, minato)
    body = client.get("/staff/lottery/").content.decode()
    row = body[body.index(f"/staff/lottery/{lottery.pk}/") :]
    row = row[: row.index("</tr>")]
    assert "受付中" in row
    assert re.findall(r'<td class="num">([^<]*)</td>', row) == ["1", "2", "－"]


def test_detail_shows_settings_commitment_and_demand_per_unit_date(
    client, minato, admin, room_type
):
    lottery = make_round(minato, [room_type])
    week = dt.timedelta(days=7)
    apply(lottery, room_type, STAY, STAY + week, municipality=minato)
    apply(lottery, room_type, STAY, municipality=minato)
    apply(lottery, room_type, STAY + week, municipality=minato)
    login(client, minato)
    body = client.get(f"/staff/lottery/{lottery.pk}/").content.decode()
    assert lottery.seed_sha256 in body
    assert services.round_seed(lottery).hex() not in body
    cells = re.findall(r"<tr>\s*<th scope=\"row\">([^<]*)</th>.*?</tr>", body, re.S)
    assert cells == ["2026年8月8日（土）", "2026年8月15日（土）"]
    counts = re.findall(r'<td class="num">(\d+)</td>', body)
    assert counts == ["2", "0", "0", "1", "1", "0"]  # 8/8: 2 first; 8/15: 1 first, 1 second
    assert "今すぐ抽選する" not in body  # applications are still open
    # The round pages name nobody; the applicants' page does, and is audited.
    assert not AuditLog.objects.filter(action="lottery.view").exists()


def test_the_applicants_page_is_audited(client, minato, admin, room_type):
    lottery = make_round(minato, [room_type])
    application = apply(lottery, room_type, STAY, municipality=minato)
    login(client, minato)
    body = client.get(f"/staff/lottery/{lottery.pk}/applications/").content.decode()
    assert application.registrant.user_number in body
    entry = AuditLog.objects.get(action="lottery.view")
    assert entry.actor == admin
    assert entry.target_id == str(lottery.pk)
    assert entry.data["applications"] == [application.pk]


# — 「今すぐ抽選する」 —


def test_draw_now__before_the_close__is_refused_with_the_reason(client, minato, admin, room_type):
    lottery = make_round(minato, [room_type])
    login(client, minato)
    response = client.post(f"/staff/lottery/{lottery.pk}/draw/")
    assert response.status_code == 409
    assert "申込みの受付期間中は抽選できません。" in response.content.decode()
    lottery.refresh_from_db()
    assert lottery.status != LotteryRound.Status.DRAWN
    assert not AuditLog.objects.filter(action="lottery.draw").exists()


def test_draw_now__after_the_close__draws_and_shows_how_to_verify(
    client, minato, admin, room_type, travel
):
    lottery = make_round(minato, [room_type])
    for _ in range(3):
        apply(lottery, room_type, STAY, municipality=minato)
    travel(dt.datetime(2026, 6, 11, 10, 0))  # closed; the drawing is due on 6/25
    login(client, minato)
    f.lottery_value_confirmed(lottery)
    before = client.get(f"/staff/lottery/{lottery.pk}/").content.decode()
    assert "今すぐ抽選する" in before
    response = client.post(f"/staff/lottery/{lottery.pk}/draw/")
    assert response.status_code == 302
    lottery.refresh_from_db()
    assert lottery.status == LotteryRound.Status.DRAWN
    assert LotteryApplication.objects.filter(round=lottery, status="won").count() == 2
    entry = AuditLog.objects.get(action="lottery.draw")
    assert entry.actor == admin and entry.target_id == str(lottery.pk)
    body = client.get(f"/staff/lottery/{lottery.pk}/").content.decode()
    assert "抽選を実行しました。" in body
    assert "当選 2件・落選 1件" in body
    assert f'href="/minato/lottery/{lottery.pk}/published.json"' in body
    assert f"manage.py verify_lottery {lottery.pk}" in body
    assert "python yoyaku/lottery/algorithm.py published.json" in body
    assert "今すぐ抽選する" not in body
    again = client.post(f"/staff/lottery/{lottery.pk}/draw/")
    assert again.status_code == 409
    assert "この抽選はすでに実施されています。" in again.content.decode()
    assert client.get(f"/minato/lottery/{lottery.pk}/published.json").json()["seed"]


# — rounds on a schedule —


def schedule_form(unit, **overrides) -> dict:
    data = {
        "name_template": "{year}年{month}月利用分",
        "units": [unit.pk],
        "months_ahead": "2",
        "open_day": "1",
        "close_day": "10",
        "draw_day": "15",
        "confirm_days": "5",
        "max_applications_per_registrant": "2",
        "max_choices": "2",
        "max_wins_per_registrant": "1",
        "loser_weight_rounds": "0",
        "cancelled_win_release_hours": "0",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_admin_adds_a_schedule_and_pauses_it(client, minato, admin, room_type):
    login(client, minato)
    response = client.post("/staff/lottery/schedules/", schedule_form(room_type))
    assert response.status_code == 302
    schedule = LotteryRoundSchedule.objects.get()
    assert (schedule.months_ahead, schedule.draw_day, schedule.max_choices) == (2, 15, 2)
    assert list(schedule.units.all()) == [room_type]
    assert AuditLog.objects.filter(action="lottery.schedule_create", actor=admin).exists()
    page = client.get("/staff/lottery/schedules/").content.decode()
    assert "2026年8月利用分（未作成）" in page
    client.post(f"/staff/lottery/schedules/{schedule.pk}/active/", {"active": "0"})
    schedule.refresh_from_db()
    assert not schedule.is_active
    assert AuditLog.objects.filter(action="lottery.schedule_pause", actor=admin).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"close_day": "20", "draw_day": "25", "open_day": "21"}, "close_day", "受付終了日は"),
        ({"draw_day": "10"}, "draw_day", "抽選日は受付終了日より後にしてください。"),
        ({"months_ahead": "1", "draw_day": "20", "confirm_days": "8"}, "confirm_days", "先着"),
        ({"name_template": "毎月の抽選"}, "name_template", "{year} と {month}"),
        ({"name_template": "{year}年{month}月{x}"}, "name_template", "だけです"),
        ({"draw_day": "29"}, "draw_day", ""),
    ],
)
def test_a_schedule_whose_days_do_not_follow_each_other_is_refused(
    client, minato, admin, room_type, overrides, field, message
):
    login(client, minato)
    response = client.post("/staff/lottery/schedules/", schedule_form(room_type, **overrides))
    assert response.status_code == 400
    shown = error_of(response.content.decode(), field)
    assert shown and message in shown
    assert not LotteryRoundSchedule.objects.exists()


def test_a_schedule_of_another_municipality_is_not_found(client, minato, admin, room_type):
    other = f.MunicipalityFactory(slug="ukiha")
    _facility, theirs = resort(other)
    schedule = schedule_create(municipality=other, by=None, units=[theirs], **MONTHLY)
    login(client, minato)
    response = client.post(f"/staff/lottery/schedules/{schedule.pk}/active/", {"active": "0"})
    assert response.status_code == 404
    schedule.refresh_from_db()
    assert schedule.is_active


def test_the_pages_run_a_fixed_number_of_queries(client, minato, admin, room_type):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    lottery = make_round(minato, [room_type])
    apply(lottery, room_type, STAY, municipality=minato)
    login(client, minato)
    pages = ["/staff/lottery/", f"/staff/lottery/{lottery.pk}/"]
    pages += [f"/staff/lottery/{lottery.pk}/applications/", "/staff/lottery/schedules/"]
    schedule_create(municipality=minato, by=None, units=[room_type], **MONTHLY)
    before = [queries(path) for path in pages]
    for month in (9, 10):
        first = dt.date(2026, month, 1)
        make_round(minato, [room_type], name=f"{month}月", use_from=first, use_until=first)
    schedule_create(
        municipality=minato,
        by=None,
        units=[room_type],
        **{**MONTHLY, "name_template": "{year}/{month}"},
    )
    week = dt.timedelta(days=7)
    for _ in range(3):
        apply(lottery, room_type, STAY + week, STAY + 2 * week, municipality=minato)
    assert [queries(path) for path in pages] == before


def test_the_public_value_is_entered_and_confirmed_by_two_staff_members_through_the_pages(
    client, minato, admin, room_type, travel
):
    lottery = make_round(minato, [room_type])
    apply(lottery, room_type, STAY, municipality=minato)
    travel(dt.datetime(2026, 6, 11, 10, 0))
    login(client, minato)
    body = client.get(f"/staff/lottery/{lottery.pk}/").content.decode()
    assert "今すぐ抽選する" not in body
    assert "公開乱数の値の入力" in body and "別の職員による公開乱数の値の確認" in body
    url = f"/staff/lottery/{lottery.pk}/public-value/"
    bad = client.post(url, {"step": "enter", "value": "12345"})
    assert bad.status_code == 400
    assert "drandの乱数は64桁の16進数" in bad.content.decode()
    assert 'value="12345"' in bad.content.decode()
    assert client.post(url, {"step": "enter", "value": f.PUBLIC_VALUE}).status_code == 302
    # The same person cannot confirm (the page offers them only to enter it again).
    same = client.post(url, {"step": "confirm", "value": f.PUBLIC_VALUE})
    assert same.status_code == 400
    assert "入力した職員とは別の職員が確認してください。" in same.content.decode()
    other = f.staff_user(minato, login_id="clerk2")
    client.force_login(other)
    page = client.get(f"/staff/lottery/{lottery.pk}/").content.decode()
    assert "公開乱数の値を確認する（二人目）" in page
    assert client.post(url, {"step": "confirm", "value": f.PUBLIC_VALUE}).status_code == 302
    body = client.get(f"/staff/lottery/{lottery.pk}/").content.decode()
    assert "今すぐ抽選する" in body
    actions = set(AuditLog.objects.values_list("action", "actor"))
    assert ("lottery.public_value_enter", admin.pk) in actions
    assert ("lottery.public_value_confirm", other.pk) in actions


def test_the_source_is_named_at_creation_and_changed_only_before_the_window_opens(
    client, minato, admin, room_type, travel
):
    login(client, minato)
    data = round_form(room_type)
    data.update(public_source_kind="named_draw", public_source_text="", public_value_at="")
    refused = client.post("/staff/lottery/new/", data)
    assert refused.status_code == 400
    data.update(
        public_source_text="第1950回ロト6（2026年8月10日）の本数字",
        public_value_at=data["applications_close_at"],
    )
    refused = client.post("/staff/lottery/new/", data)
    assert "受付終了より後にしてください" in refused.content.decode()
    data["public_value_at"] = "2026-08-10T19:00"
    assert client.post("/staff/lottery/new/", data).status_code == 302
    lottery = LotteryRound.objects.get(name=data["name"])
    assert lottery.public_source["description"] == "第1950回ロト6（2026年8月10日）の本数字"
    url = f"/staff/lottery/{lottery.pk}/public-source/"
    changed = client.post(
        url,
        {
            "public_source_kind": "drand",
            "public_source_text": "",
            "public_value_at": "2026-08-11T09:00",
        },
    )
    assert changed.status_code == 302
    lottery.refresh_from_db()
    assert lottery.public_source_kind == "drand"
    travel(clock.local(lottery.applications_open_at).replace(tzinfo=None))
    login(client, minato)
    locked = client.post(url, {"public_source_kind": "named_draw", "public_source_text": "x"})
    assert locked.status_code == 400
    assert "申込みの受付開始後は、公開乱数の出典を変更できません。" in locked.content.decode()
