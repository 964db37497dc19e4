"""Withdrawing a lottery application from the citizen pages asks once before it withdraws."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.lottery.test_rounds import make_round, stay
from tests.reservations.helpers import registrant, resort
from yoyaku.lottery import services
from yoyaku.lottery.models import LotteryApplication

pytestmark = pytest.mark.django_db


@pytest.fixture
def applied(client, minato):
    facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    lottery = make_round(minato, [room_type])
    person = registrant(minato)
    application = services.lottery_apply(
        lottery=lottery, registrant=person, choices=[stay(room_type)], by=person.user
    )
    client.force_login(person.user)
    return application, facility, room_type


def url(application):
    return f"/minato/lottery/applications/{application.pk}/withdraw/"


def test_the_applications_page_links_to_the_confirmation_instead_of_withdrawing(client, applied):
    application, _facility, _room_type = applied
    page = client.get("/minato/lottery/applications/").content.decode()
    assert f'href="{url(application)}"' in page
    assert f'action="{url(application)}"' not in page


def test_the_confirmation_page_shows_the_facility_date_and_rank_and_withdraws_nothing(
    client, applied
):
    application, facility, room_type = applied
    response = client.get(url(application))
    assert response.status_code == 200
    page = response.content.decode()
    assert facility.display_name in page
    assert room_type.display_name in page
    assert "2026年8月8日" in page
    assert "第1希望" in page
    assert 'name="confirm" value="yes"' in page
    assert "取り下げる</button>" in page
    assert ">戻る</a>" in page
    application.refresh_from_db()
    assert application.status == LotteryApplication.Status.SUBMITTED


def test_a_post_without_the_confirmation_shows_the_page_and_keeps_the_application(client, applied):
    application, facility, _room_type = applied
    response = client.post(url(application))
    assert response.status_code == 200
    page = response.content.decode()
    assert "抽選申込みの取下げ" in page and facility.display_name in page
    application.refresh_from_db()
    assert application.status == LotteryApplication.Status.SUBMITTED


def test_the_confirmed_withdrawal_withdraws_and_says_so(client, applied):
    application, _facility, _room_type = applied
    response = client.post(url(application), {"confirm": "yes"}, follow=True)
    assert response.redirect_chain[-1][0] == "/minato/lottery/applications/"
    assert "抽選の申込みを取り下げました。" in response.content.decode()
    application.refresh_from_db()
    assert application.status == LotteryApplication.Status.WITHDRAWN


def test_after_the_window_the_page_offers_no_withdrawal(client, applied, travel):
    application, _facility, _room_type = applied
    travel(dt.datetime(2026, 6, 11, 9, 0))
    page = client.get(url(application)).content.decode()
    assert "この抽選は現在申込みを受け付けていません。" in page
    assert 'name="confirm"' not in page
    assert client.post(url(application), {"confirm": "yes"}).status_code == 409
    application.refresh_from_db()
    assert application.status == LotteryApplication.Status.SUBMITTED


def test_someone_elses_application_is_not_found(client, applied, minato):
    application, _facility, _room_type = applied
    other = registrant(minato)
    client.force_login(other.user)
    assert client.get(url(application)).status_code == 404
    assert client.post(url(application), {"confirm": "yes"}).status_code == 404
