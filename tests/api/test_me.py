"""The registrant's API (/api/v1/me/…) with a personal token: what a registrant can read and
do, what a token without the write scope, a revoked token or no token gets, and that nobody
reaches another registrant's or another municipality's things."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from django.test import Client

from tests import factories as f
from tests.lottery.test_rounds import make_round, stay
from tests.reservations.helpers import book_slot, book_stay, hall, registrant, resort
from yoyaku.core import clock
from yoyaku.core.api_tokens import api_token_create, api_token_revoke
from yoyaku.core.models import AuditLog
from yoyaku.facilities.models import ReductionCategory
from yoyaku.lottery import services as lottery
from yoyaku.lottery.models import LotteryApplication
from yoyaku.registrants.models import ReductionGrant
from yoyaku.reservations.models import Reservation

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 16)  # two weeks after "now" (2026-06-01 10:00)
STAY = dt.date(2026, 8, 8)
R = Reservation.Status


class Api:
    """A client that sends a registrant's token on every request."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **headers):
        return self.client.get(f"/api/v1{path}", headers={**self.headers, **headers})

    def post(self, path: str, body: dict | None = None, method="post", **headers):
        return getattr(self.client, method)(
            f"/api/v1{path}",
            data=body or {},
            content_type="application/json",
            headers={**self.headers, **headers},
        )


def api_for(person, *scopes: str) -> Api:
    _token, plaintext = api_token_create(
        user=person.user, name="script", scopes=scopes or ("read", "write")
    )
    return Api(plaintext)


@pytest.fixture
def world(ukiha, minato):
    _f, whole, *_ = hall(ukiha)
    _rf, room_type = resort(minato, rooms=2, opens_months_before=2)
    round_ = make_round(minato, [room_type])
    ana, ben = registrant(ukiha), registrant(ukiha)
    chika = registrant(minato)
    return {
        "whole": whole,
        "room_type": room_type,
        "round": round_,
        "ana": ana,
        "ben": ben,
        "chika": chika,
    }


def test_my_registration_is_read_with_a_token(world):
    ana = world["ana"]
    answer = api_for(ana, "read").get("/me")
    assert answer.status_code == 200
    body = answer.json()
    assert body["user_number"] == ana.user_number
    assert body["municipality"] == "ukiha"
    assert body["status"] == "active" and body["booking_refusal"] is None


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer yoyaku_nonsense"}, {"Authorization": "Basic eW86eW8="}],
)
def test_without_a_valid_token__the_answer_is_401_problem_details_in_both_languages(world, headers):
    answer = Client().get("/api/v1/me/reservations", headers=headers)
    assert answer.status_code == 401
    assert answer["Content-Type"] == "application/problem+json"
    assert answer["WWW-Authenticate"].startswith("Bearer")
    body = answer.json()
    assert body["code"] == "unauthorized"
    assert "APIトークン" in body["detail"] and "token" in body["detail_en"]


def test_a_revoked_token_reads_nothing(world):
    ana = world["ana"]
    token, plaintext = api_token_create(user=ana.user, name="old", scopes=["read"])
    assert Api(plaintext).get("/me").status_code == 200
    api_token_revoke(token=token, by=ana.user)
    assert Api(plaintext).get("/me").status_code == 401


def test_a_deregistered_registrants_token_reads_nothing(world):
    ana = world["ana"]
    api = api_for(ana, "read")
    ana.status = "deregistered"
    ana.save(update_fields=["status"])
    assert api.get("/me").status_code == 401


def test_booking_through_the_api__follows_the_same_rules_as_the_page_and_is_audited(world):
    ana, whole = world["ana"], world["whole"]
    api = api_for(ana)
    body = {"unit_id": whole.pk, "use_date": DAY.isoformat(), "slots": ["am"], "party_size": 10}
    answer = api.post("/me/reservations", body)
    assert answer.status_code == 201, answer.content
    made = answer.json()
    assert made["status"] == "confirmed" and made["fee_total"] == 2000 and made["slots"] == ["am"]
    reservation = Reservation.objects.get(pk=made["id"])
    assert reservation.registrant == ana and reservation.created_by == ana.user
    # The same slot again: the booking rule refuses, in the page's words, as 409.
    again = api.post("/me/reservations", body)
    assert again.status_code == 409
    assert again.json()["code"] == "slot_taken"
    assert again.json()["detail"]
    listed = api.get("/me/reservations").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == made["id"]
    assert api.get(f"/me/reservations/{made['id']}").json()["number"] == reservation.number


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_booking_date_no_calendar_could_hold_is_a_422_not_a_server_error(world, day):
    api = api_for(world["ana"])
    body = {"unit_id": world["whole"].pk, "use_date": day, "slots": ["am"], "party_size": 10}
    answer = api.post("/me/reservations", body)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["payload.use_date"]
    assert not Reservation.objects.exists()


def test_a_booking_with_bad_input_names_the_field(world):
    api = api_for(world["ana"])
    answer = api.post("/me/reservations", {"unit_id": world["whole"].pk, "use_date": "tomorrow"})
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["payload.use_date"]
    unknown_slot = api.post(
        "/me/reservations",
        {"unit_id": world["whole"].pk, "use_date": DAY.isoformat(), "slots": ["midnight"]},
    )
    assert unknown_slot.status_code == 404


def test_a_read_only_token_cannot_book_change_cancel_pay_or_apply(world):
    ana, whole = world["ana"], world["whole"]
    reservation = book_slot(ana, whole, DAY, "am")
    api = api_for(ana, "read")
    writes = [
        ("/me/reservations", {"unit_id": whole.pk, "use_date": DAY.isoformat(), "slots": ["pm"]}),
        (f"/me/reservations/{reservation.pk}/party", {"party_size": 5}),
        (f"/me/reservations/{reservation.pk}/cancel", {}),
        (f"/me/reservations/{reservation.pk}/payments", {"method": "card"}),
    ]
    for path, body in writes:
        answer = api.post(path, body)
        assert answer.status_code == 403, path
        assert answer.json()["code"] == "write_scope_required"
    reservation.refresh_from_db()
    assert reservation.status == R.CONFIRMED and reservation.party_size == 10
    assert Reservation.objects.filter(registrant=ana).count() == 1


def test_changing_the_party_and_cancelling__use_the_services(world):
    ana = world["ana"]
    reservation = book_slot(ana, world["whole"], DAY, "am")
    api = api_for(ana)
    changed = api.post(f"/me/reservations/{reservation.pk}/party", {"party_size": 20})
    assert changed.status_code == 200, changed.content
    assert changed.json()["reservation"]["party_size"] == 20
    nothing = api.post(f"/me/reservations/{reservation.pk}/party", {"party_size": 20})
    assert nothing.status_code == 409 and nothing.json()["code"] == "nothing_to_change"
    cancelled = api.post(f"/me/reservations/{reservation.pk}/cancel", {"reason": "雨"})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert AuditLog.objects.filter(action="reservation.cancel", actor=ana.user).count() == 1
    twice = api.post(f"/me/reservations/{reservation.pk}/cancel", {})
    assert twice.status_code == 409


def test_changing_the_nights_of_a_stay(world, minato):
    chika, room_type = world["chika"], world["room_type"]
    reservation = book_stay(chika, room_type, dt.date(2026, 7, 20), nights=1)
    api = api_for(chika)
    answer = api.post(f"/me/reservations/{reservation.pk}/nights", {"nights": 2})
    assert answer.status_code == 200, answer.content
    assert answer.json()["reservation"]["nights"] == 2
    assert answer.json()["difference"] > 0
    bad = api.post(f"/me/reservations/{reservation.pk}/nights", {"nights": 0})
    assert bad.status_code == 422


def test_a_repeated_idempotency_key__books_once_and_returns_the_first_answer(world):
    ana, whole = world["ana"], world["whole"]
    api = api_for(ana)
    body = {"unit_id": whole.pk, "use_date": DAY.isoformat(), "slots": ["am"], "party_size": 10}
    first = api.post("/me/reservations", body, **{"Idempotency-Key": "k-1"})
    second = api.post("/me/reservations", body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Reservation.objects.filter(registrant=ana).count() == 1
    assert AuditLog.objects.filter(action="reservation.book").count() == 1
    # The same key with another body is a mistake of the client.
    other = api.post("/me/reservations", {**body, "slots": ["pm"]}, **{"Idempotency-Key": "k-1"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    # A refusal is kept too: replaying it does not book.
    refused = api.post("/me/reservations", body, **{"Idempotency-Key": "k-2"})
    replay = api.post("/me/reservations", body, **{"Idempotency-Key": "k-2"})
    assert refused.status_code == replay.status_code == 409
    assert Reservation.objects.filter(registrant=ana).count() == 1


def test_an_idempotency_key_is_forgotten_after_a_day(world, travel):
    ana, whole = world["ana"], world["whole"]
    api = api_for(ana)
    body = {"unit_id": whole.pk, "use_date": DAY.isoformat(), "slots": ["am"], "party_size": 10}
    assert api.post("/me/reservations", body, **{"Idempotency-Key": "k"}).status_code == 201
    travel(dt.datetime(2026, 6, 2, 10, 1))
    again = api.post("/me/reservations", body, **{"Idempotency-Key": "k"})
    assert again.status_code == 409  # acted again: the slot is now taken by the first


def test_an_unprintable_idempotency_key_is_refused(world):
    api = api_for(world["ana"])
    body = {"unit_id": world["whole"].pk, "use_date": DAY.isoformat(), "slots": ["am"]}
    answer = api.post("/me/reservations", body, **{"Idempotency-Key": "x" * 300})
    assert answer.status_code == 422
    assert answer.json()["code"] == "idempotency_key_invalid"


def test_lottery_applications__apply_list_change_withdraw(world):
    chika, room_type, round_ = world["chika"], world["room_type"], world["round"]
    api = api_for(chika)
    choice = {"unit_id": room_type.pk, "use_date": STAY.isoformat(), "nights": 2, "adults": 2}
    applied = api.post("/me/lottery-applications", {"round_id": round_.pk, "choices": [choice]})
    assert applied.status_code == 201, applied.content
    application_id = applied.json()["id"]
    assert applied.json()["choices"][0]["nights"] == 2
    assert api.get("/me/lottery-applications").json()["count"] == 1
    changed = api.post(
        f"/me/lottery-applications/{application_id}",
        {"choices": [{**choice, "nights": 1}]},
        method="put",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["choices"][0]["nights"] == 1
    withdrawn = api.post(f"/me/lottery-applications/{application_id}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert api.get("/me/lottery-applications/999999").status_code == 404
    unknown_round = api.post("/me/lottery-applications", {"round_id": 999999, "choices": [choice]})
    assert unknown_round.status_code == 404


def test_my_balance_and_payments_are_read(world):
    ana = world["ana"]
    api = api_for(ana, "read")
    balance = api.get("/me/balance")
    assert balance.status_code == 200
    assert balance.json() == {"owed_total": 0, "debt": 0, "dues": []}
    assert api.get("/me/payments").json()["count"] == 0


def test_paying_a_reservation_with_nothing_owed_is_refused_in_the_pages_words(world):
    ana = world["ana"]
    reservation = book_slot(ana, world["whole"], DAY, "am")
    answer = api_for(ana).post(f"/me/reservations/{reservation.pk}/payments", {"method": "card"})
    assert answer.status_code == 409
    assert answer.json()["code"] in {"payment_method_unavailable", "payment_nothing_owed"}


def test_no_read_or_write_crosses_registrants_or_municipalities(world):
    """Every id of one registrant, asked for with another's token (the same municipality and
    the other one): 404, and nothing changes."""
    ana, ben, chika = world["ana"], world["ben"], world["chika"]
    mine = {
        "ana": book_slot(ana, world["whole"], DAY, "am"),
        "chika": book_stay(chika, world["room_type"], dt.date(2026, 7, 20), nights=1),
    }
    application = lottery.lottery_apply(
        lottery=world["round"], registrant=chika, choices=[stay(world["room_type"])], by=chika.user
    )
    choice = {"unit_id": world["whole"].pk, "use_date": DAY.isoformat(), "slots": ["pm"]}
    for owner, intruders in (("ana", (ben, chika)), ("chika", (ana, ben))):
        reservation = mine[owner]
        for intruder in intruders:
            api = api_for(intruder)
            rid = reservation.pk
            assert api.get(f"/me/reservations/{rid}").status_code == 404
            for path, body in (
                (f"/me/reservations/{rid}/party", {"party_size": 3}),
                (f"/me/reservations/{rid}/nights", {"nights": 2}),
                (f"/me/reservations/{rid}/cancel", {}),
                (f"/me/reservations/{rid}/payments", {"method": "card"}),
            ):
                assert api.post(path, body).status_code == 404, (owner, intruder, path)
            if intruder == chika:
                continue
            aid = application.pk
            assert api.get(f"/me/lottery-applications/{aid}").status_code == 404
            assert api.post(f"/me/lottery-applications/{aid}/withdraw").status_code == 404
            assert (
                api.post(
                    f"/me/lottery-applications/{aid}", {"choices": [choice]}, method="put"
                ).status_code
                == 404
            )
            listed = api.get("/me/reservations").json()["items"]
            assert rid not in [item["id"] for item in listed]
    # Another municipality's unit and round cannot be booked or applied to.
    api = api_for(ana)
    other_unit = {"unit_id": world["room_type"].pk, "use_date": "2026-07-22", "adults": 2}
    assert api.post("/me/reservations", other_unit).status_code == 404
    other_round = {"round_id": world["round"].pk, "choices": [{**other_unit, "nights": 1}]}
    assert api.post("/me/lottery-applications", other_round).status_code == 404
    for reservation in mine.values():
        before = reservation.status
        reservation.refresh_from_db()
        assert reservation.status == before
    application.refresh_from_db()
    assert application.status == LotteryApplication.Status.SUBMITTED


def test_my_tokens_page__creates_shows_the_secret_once_and_revokes(world):
    ana = world["ana"]
    client = Client()
    client.force_login(ana.user)
    made = client.post("/ukiha/mypage/tokens/", {"name": "家のスクリプト", "scope": "write"})
    assert made.status_code == 200
    page = made.content.decode()
    token = ana.user.api_tokens.get()
    assert token.name == "家のスクリプト" and token.can_write
    assert 'value="yoyaku_' in page
    secret = page.split('value="yoyaku_')[1].split('"')[0]
    assert Api("yoyaku_" + secret).get("/me").status_code == 200
    listed = client.get("/ukiha/mypage/tokens/").content.decode()
    assert "家のスクリプト" in listed and secret not in listed
    assert AuditLog.objects.filter(action="api_token.create").count() == 1
    revoked = client.post(f"/ukiha/mypage/tokens/{token.pk}/revoke/")
    assert revoked.status_code == 302
    assert Api("yoyaku_" + secret).get("/me").status_code == 401
    assert AuditLog.objects.filter(action="api_token.revoke").count() == 1
    # Another person's token cannot be revoked from my page.
    other, _ = api_token_create(user=world["ben"].user, name="x", scopes=["read"])
    assert client.post(f"/ukiha/mypage/tokens/{other.pk}/revoke/").status_code == 404
    unnamed = client.post("/ukiha/mypage/tokens/", {"name": " ", "scope": "read"})
    assert unnamed.status_code == 400


def test_booking_options_list_the_units_purposes_and_anothers_unit_is_404(world):
    api = api_for(world["ana"], "read")
    answer = api.get(f"/me/units/{world['whole'].pk}/booking-options")
    assert answer.status_code == 200
    body = answer.json()
    assert body["unit_id"] == world["whole"].pk
    assert (body["purposes"], body["purpose_required"]) == ([], False)
    assert api.get(f"/me/units/{world['room_type'].pk}/booking-options").status_code == 404


def test_booking_options_offer_a_units_purpose_and_only_the_reductions_i_may_use(world):
    ana, whole = world["ana"], world["whole"]
    whole.purposes.add(f.purpose(whole.facility.municipality, "バドミントン"))
    category = partial(ReductionCategory.objects.create, municipality=ana.municipality, percent=50)
    open_to_all = category(name="子ども会", requires_approval=False)
    granted = category(name="障害者手帳")
    category(name="高齢者")  # needs approval, never granted
    pending = category(name="生活保護")
    G = ReductionGrant.Status
    for grant_category, status in ((granted, G.APPROVED), (pending, G.PENDING)):
        ReductionGrant.objects.create(
            registrant=ana, category=grant_category, status=status, requested_at=clock.now()
        )
    body = api_for(ana, "read").get(f"/me/units/{whole.pk}/booking-options").json()
    assert [p["name"] for p in body["purposes"]] == ["バドミントン"]
    assert body["purpose_required"] is True
    assert {r["name"] for r in body["reductions"]} == {open_to_all.name, granted.name}


def test_a_token_used_from_many_addresses_is_held_to_one_allowance(world, settings):
    settings.YOYAKU_API_RATE = "3/min"
    api = api_for(world["ana"], "read")
    addresses = ["203.0.113.5", "203.0.113.6", "198.51.100.7", "198.51.100.8"]
    answers = [
        api.client.get("/api/v1/me", headers=api.headers, REMOTE_ADDR=address)
        for address in addresses
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1]["Retry-After"]
    # Another person's token from yet another address is not held by it.
    other = api_for(world["ben"], "read")
    assert (
        other.client.get("/api/v1/me", headers=other.headers, REMOTE_ADDR="192.0.2.9").status_code
        == 200
    )
