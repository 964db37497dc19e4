"""Pages, messages and mails write dates one way (2026年6月16日（火）) and say deadlines as
people do (6月10日（水）まで), never 2026-06-16 or 「～6月11日 0:00」."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail

from tests import factories as f
from tests.lottery.test_rounds import make_round
from tests.reservations.helpers import hall, registrant, resort
from yoyaku.core import clock

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_booking_mail_gives_the_date_with_its_weekday(client, ukiha):
    _, whole, *_ = hall(ukiha)
    person = registrant(ukiha)
    client.force_login(person.user)
    client.post(
        f"/ukiha/reserve/{whole.pk}/",
        {
            "action": "book",
            "date": "2026-06-16",
            "slots": [f.slot(whole, "am").pk],
            "party_size": "12",
        },
    )
    assert person.email and mail.outbox
    body = mail.outbox[-1].body
    assert "利用日：2026年6月16日（火）" in body
    assert "2026-06-16" not in body


def test_a_lottery_closing_at_midnight_is_said_as_open_until_the_day_before(client, minato):
    _facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    lottery = make_round(
        minato,
        [room_type],
        applications_close_at=clock.at(dt.date(2026, 6, 11), dt.time(0, 0)),
        confirm_deadline=clock.at(dt.date(2026, 7, 1), dt.time(0, 0)),
    )
    body = client.get(f"/minato/lottery/{lottery.pk}/").content.decode()
    assert "2026年6月1日（月） 8:00から6月10日（水）まで" in body
    assert "6月30日（火）まで" in body
    assert "） 0:00" not in body


def test_a_booking_refused_outside_the_window_names_the_date_in_words(client, ukiha):
    _, whole, *_ = hall(ukiha)
    client.force_login(registrant(ukiha).user)
    response = client.post(
        f"/ukiha/reserve/{whole.pk}/",
        {
            "action": "confirm",
            "date": "2027-06-16",
            "slots": [f.slot(whole, "am").pk],
            "party_size": "5",
        },
    )
    assert re.search(
        r"この日の予約の受付は\d{4}年\d{1,2}月\d{1,2}日（[月火水木金土日]）からです。",
        response.content.decode(),
    )
