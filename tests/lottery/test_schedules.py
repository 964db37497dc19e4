"""Rounds on a schedule (定期抽選): from the 1st of each month, the round for the month N months
ahead, once, with the schedule's days and settings; the daily job at 1:00 runs it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError

from tests.reservations.helpers import resort
from yoyaku.core import clock
from yoyaku.core.models import AuditLog
from yoyaku.lottery.models import LotteryRound, LotteryRoundSchedule
from yoyaku.lottery.schedules import round_fields, rounds_from_schedules, schedule_create
from yoyaku.scheduling.services import scheduler_tick

pytestmark = pytest.mark.django_db


@pytest.fixture
def room_type(minato):
    _facility, room_type = resort(minato)
    return room_type


def monthly(municipality, units, **overrides) -> LotteryRoundSchedule:
    fields = {
        "name_template": "{year}年{month}月利用分",
        "months_ahead": 2,
        "open_day": 1,
        "close_day": 10,
        "draw_day": 15,
        "confirm_days": 5,
        "max_applications_per_registrant": 3,
        "max_choices": 2,
        "max_wins_per_registrant": 1,
        "eligible_categories": ["resident"],
        "groups_first": True,
        "loser_weight_rounds": 2,
        "cancelled_win_release_hours": 12,
        **overrides,
    }
    return schedule_create(municipality=municipality, by=None, units=units, **fields)


def jst(*args) -> dt.datetime:
    return clock.at(dt.date(*args[:3]), dt.time(*args[3:]))


def test_on_the_1st_a_schedule_makes_the_round_n_months_ahead_with_its_dates_and_settings(
    minato, room_type, travel
):
    schedule = monthly(minato, [room_type])
    travel(dt.datetime(2026, 6, 1, 1, 0))
    [made] = rounds_from_schedules()
    lottery = LotteryRound.objects.get(pk=made.pk)
    assert lottery.name == "2026年8月利用分"
    assert (lottery.use_from, lottery.use_until) == (dt.date(2026, 8, 1), dt.date(2026, 8, 31))
    assert lottery.applications_open_at == jst(2026, 6, 1, 8, 0)
    assert lottery.applications_close_at == jst(2026, 6, 10, 23, 59)
    assert lottery.draw_at == jst(2026, 6, 15, 10, 0)
    assert lottery.confirm_deadline == jst(2026, 6, 20, 23, 59)
    assert lottery.first_come_opens_at == jst(2026, 6, 21, 9, 0)
    assert list(lottery.units.all()) == [room_type]
    assert (
        lottery.max_applications_per_registrant,
        lottery.max_choices,
        lottery.max_wins_per_registrant,
        lottery.eligible_categories,
        lottery.groups_first,
        lottery.loser_weight_rounds,
        lottery.cancelled_win_release_hours,
    ) == (3, 2, 1, ["resident"], True, 2, 12)
    assert lottery.seed_sha256 and lottery.status == LotteryRound.Status.SCHEDULED
    assert AuditLog.objects.filter(
        action="lottery.create", actor=None, target_id=str(lottery.pk)
    ).exists()
    assert schedule.is_active


def test_running_twice_creates_nothing_more(minato, room_type, travel):
    monthly(minato, [room_type])
    travel(dt.datetime(2026, 6, 1, 1, 0))
    assert len(rounds_from_schedules()) == 1
    assert rounds_from_schedules() == []
    travel(dt.datetime(2026, 6, 5, 1, 0))
    assert rounds_from_schedules() == []
    assert LotteryRound.objects.count() == 1
    travel(dt.datetime(2026, 7, 1, 1, 0))  # next month: next round
    assert [r.name for r in rounds_from_schedules()] == ["2026年9月利用分"]


def test_inactive_schedules_create_nothing(minato, room_type, travel):
    monthly(minato, [room_type], is_active=False)
    travel(dt.datetime(2026, 6, 1, 1, 0))
    assert rounds_from_schedules() == []
    assert not LotteryRound.objects.exists()


def test_a_month_whose_window_has_closed_is_skipped(minato, room_type, travel):
    travel(dt.datetime(2026, 6, 20, 9, 0))  # made after this month's close day
    monthly(minato, [room_type])
    assert rounds_from_schedules() == []
    travel(dt.datetime(2026, 7, 1, 1, 0))
    assert [r.name for r in rounds_from_schedules()] == ["2026年9月利用分"]


def test_a_schedule_made_mid_window_catches_up_the_same_day(minato, room_type, travel):
    travel(dt.datetime(2026, 6, 5, 9, 0))
    monthly(minato, [room_type])
    [lottery] = rounds_from_schedules()
    assert lottery.applications_open_at == jst(2026, 6, 1, 8, 0)


def test_across_the_year_and_into_february(minato, room_type):
    schedule = monthly(minato, [room_type], months_ahead=2)
    fields = round_fields(schedule, dt.date(2026, 12, 1))
    assert fields["name"] == "2027年2月利用分"
    assert (fields["use_from"], fields["use_until"]) == (dt.date(2027, 2, 1), dt.date(2027, 2, 28))
    assert fields["draw_at"] == jst(2026, 12, 15, 10, 0)


def test_the_database_refuses_days_out_of_order(minato, room_type):
    with pytest.raises(IntegrityError):
        monthly(minato, [room_type], close_day=15, draw_day=15)


def test_two_municipalities_may_use_the_same_template(minato, room_type, ukiha, travel):
    _facility, theirs = resort(ukiha)
    monthly(minato, [room_type])
    monthly(ukiha, [theirs])
    travel(dt.datetime(2026, 6, 1, 1, 0))
    made = rounds_from_schedules()
    assert sorted(r.municipality.slug for r in made) == ["minato", "ukiha"]


def test_the_daily_job_at_1_00_makes_the_rounds(
    minato, room_type, travel, django_capture_on_commit_callbacks
):
    monthly(minato, [room_type])
    travel(dt.datetime(2026, 6, 1, 0, 59))
    with django_capture_on_commit_callbacks(execute=True):
        assert "lottery.schedules" not in scheduler_tick()
    assert not LotteryRound.objects.exists()
    travel(dt.datetime(2026, 6, 1, 1, 0))
    with django_capture_on_commit_callbacks(execute=True):
        names = scheduler_tick()
    assert [n for n in names if n == "lottery.schedules"] == ["lottery.schedules"]
    assert LotteryRound.objects.get().name == "2026年8月利用分"
    with django_capture_on_commit_callbacks(execute=True):
        assert "lottery.schedules" not in scheduler_tick()  # once a day
