"""優先予約: staff allocate a season to a registered group before the public opening, see the
conflicts first, and cancel a whole bundle with a reason, free of charge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from tests import factories as f
from tests.reservations.helpers import book_slot, group, hall, registrant
from tests.staff.test_console import login
from yoyaku.core.models import AuditLog, User
from yoyaku.reservations.models import Reservation, ReservationBundle

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def season(ukiha):
    _facility, whole, *_ = hall(ukiha, opens_months_before=1)
    admin = f.staff_user(ukiha)
    club = group(ukiha)
    return admin, club, whole


def query(club, whole, **overrides):
    data = {
        "user_number": club.user_number,
        "unit": whole.pk,
        "weekdays": ["1"],
        "slots": [f.slot(whole, "night").pk],
        "start": "2026-06-30",
        "end": "2026-07-21",
        "party_size": 20,
        "label": "市民卓球大会",
        "channel": "counter",
    }
    data.update(overrides)
    return data


def test_allocation_previews_conflicts_then_books_before_the_window_opens(client, ukiha, season):
    admin, club, whole = season
    book_slot(registrant(ukiha), whole, dt.date(2026, 6, 30), "night")
    login(client, ukiha)
    page = client.get("/staff/series/allocate/", query(club, whole))
    html = page.content.decode()
    assert page.status_code == 200
    # 30 June is taken; 7, 14, 21 July are not open to the public yet, but free to allocate.
    assert html.count("series-day--free") == 3 and "series-day--taken" in html
    assert AuditLog.objects.filter(action="registrant.view", actor=admin).exists()
    assert not ReservationBundle.objects.exists()

    mail.outbox.clear()
    data = query(club, whole, dates=["2026-07-07", "2026-07-14", "2026-07-21"])
    response = client.post("/staff/series/allocate/", data)
    bundle = ReservationBundle.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/staff/bundles/{bundle.pk}/"
    assert bundle.priority and bundle.registrant == club
    assert sorted(r.use_date.day for r in bundle.items.all()) == [7, 14, 21]
    assert {r.channel for r in bundle.items.all()} == {Reservation.Channel.COUNTER}
    assert AuditLog.objects.filter(action="bundle.book", actor=admin).count() == 1
    assert len(mail.outbox) == 1


def test_units_of_facilities_not_assigned_are_not_offered(client, ukiha, season):
    _admin, club, whole = season
    f.staff_user(ukiha, role=User.StaffRole.CLERK, login_id="clerk")
    login(client, ukiha, login_id="clerk")
    page = client.get("/staff/series/allocate/", query(club, whole))
    assert page.status_code == 400
    assert not AuditLog.objects.filter(action="bundle.book").exists()


def test_an_unknown_user_number_is_said_next_to_the_field(client, ukiha, season):
    _admin, club, whole = season
    login(client, ukiha)
    page = client.get("/staff/series/allocate/", query(club, whole, user_number="999999"))
    assert page.status_code == 400
    assert "この利用者番号の登録者は見つかりません。" in page.content.decode()


def test_a_viewer_may_look_but_not_allocate(client, ukiha, season):
    _admin, club, whole = season
    viewer = f.staff_user(ukiha, role=User.StaffRole.VIEWER, login_id="viewer")
    whole.facility.staff.add(viewer)
    login(client, ukiha, login_id="viewer")
    assert client.get("/staff/series/allocate/", query(club, whole)).status_code == 200
    data = query(club, whole, dates=["2026-07-07"])
    assert client.post("/staff/series/allocate/", data).status_code == 403
    assert not Reservation.objects.exists()


def test_staff_cancel_a_whole_bundle_with_a_reason_free_of_charge(client, ukiha, season):
    admin, club, whole = season
    login(client, ukiha)
    client.post("/staff/series/allocate/", query(club, whole, dates=["2026-07-07", "2026-07-14"]))
    bundle = ReservationBundle.objects.get()
    url = f"/staff/bundles/{bundle.pk}/cancel/"
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400 and "理由を入力してください。" in refused.content.decode()
    mail.outbox.clear()
    assert client.post(url, {"reason": "体育館の改修工事のため"}).status_code == 302
    items = list(bundle.items.all())
    assert {r.status for r in items} == {Reservation.Status.CANCELLED}
    assert sum(r.cancellation_fee for r in items) == 0
    assert len(mail.outbox) == 1 and "体育館の改修工事のため" in mail.outbox[0].body
    assert AuditLog.objects.get(action="bundle.cancel").actor == admin
