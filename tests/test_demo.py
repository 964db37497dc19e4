"""The demo data loader and ``manage.py load_demo``."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command

from yoyaku.core import clock
from yoyaku.core.models import Municipality, Notice, User
from yoyaku.demo.data import load_demo
from yoyaku.demo.people import REGISTRANTS
from yoyaku.demo.specs import DEMO_STAFF_PASSWORD
from yoyaku.facilities.models import Facility, FeeRule, Unit
from yoyaku.lottery.models import LotteryRound
from yoyaku.registrants.models import Registrant
from yoyaku.reservations.models import UnitBlock
from yoyaku.reservations.selectors import Mark, _units_queryset, availability_grid

pytestmark = pytest.mark.django_db

# 004 art. 2(2) ア–サ, in that order.
UKIHA_FACILITY_NAMES = [
    "るり色ふるさと館",
    "うきは市文化会館",
    "うきは市民ホール",
    "うきは市吉井体育センター",
    "うきは市スポーツアイランド",
    "うきは市船越運動公園",
    "うきは市浮羽体育センター",
    "うきは市大春トリムセンター",
    "菊竹六皷記念館",
    "居蔵の館",
    "うきは市民センター(うきは市立図書館)3階",
]

# A Wednesday in spring, away from the year-end closure and from winter-only seasons.
DEMO_MOMENT = dt.datetime(2026, 5, 13, 9, 0)


def _row_counts() -> dict[str, int]:
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        counts[model._meta.label] = model._default_manager.count()
    return counts


@pytest.fixture
def demo(travel):
    travel(DEMO_MOMENT)
    return load_demo()


def _slot_fee(unit: Unit, code: str, rate_class: str = FeeRule.RateClass.RESIDENT) -> int:
    return unit.fee_rules.get(slot__code=code, rate_class=rate_class).amount_yen


def test_load_demo__creates_the_eleven_ukiha_facilities_of_article_2(demo):
    ukiha = Municipality.objects.get(slug="ukiha")
    names = list(Facility.objects.filter(municipality=ukiha).values_list("name", flat=True))
    assert names == UKIHA_FACILITY_NAMES
    assert ukiha.registration_mode == Municipality.RegistrationMode.REVIEW_BEFORE_BOOKING
    assert ukiha.allows_groups is True
    assert all(f.slug.isascii() for f in Facility.objects.filter(municipality=ukiha))


def test_load_demo__creates_three_minato_resorts_with_lodging_units_only(demo):
    minato = Municipality.objects.get(slug="minato")
    resorts = Facility.objects.filter(municipality=minato)
    assert sorted(resorts.values_list("name", flat=True)) == sorted(
        ["大平台みなと荘", "ラビスタ伊豆山", "熱川プリンスホテル"]
    )
    assert {f.kind for f in resorts} == {Facility.Kind.RESORT}
    assert not any(f.closed_at_year_end for f in resorts)
    units = Unit.objects.filter(facility__municipality=minato)
    assert units.count() == 6
    for unit in units:
        assert unit.is_lodging and unit.slot_schedule is None and unit.room_count
        kinds = set(unit.fee_rules.values_list("rate_class", "person_class", "day_class"))
        assert len(kinds) == 8  # resident/other x adult/child x weekday/weekend
    izusan = resorts.get(name="ラビスタ伊豆山")
    assert izusan.in_season(dt.date(2027, 1, 15)) and not izusan.in_season(dt.date(2026, 7, 1))
    assert minato.registration_mode == Municipality.RegistrationMode.BOOK_BEFORE_REVIEW
    assert "03-5434-7644" in minato.contact_text


def test_load_demo__every_ukiha_slot_unit_has_a_fee_for_every_slot_and_rate_class(demo):
    units = Unit.objects.filter(facility__municipality__slug="ukiha")
    assert units.exists()
    for unit in units:
        assert unit.booking_kind == Unit.BookingKind.SLOT
        expected = {
            (slot.pk, rate)
            for slot in unit.slot_schedule.slots.all()
            for rate in FeeRule.RateClass.values
        }
        assert set(unit.fee_rules.values_list("slot_id", "rate_class")) == expected, unit


def test_load_demo__combined_slots_cost_the_sum_of_their_parts(demo):
    hall = Unit.objects.get(facility__slug="bunka-kaikan", name="大ホール")
    parts = sum(_slot_fee(hall, code) for code in ("am", "pm", "night"))
    assert _slot_fee(hall, "all-day") == parts
    assert _slot_fee(hall, "am-pm") == _slot_fee(hall, "am") + _slot_fee(hall, "pm")


def test_load_demo__non_resident_fee_is_one_and_a_half_times_rounded_to_ten_yen(demo):
    for rule in FeeRule.objects.filter(
        unit__facility__municipality__slug="ukiha", rate_class=FeeRule.RateClass.NON_RESIDENT
    ).select_related("unit", "slot"):
        resident = _slot_fee(rule.unit, rule.slot.code)
        assert rule.amount_yen % 10 == 0
        assert abs(rule.amount_yen - resident * 1.5) <= 5


def test_load_demo__arena_halves_belong_to_the_whole_and_share_its_schedule(demo):
    for slug in ("yoshii-gym", "ukiha-gym"):
        whole = Unit.objects.get(facility__slug=slug, name="アリーナ全面")
        halves = Unit.objects.filter(facility__slug=slug, name__startswith="アリーナ半面")
        assert halves.count() == 2
        for half in halves:
            assert half.parent_id == whole.pk
            assert half.slot_schedule_id == whole.slot_schedule_id


def test_load_demo__courts_are_booked_by_the_hour(demo):
    court = Unit.objects.get(facility__slug="sports-island", name="テニスコート1")
    codes = list(court.slot_schedule.slots.values_list("code", flat=True))
    assert codes == [f"h{hour:02d}" for hour in range(9, 21)]
    assert _slot_fee(court, "h10") == 300


def test_load_demo__running_twice_on_the_same_day_adds_nothing(demo):
    before = _row_counts()
    second = load_demo()
    assert second.created_total == 0
    assert _row_counts() == before


def test_load_demo__a_run_in_a_later_week_or_month_still_succeeds(demo, travel):
    for days in (1, 7, 40):
        travel(DEMO_MOMENT + dt.timedelta(days=days))
        load_demo()
    assert Facility.objects.count() == 14  # reference data is never duplicated
    assert User.objects.count() == 10


def test_load_demo__lottery_round_covers_the_month_after_next_in_order(demo):
    lottery = LotteryRound.objects.get(municipality__slug="minato")
    assert lottery.name == "2026年7月宿泊分 抽選"
    assert (lottery.use_from, lottery.use_until) == (dt.date(2026, 7, 1), dt.date(2026, 7, 31))
    assert (
        lottery.applications_open_at
        < lottery.applications_close_at
        <= lottery.draw_at
        < lottery.first_come_opens_at
    )
    assert lottery.units.count() == Unit.objects.filter(facility__kind="resort").count()


def test_load_demo__lottery_month_wraps_over_the_new_year(travel):
    travel(dt.datetime(2026, 12, 2, 9, 0))
    load_demo()
    lottery = LotteryRound.objects.get(municipality__slug="minato")
    assert lottery.name == "2027年2月宿泊分 抽選"
    assert lottery.use_until == dt.date(2027, 2, 28)


def test_load_demo__calendars_show_every_mark(demo):
    units = list(_units_queryset())
    start = DEMO_MOMENT.date()
    grid = availability_grid(units=units, start=start, end=start + dt.timedelta(days=80))
    marks = Counter(day.mark for day in grid.values())
    assert set(marks) == set(Mark)
    assert UnitBlock.objects.exists()


def test_load_demo__publishes_two_notices_per_municipality(demo):
    counts = Counter(Notice.objects.values_list("municipality__slug", flat=True))
    assert counts == {"minato": 2, "ukiha": 2}
    full = Notice.objects.get(municipality__slug="minato", title__contains="熱川プリンスホテル")
    assert "2泊の当選者で満室になりました" in full.body


@pytest.mark.parametrize("slug", ["minato", "ukiha"])
def test_demo_registrants__log_in_with_user_number_and_birth_date(demo, slug):
    muni = Municipality.objects.get(slug=slug)
    for spec in REGISTRANTS[slug]:
        user = authenticate(
            None,
            municipality=muni,
            kind="registrant",
            login_id=spec.user_number,
            password=spec.birth_date.strftime("%Y%m%d"),
        )
        assert user is not None
        registrant = Registrant.objects.get(user=user)
        assert registrant.status == spec.status  # one Ukiha application waits for review
        assert "\u3000" in registrant.name_kana and "\u3000" in registrant.name
        registered = clock.local(registrant.registered_at).date()
        assert registrant.valid_until == registered.replace(year=registered.year + 2)
        assert (
            authenticate(
                None, municipality=muni, kind="registrant", login_id=spec.user_number, password="x"
            )
            is None
        )


def test_demo_registrants__ukiha_has_a_group(demo):
    group = Registrant.objects.get(municipality__slug="ukiha", kind=Registrant.Kind.GROUP)
    assert group.group_name


@pytest.mark.parametrize(
    ("slug", "login_id", "role"),
    [
        ("minato", "admin", User.StaffRole.ADMIN),
        ("minato", "hoyou", User.StaffRole.FACILITY),
        ("ukiha", "admin", User.StaffRole.ADMIN),
        ("ukiha", "bunka", User.StaffRole.FACILITY),
    ],
)
def test_demo_staff__log_in_with_the_demo_password(demo, slug, login_id, role):
    muni = Municipality.objects.get(slug=slug)
    user = authenticate(
        None, municipality=muni, kind="staff", login_id=login_id, password=DEMO_STAFF_PASSWORD
    )
    assert user is not None
    assert user.is_staff and user.staff_role == role


def test_load_demo_command__prints_the_log_ins(travel):
    travel(DEMO_MOMENT)
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/minato/" in text
    assert "http://127.0.0.1:8000/ukiha/login/" in text
    assert "http://127.0.0.1:8000/staff/login/" in text
    assert DEMO_STAFF_PASSWORD in text
    assert "482915" in text and "19800514" in text
    assert "パスワード / password" in text

    again = io.StringIO()
    call_command("load_demo", stdout=again)
    assert "already loaded" in again.getvalue()


def test_ukiha_top_page__says_that_paying_online_confirms_a_booking(demo, client):
    page = client.get("/ukiha/").content.decode()
    assert "オンライン決済でお支払いいただいた時点で確定します" in page
    assert "期限までにお支払いがないと、予約は自動的に取り消されます" in page
    halls = Facility.objects.filter(municipality__slug="ukiha", kind=Facility.Kind.HALL)
    assert set(halls.values_list("payment_mode", flat=True)) == {"required"}
    ukiha = Facility.objects.filter(municipality__slug="ukiha")
    halls = ukiha.filter(kind__in=[Facility.Kind.HALL, Facility.Kind.CULTURE])
    assert set(halls.values_list("requires_approval", flat=True)) == {True}
    others = ukiha.exclude(pk__in=halls)
    assert set(others.values_list("requires_approval", flat=True)) == {False}


def test_load_demo__a_demo_round_past_its_close_gets_its_public_value_and_can_be_drawn(
    demo, travel
):
    from yoyaku.lottery import services

    lottery = LotteryRound.objects.get(municipality__slug="minato")
    assert lottery.algorithm == "yoyaku-lottery-2" and not lottery.seed
    travel(clock.local(lottery.draw_at).replace(tzinfo=None))
    load_demo()
    lottery.refresh_from_db()
    assert lottery.public_value_confirmed
    assert lottery.public_value_entered_by_id != lottery.public_value_confirmed_by_id
    services.lottery_draw(lottery=lottery)
    lottery.refresh_from_db()
    assert lottery.published["algorithm"] == "yoyaku-lottery-2"


def test_load_demo__the_ukiha_gym_opens_at_8_with_a_fair_first_minute_and_entry_codes(demo):
    gym = Facility.objects.get(municipality__slug="ukiha", slug="ukiha-gym")
    assert (gym.opening_hour, gym.fair_window_seconds, gym.entry_codes) == (8, 60, True)
    assert gym.waitlist_enabled and gym.undo_minutes == 30
