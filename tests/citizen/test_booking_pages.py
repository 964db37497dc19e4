"""The booking pages through HTTP: confirm shows the fee, errors keep the input, changes and
cancellation go through a preview."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest

from tests import factories as f
from tests.reservations.helpers import book_stay, hall, registrant, resort
from yoyaku.facilities.models import FeeRule
from yoyaku.reservations.models import Reservation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hall_and_person(ukiha, client):
    _, whole, *_ = hall(ukiha)
    person = registrant(ukiha)
    client.force_login(person.user)
    return whole, person


def test_booking_needs_a_log_in(client, ukiha):
    _, whole, *_ = hall(ukiha)
    response = client.get(f"/ukiha/reserve/{whole.pk}/?date=2026-06-16")
    assert response.status_code == 302
    assert response["Location"].startswith("/ukiha/login/")


def test_after_logging_in_the_visitor_comes_back_to_the_chosen_date(client, ukiha):
    _, whole, *_ = hall(ukiha)
    person = registrant(ukiha)
    wanted = f"/ukiha/reserve/{whole.pk}/?date=2026-06-16"
    login_page = client.get(wanted, follow=True)
    assert login_page.redirect_chain[-1][0].startswith("/ukiha/login/")
    next_value = login_page.context["request"].GET["next"]
    assert next_value == wanted
    response = client.post(
        f"/ukiha/login/?next={quote(next_value)}",
        {
            "user_number": person.user_number,
            "password": person.birth_date.strftime("%Y%m%d"),
            "next": next_value,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == wanted
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "2026年6月16日" in page.content.decode()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_the_log_in_never_sends_a_person_to_another_site(client, ukiha, target):
    person = registrant(ukiha)
    response = client.post(
        "/ukiha/login/",
        {
            "user_number": person.user_number,
            "password": person.birth_date.strftime("%Y%m%d"),
            "next": target,
        },
    )
    assert response["Location"] == "/ukiha/mypage/"


def test_confirm_shows_the_fee_and_nothing_is_booked_yet(client, hall_and_person):
    whole, _ = hall_and_person
    am = f.slot(whole, "am")
    response = client.post(
        f"/ukiha/reserve/{whole.pk}/",
        {"action": "confirm", "date": "2026-06-16", "slots": [am.pk], "party_size": "12"},
    )
    body = response.content.decode()
    assert "予約内容の確認" in body and "2,000円" in body
    assert Reservation.objects.count() == 0
    response = client.post(
        f"/ukiha/reserve/{whole.pk}/",
        {"action": "book", "date": "2026-06-16", "slots": [am.pk], "party_size": "12"},
    )
    assert response.status_code == 302
    assert Reservation.objects.get().party_size == 12


def test_a_party_over_the_capacity_is_said_next_to_the_field_and_the_input_is_kept(
    client, hall_and_person
):
    whole, _ = hall_and_person
    response = client.post(
        f"/ukiha/reserve/{whole.pk}/",
        {
            "action": "confirm",
            "date": "2026-06-16",
            "slots": [f.slot(whole, "am").pk],
            "party_size": "9999",
        },
    )
    body = response.content.decode()
    assert 'id="id_party_size_error">利用予定人数が定員（30名）を超えています。' in body
    assert 'value="9999"' in body
    assert "予約内容の確認" not in body


def test_no_slot_chosen_is_said_next_to_the_field(client, hall_and_person):
    whole, _ = hall_and_person
    response = client.post(
        f"/ukiha/reserve/{whole.pk}/",
        {"action": "confirm", "date": "2026-06-16", "party_size": "5"},
    )
    assert "利用する時間区分を選んでください。" in response.content.decode()


def test_a_malformed_date_is_a_400_not_a_500(client, hall_and_person):
    whole, _ = hall_and_person
    assert client.get(f"/ukiha/reserve/{whole.pk}/?date=2026-02-30").status_code == 400


def test_change_preview_then_apply_shows_the_difference(client, ukiha):
    _, room_type = resort(ukiha)
    person = registrant(ukiha)
    stay = book_stay(person, room_type, dt.date(2026, 6, 16), nights=1)
    client.force_login(person.user)
    preview = client.post(
        f"/ukiha/reservations/{stay.pk}/change/", {"nights": "2", "action": "preview"}
    )
    assert "12,000円の追加" in preview.content.decode()
    stay.refresh_from_db()
    assert stay.nights == 1
    applied = client.post(
        f"/ukiha/reservations/{stay.pk}/change/", {"nights": "2", "action": "apply"}, follow=True
    )
    assert "使用料の差額：+12,000円" in applied.content.decode()
    stay.refresh_from_db()
    assert stay.nights == 2
    bad = client.post(f"/ukiha/reservations/{stay.pk}/change/", {"nights": "x", "action": "apply"})
    assert bad.status_code == 400


def test_cancel_asks_for_confirmation_and_another_persons_reservation_is_404(client, ukiha):
    _, room_type = resort(ukiha)
    person, other = registrant(ukiha), registrant(ukiha)
    stay = book_stay(person, room_type, dt.date(2026, 6, 16))
    client.force_login(other.user)
    assert client.get(f"/ukiha/reservations/{stay.pk}/").status_code == 404
    client.force_login(person.user)
    response = client.post(f"/ukiha/reservations/{stay.pk}/cancel/", {})
    assert response.status_code == 400
    assert "確認のため、チェックを入れてください。" in response.content.decode()
    client.post(f"/ukiha/reservations/{stay.pk}/cancel/", {"confirm": "yes"})
    stay.refresh_from_db()
    assert stay.status == Reservation.Status.CANCELLED


def test_the_registrant_prints_the_permit_of_a_confirmed_reservation_only(client, ukiha):
    _, room_type = resort(ukiha)
    person = registrant(ukiha)
    stay = book_stay(person, room_type, dt.date(2026, 6, 16))
    client.force_login(person.user)
    response = client.get(f"/ukiha/reservations/{stay.pk}/permit/")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    client.post(f"/ukiha/reservations/{stay.pk}/cancel/", {"confirm": "yes"})
    assert client.get(f"/ukiha/reservations/{stay.pk}/permit/").status_code == 404


def test_a_date_far_outside_any_window_is_a_400_not_an_overflow(client, ukiha):
    _, room_type = resort(ukiha)
    person = registrant(ukiha)
    client.force_login(person.user)
    response = client.post(
        f"/ukiha/reserve/{room_type.pk}/",
        {"action": "confirm", "date": "9999-12-31", "nights": "2", "rooms": "1", "adults": "2"},
    )
    assert response.status_code == 400
    assert "日付の範囲が正しくありません。" in response.content.decode()


@pytest.mark.parametrize(
    ("nights", "status"), [("0", 409), ("99999999999999999999", 400), ("²", 400)]
)
def test_absurd_nights_in_a_change_are_refused_not_a_500(client, ukiha, nights, status):
    _, room_type = resort(ukiha)
    person = registrant(ukiha)
    stay = book_stay(person, room_type, dt.date(2026, 6, 16), nights=1)
    client.force_login(person.user)
    response = client.post(
        f"/ukiha/reservations/{stay.pk}/change/", {"nights": nights, "action": "apply"}
    )
    assert response.status_code == status
    assert "宿泊数は1～" in response.content.decode()
    stay.refresh_from_db()
    assert stay.nights == 1


def test_nights_and_party_in_one_post_are_refused_not_half_applied(client, ukiha):
    _, room_type = resort(ukiha)
    person = registrant(ukiha)
    stay = book_stay(person, room_type, dt.date(2026, 6, 16), nights=1)
    client.force_login(person.user)
    response = client.post(
        f"/ukiha/reservations/{stay.pk}/change/",
        {"nights": "2", "children": "1", "action": "apply"},
    )
    assert response.status_code == 400
    stay.refresh_from_db()
    assert (stay.nights, stay.children) == (1, 0)


def test_a_change_priced_without_a_fee_table_in_force_is_said_not_a_server_error(client, ukiha):
    _, room_type = resort(ukiha)
    person = registrant(ukiha)
    stay = book_stay(person, room_type, dt.date(2026, 6, 16), nights=1)
    FeeRule.objects.filter(unit=room_type).delete()  # staff withdrew the fee table since
    client.force_login(person.user)
    preview = client.post(
        f"/ukiha/reservations/{stay.pk}/change/", {"nights": "2", "action": "preview"}
    )
    assert preview.status_code == 400
    stay.refresh_from_db()
    assert stay.nights == 1
