"""One date format everywhere: 2027年1月1日（金）; deadlines said as people say them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from yoyaku.core import clock
from yoyaku.core.dates import deadline, japanese_date, japanese_datetime


@pytest.fixture(autouse=True)
def in_2026(travel):
    travel(dt.datetime(2026, 12, 1, 10, 0))


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=clock.JST)


def test_a_date_has_its_weekday():
    assert japanese_date(dt.date(2027, 1, 1)) == "2027年1月1日（金）"
    assert japanese_date(dt.date(2026, 12, 5)) == "2026年12月5日（土）"


def test_a_date_and_time_is_in_japan_time():
    utc = dt.datetime(2026, 12, 4, 15, 30, tzinfo=dt.UTC)
    assert japanese_datetime(utc) == "2026年12月5日（土） 0:30"


def test_a_deadline_at_midnight_is_said_as_the_day_before():
    assert deadline(at(2026, 12, 12, 0, 0)) == "12月11日（金）まで"


def test_a_deadline_at_another_time_keeps_its_hour():
    assert deadline(at(2026, 12, 11, 17, 0)) == "12月11日（金）17:00まで"


def test_a_deadline_in_another_year_says_the_year():
    assert deadline(at(2027, 1, 9, 0, 0)) == "2027年1月8日（金）まで"


def test_a_deadline_given_as_a_date_is_the_last_day_allowed():
    assert deadline(dt.date(2026, 12, 11)) == "12月11日（金）まで"


def test_iso_text_from_a_mail_context_is_read_as_japan_time():
    assert japanese_date("2027-01-01") == "2027年1月1日（金）"
    assert deadline("2026-12-12 00:00") == "12月11日（金）まで"
    assert japanese_date("") == "" and japanese_date(None) == ""


def test_english_pages_get_an_english_date():
    with translation.override("en"):
        assert japanese_date(dt.date(2027, 1, 1)) == "Fri 1 Jan 2027"
        assert deadline(at(2026, 12, 12, 0, 0)) == "Fri 11 Dec"
        assert japanese_date(dt.date(2027, 1, 1), lang="ja") == "2027年1月1日（金）"
