"""予約のまとまり under my page, through HTTP: the series form, its preview, booking the free
dates, the bundle page, cancelling it whole, moving one date, the permit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from tests import factories as f
from tests.reservations.helpers import book_slot, group, hall, registrant
from yoyaku.reservations.models import Reservation, ReservationBundle

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def club_and_hall(ukiha, client):
    _, whole, *_ = hall(ukiha)
    club = group(ukiha)
    client.force_login(club.user)
    return club, whole


def series_data(whole, **overrides):
    data = {
        "unit": str(whole.pk),
        "weekdays": ["1"],
        "slots": [str(f.slot(whole, "night").pk)],
        "start": "2026-06-09",
        "end": "2026-06-30",
        "party_size": "12",
        "label": "卓球クラブ 夜間練習",
        "action": "preview",
    }
    data.update(overrides)
    return data


def test_the_preview_lists_every_date_with_the_taken_one(client, club_and_hall, ukiha):
    _club, whole = club_and_hall
    book_slot(registrant(ukiha), whole, dt.date(2026, 6, 16), "night")
    page = client.post("/ukiha/series/new/", series_data(whole))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('class="series-day series-day--free"') == 3
    assert "series-day--taken" in html and "予約済み" in html
    assert "空いている日をまとめて予約" in html
    assert not Reservation.objects.filter(registrant=_club).exists()


def test_booking_the_free_dates_makes_one_bundle(client, club_and_hall, ukiha):
    club, whole = club_and_hall
    book_slot(registrant(ukiha), whole, dt.date(2026, 6, 16), "night")
    mail.outbox.clear()
    data = series_data(whole, action="book", dates=["2026-06-09", "2026-06-23", "2026-06-30"])
    response = client.post("/ukiha/series/new/", data)
    bundle = ReservationBundle.objects.get(registrant=club)
    assert response.status_code == 302
    assert response["Location"] == f"/ukiha/bundles/{bundle.pk}/"
    assert bundle.items.count() == 3 and bundle.label == "卓球クラブ 夜間練習"
    assert len(mail.outbox) == 1
    page = client.get(f"/ukiha/bundles/{bundle.pk}/").content.decode()
    assert "2026年6月30日" in page and "7,800円" in page


def test_a_date_taken_since_the_preview_books_nothing_and_shows_a_fresh_preview(
    client, club_and_hall, ukiha
):
    club, whole = club_and_hall
    book_slot(registrant(ukiha), whole, dt.date(2026, 6, 23), "night")
    dates = ["2026-06-09", "2026-06-16", "2026-06-23", "2026-06-30"]
    response = client.post("/ukiha/series/new/", series_data(whole, action="book", dates=dates))
    assert response.status_code == 409
    html = response.content.decode()
    assert "2026年6月23日" in html and "何も予約していません" in html
    assert "series-day--taken" in html
    assert not Reservation.objects.filter(registrant=club).exists()


def test_bad_input_is_said_next_to_the_field_and_kept(client, club_and_hall):
    _club, whole = club_and_hall
    response = client.post(
        "/ukiha/series/new/", series_data(whole, weekdays=[], end="2026-06-01", party_size="abc")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "曜日を選んでください。" in html
    assert "終了日は開始日以降にしてください。" in html
    assert 'value="2026-06-01"' in html


def test_an_individual_is_told_series_are_for_groups(client, ukiha):
    _, whole, *_ = hall(ukiha)
    person = registrant(ukiha)
    client.force_login(person.user)
    page = client.get("/ukiha/series/new/")
    assert "団体登録の方だけ" in page.content.decode()
    response = client.post("/ukiha/series/new/", series_data(whole))
    assert "団体登録の方だけ" in response.content.decode()
    assert not ReservationBundle.objects.exists()


def test_cancel_the_whole_bundle_after_one_confirmation(client, club_and_hall):
    club, whole = club_and_hall
    client.post(
        "/ukiha/series/new/", series_data(whole, action="book", dates=["2026-06-09", "2026-06-16"])
    )
    bundle = ReservationBundle.objects.get(registrant=club)
    page = client.get(f"/ukiha/bundles/{bundle.pk}/cancel/").content.decode()
    assert "取消料の合計" in page
    refused = client.post(f"/ukiha/bundles/{bundle.pk}/cancel/", {})
    assert refused.status_code == 400
    mail.outbox.clear()
    done = client.post(f"/ukiha/bundles/{bundle.pk}/cancel/", {"confirm": "yes"})
    assert done.status_code == 302
    assert not bundle.items.filter(status__in=Reservation.HOLDS_CAPACITY).exists()
    assert len(mail.outbox) == 1


def test_move_one_date_with_a_preview_first(client, club_and_hall):
    club, whole = club_and_hall
    client.post(
        "/ukiha/series/new/", series_data(whole, action="book", dates=["2026-06-09", "2026-06-16"])
    )
    bundle = ReservationBundle.objects.get(registrant=club)
    item = bundle.items.get(use_date=dt.date(2026, 6, 16))
    url = f"/ukiha/bundles/{bundle.pk}/items/{item.pk}/change/"
    preview = client.post(url, {"use_date": "2026-06-17"})
    assert preview.status_code == 200 and "使用料の差額：+0円" in preview.content.decode()
    item.refresh_from_db()
    assert item.use_date == dt.date(2026, 6, 16)
    assert client.post(url, {"use_date": "2026-06-17", "action": "apply"}).status_code == 302
    item.refresh_from_db()
    assert item.use_date == dt.date(2026, 6, 17)
    assert client.post(url, {"use_date": "not a date"}).status_code == 400


def test_the_bundle_permit_and_other_peoples_bundles(client, club_and_hall, ukiha):
    club, whole = club_and_hall
    client.post(
        "/ukiha/series/new/", series_data(whole, action="book", dates=["2026-06-09", "2026-06-16"])
    )
    bundle = ReservationBundle.objects.get(registrant=club)
    pdf = client.get(f"/ukiha/bundles/{bundle.pk}/permit/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    other = registrant(ukiha)
    client.force_login(other.user)
    assert client.get(f"/ukiha/bundles/{bundle.pk}/").status_code == 404
    assert client.get(f"/ukiha/bundles/{bundle.pk}/permit/").status_code == 404


@pytest.fixture
def building(ukiha, client):
    facility, _whole, half_a, half_b = hall(ukiha)
    green = f.slot_unit(facility, "控室")
    f.fee(green, 500, slot=f.slot(green, "night"))
    person = registrant(ukiha)
    client.force_login(person.user)
    return facility, half_a, half_b, green, person


def whole_data(facility, *units, **overrides):
    data = {
        "facility": str(facility.pk),
        "units": [str(u.pk) for u in units],
        "date": "2026-06-16",
        "slots": ["night"],
        "party_size": "20",
        "label": "市民体育大会",
        "action": "preview",
    }
    data.update(overrides)
    return data


def test_whole_facility_preview_then_book_all_at_once(client, building):
    facility, half_a, half_b, green, person = building
    assert "全館・複数室場" in client.get("/ukiha/bundles/").content.decode()
    assert client.get(f"/ukiha/whole/new/?facility={facility.pk}").status_code == 200
    preview = client.post("/ukiha/whole/new/", whole_data(facility, half_a, half_b, green))
    html = preview.content.decode()
    assert preview.status_code == 200 and "3,100円" in html and "まとめて予約する" in html
    mail.outbox.clear()
    done = client.post(
        "/ukiha/whole/new/", whole_data(facility, half_a, half_b, green, action="book")
    )
    assert done.status_code == 302
    bundle = ReservationBundle.objects.get(registrant=person)
    assert bundle.kind == "whole" and bundle.items.count() == 3
    assert len(mail.outbox) == 1


def test_whole_facility_one_taken_room_books_nothing_and_names_it(client, building, ukiha):
    facility, half_a, half_b, green, person = building
    book_slot(registrant(ukiha), green, dt.date(2026, 6, 16), "night")
    data = whole_data(facility, half_a, half_b, green, action="book")
    response = client.post("/ukiha/whole/new/", data)
    assert response.status_code == 409
    assert "控室" in response.content.decode()
    assert not Reservation.objects.filter(registrant=person).exists()
    preview = client.post("/ukiha/whole/new/", whole_data(facility, half_a, half_b, green))
    assert preview.status_code == 400 and "まとめて予約する" not in preview.content.decode()
    assert client.get("/ukiha/whole/new/?facility=999999").status_code == 404


def test_a_refusal_of_the_whole_series_is_said_once_above_the_dates(client, club_and_hall):
    _club, whole = club_and_hall
    response = client.post("/ukiha/series/new/", series_data(whole, party_size="500"))
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count("利用予定人数が定員（30名）を超えています。") == 1
    assert 'value="book"' not in html


def test_the_bundle_page_says_what_is_owed_and_where_to_pay(client, ukiha):
    from yoyaku.facilities.models import Facility

    _, whole, *_ = hall(ukiha, payment_mode=Facility.PaymentMode.REQUIRED)
    club = group(ukiha)
    client.force_login(club.user)
    data = series_data(whole, action="book", dates=["2026-06-09", "2026-06-16"])
    client.post("/ukiha/series/new/", data)
    bundle = ReservationBundle.objects.get(registrant=club)
    assert {r.status for r in bundle.items.all()} == {Reservation.Status.AWAITING_PAYMENT}
    page = client.get(f"/ukiha/bundles/{bundle.pk}/").content.decode()
    assert "お支払いいただく金額の合計：5,200円" in page
    for item in bundle.items.all():
        assert f'href="/ukiha/reservations/{item.pk}/">2,600円' in page
