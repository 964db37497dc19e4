"""Sessions end by themselves: staff 8 hours after logging in or after 30 idle minutes,
registrants after 14 idle days. The person is told why on the next page."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.registrants import builders

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 6, 1, 9, 0)


@pytest.fixture
def city(travel):
    travel(START)
    return f.MunicipalityFactory(slug="ukiha", name="うきは市")


def staff_in(client, city):
    client.force_login(f.staff_user(city))
    assert client.get("/staff/").status_code == 200


def test_staff__idle_for_29_minutes__stays_logged_in(client, city, travel):
    staff_in(client, city)
    travel(START + dt.timedelta(minutes=29))
    assert client.get("/staff/").status_code == 200


def test_staff__idle_for_31_minutes__is_logged_out_and_told_why(client, city, travel):
    staff_in(client, city)
    travel(START + dt.timedelta(minutes=31))
    response = client.get("/staff/", follow=True)
    assert response.redirect_chain[0][0].startswith("/staff/login/")
    assert "一定時間が過ぎたため、ログアウトしました" in response.content.decode()
    assert client.get("/staff/").status_code == 302


def test_staff__working_all_day__is_logged_out_8_hours_after_logging_in(client, city, travel):
    staff_in(client, city)
    moment = START
    while moment < START + dt.timedelta(hours=7, minutes=50):
        moment += dt.timedelta(minutes=20)
        travel(moment)
        assert client.get("/staff/").status_code == 200, moment
    travel(START + dt.timedelta(hours=8, minutes=1))
    assert client.get("/staff/").status_code == 302


def test_staff_session_cookie__lasts_at_most_8_hours(client, city):
    staff_in(client, city)
    assert client.session.get_expiry_age() <= 8 * 3600


def test_registrant__idle_for_13_days__stays_logged_in(client, city, travel):
    person = builders.active(city, by=f.staff_user(city, login_id="reviewer"))
    client.force_login(person.user)
    travel(START + dt.timedelta(days=13))
    assert client.get("/ukiha/mypage/").status_code == 200


def test_registrant__idle_for_15_days__is_logged_out(client, city, travel):
    person = builders.active(city, by=f.staff_user(city, login_id="reviewer"))
    client.force_login(person.user)
    travel(START + dt.timedelta(days=15))
    response = client.get("/ukiha/mypage/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_registrant__active_every_week__stays_logged_in_past_14_days(client, city, travel):
    person = builders.active(city, by=f.staff_user(city, login_id="reviewer"))
    client.force_login(person.user)
    for week in range(1, 5):
        travel(START + dt.timedelta(days=7 * week))
        assert client.get("/ukiha/mypage/").status_code == 200, week
