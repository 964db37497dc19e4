"""The staff API: a staff token reads and decides what its holder may in the console, no more;
everything of another facility or municipality is not found."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.registrants import builders
from tests.reservations.helpers import book_slot, hall, registrant
from yoyaku.core.api_tokens import api_token_create, api_token_revoke
from yoyaku.core.models import AuditLog, AuditVia, User
from yoyaku.registrants.models import ChangeRequest, Registrant
from yoyaku.reservations.models import Reservation

pytestmark = pytest.mark.django_db

V1 = "/api/v1/staff"
R = Reservation.Status


def _town(slug: str) -> dict:
    town = f.MunicipalityFactory(slug=slug)
    main, main_unit, *_ = hall(town, requires_approval=True)
    other, other_unit, *_ = hall(town, requires_approval=True)
    person = registrant(town)
    day = dt.date(2026, 7, 15)
    return {
        "town": town,
        "main": main,
        "other": other,
        "main_booking": book_slot(person, main_unit, day, "am"),
        "other_booking": book_slot(person, other_unit, day, "pm"),
        "applicant": builders.apply(town),
        "person": person,
    }


@pytest.fixture
def world(travel):
    travel(dt.datetime(2026, 6, 1, 10, 0))
    ukiha, minato = _town("ukiha"), _town("minato")
    staff = {
        "admin": f.staff_user(ukiha["town"], login_id="admin"),
        "manager": f.staff_user(ukiha["town"], role=User.StaffRole.FACILITY, login_id="mgr"),
        "clerk": f.staff_user(ukiha["town"], role=User.StaffRole.CLERK, login_id="clerk"),
        "viewer": f.staff_user(ukiha["town"], role=User.StaffRole.VIEWER, login_id="viewer"),
        "minato": f.staff_user(minato["town"], login_id="admin"),
    }
    for name in ("manager", "clerk", "viewer"):
        staff[name].facilities.set([ukiha["main"]])
    return {"ukiha": ukiha, "minato": minato, "staff": staff}


def _token(user, write=True) -> str:
    return api_token_create(user=user, name="集計システム", write=write)[1]


def _auth(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_the_bookings_of_the_world_await_approval(world):
    assert world["ukiha"]["main_booking"].status == R.AWAITING_APPROVAL
    assert world["ukiha"]["applicant"].status == Registrant.Status.APPLIED


# — authentication —


def test_without_a_token__every_staff_operation_is_401_with_a_bearer_challenge(client, world):
    response = client.get(f"{V1}/reservations")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "unauthorized"


def test_a_revoked_token__is_refused_at_once(client, world):
    admin = world["staff"]["admin"]
    token, plaintext = api_token_create(user=admin, name="古いシステム")
    assert client.get(f"{V1}/me", **_auth(plaintext)).status_code == 200
    api_token_revoke(token=token, by=admin)
    assert client.get(f"{V1}/me", **_auth(plaintext)).status_code == 401


def test_a_made_up_or_altered_token__is_refused(client, world):
    plaintext = _token(world["staff"]["admin"])
    assert client.get(f"{V1}/me", **_auth(plaintext[:-1] + "x")).status_code == 401
    assert client.get(f"{V1}/me", **_auth("yk_000000000000_nothing")).status_code == 401


def test_the_token_of_a_deactivated_account__is_refused(client, world):
    clerk = world["staff"]["clerk"]
    plaintext = _token(clerk)
    clerk.is_active = False
    clerk.save(update_fields=["is_active"])
    assert client.get(f"{V1}/me", **_auth(plaintext)).status_code == 401


def test_me__tells_the_role_facilities_and_scopes(client, world):
    body = client.get(f"{V1}/me", **_auth(_token(world["staff"]["manager"]))).json()
    assert body["role"] == "facility"
    assert body["facilities"] == [world["ukiha"]["main"].slug]
    assert body["scopes"] == ["read", "write"]


# — reservations —


def test_queue__lists_the_reservations_awaiting_approval_of_ones_facilities(client, world):
    body = client.get(f"{V1}/reservations/queue", **_auth(_token(world["staff"]["clerk"]))).json()
    assert [r["id"] for r in body["items"]] == [world["ukiha"]["main_booking"].pk]
    assert body["items"][0]["registrant_name"] == world["ukiha"]["person"].name


def test_list__filters_by_facility_status_and_dates_and_is_audited_via_api(client, world):
    admin = world["staff"]["admin"]
    token = _token(admin)
    main = world["ukiha"]["main"]
    url = f"{V1}/reservations?facility={main.slug}&status=awaiting_approval&date_from=2026-07-01"
    body = client.get(url, **_auth(token)).json()
    assert [r["id"] for r in body["items"]] == [world["ukiha"]["main_booking"].pk]
    assert body["count"] == 1
    row = AuditLog.objects.filter(action="reservation.view", actor=admin).latest("id")
    assert row.via == AuditVia.API and row.data["page"] == "api_list"
    none = client.get(f"{V1}/reservations?date_from=2026-08-01", **_auth(token)).json()
    assert none["count"] == 0


def test_list__refuses_a_bad_status_and_dates_out_of_order(client, world):
    token = _token(world["staff"]["admin"])
    bad = client.get(f"{V1}/reservations?status=nonsense", **_auth(token))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"
    backwards = client.get(
        f"{V1}/reservations?date_from=2026-07-02&date_to=2026-07-01", **_auth(token)
    )
    assert backwards.status_code == 422 and backwards.json()["code"] == "range_order"


def test_detail__shows_the_phone_and_writes_a_view_row_for_the_reservation(client, world):
    booking = world["ukiha"]["main_booking"]
    viewer = world["staff"]["viewer"]
    body = client.get(f"{V1}/reservations/{booking.pk}", **_auth(_token(viewer, False))).json()
    assert body["phone"] == world["ukiha"]["person"].phone
    row = AuditLog.objects.filter(action="reservation.view", actor=viewer).latest("id")
    assert row.target_id == str(booking.pk) and row.via == AuditVia.API


def test_detail__of_an_unknown_reservation_is_404(client, world):
    response = client.get(f"{V1}/reservations/999999", **_auth(_token(world["staff"]["admin"])))
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_a_facility_manager__does_not_find_another_facilitys_reservation(client, world):
    other = world["ukiha"]["other_booking"]
    token = _token(world["staff"]["manager"])
    assert client.get(f"{V1}/reservations/{other.pk}", **_auth(token)).status_code == 404
    approve = client.post(f"{V1}/reservations/{other.pk}/approve", **_auth(token))
    assert approve.status_code == 404
    other.refresh_from_db()
    assert other.status == R.AWAITING_APPROVAL


def test_approve__through_the_consoles_service_recorded_via_api(client, world):
    booking = world["ukiha"]["main_booking"]
    clerk = world["staff"]["clerk"]
    response = client.post(f"{V1}/reservations/{booking.pk}/approve", **_auth(_token(clerk)))
    assert response.status_code == 200
    assert response.json()["status"] != R.AWAITING_APPROVAL
    row = AuditLog.objects.get(action="reservation.approve", target_id=str(booking.pk))
    assert row.actor == clerk and row.via == AuditVia.API
    again = client.post(f"{V1}/reservations/{booking.pk}/approve", **_auth(_token(clerk)))
    assert again.status_code == 409


def test_reject__needs_a_reason_and_then_rejects(client, world):
    booking = world["ukiha"]["main_booking"]
    token = _token(world["staff"]["admin"])
    url = f"{V1}/reservations/{booking.pk}/reject"
    empty = client.post(url, {"reason": ""}, content_type="application/json", **_auth(token))
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"].endswith("reason")
    done = client.post(
        url, {"reason": "工事のため"}, content_type="application/json", **_auth(token)
    )
    assert done.status_code == 200 and done.json()["status"] == R.REJECTED


def test_a_read_token__cannot_approve(client, world):
    booking = world["ukiha"]["main_booking"]
    token = _token(world["staff"]["admin"], write=False)
    response = client.post(f"{V1}/reservations/{booking.pk}/approve", **_auth(token))
    assert response.status_code == 403 and response.json()["code"] == "token_read_only"


def test_a_viewers_token__cannot_approve_even_with_the_write_scope(client, world):
    booking = world["ukiha"]["main_booking"]
    token = _token(world["staff"]["viewer"], write=True)
    response = client.post(f"{V1}/reservations/{booking.pk}/approve", **_auth(token))
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    booking.refresh_from_db()
    assert booking.status == R.AWAITING_APPROVAL


def test_a_token_follows_its_holders_role_when_it_changes(client, world):
    clerk = world["staff"]["clerk"]
    token = _token(clerk)
    clerk.staff_role = User.StaffRole.VIEWER
    clerk.save(update_fields=["staff_role"])
    booking = world["ukiha"]["main_booking"]
    assert client.post(f"{V1}/reservations/{booking.pk}/approve", **_auth(token)).status_code == 403


# — Idempotency-Key —


def test_a_repeated_idempotency_key__approves_once_and_returns_the_first_answer(client, world):
    booking = world["ukiha"]["main_booking"]
    token = _token(world["staff"]["clerk"])
    url = f"{V1}/reservations/{booking.pk}/approve"
    key = {"Idempotency-Key": "approve-1"}
    first = client.post(url, headers=key, **_auth(token))
    second = client.post(url, headers=key, **_auth(token))
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert AuditLog.objects.filter(action="reservation.approve").count() == 1
    # Without the key, the same request is a second decision, refused by the service.
    assert client.post(url, **_auth(token)).status_code == 409


def test_the_same_idempotency_key_with_another_reason__is_refused_and_not_rejected_twice(
    client, world
):
    applicant = world["ukiha"]["applicant"]
    token = _token(world["staff"]["clerk"])
    url = f"{V1}/registrations/{applicant.pk}/reject"
    key = {"Idempotency-Key": "reject-1"}
    done = client.post(
        url, {"reason": "確認できません"}, "application/json", headers=key, **_auth(token)
    )
    assert done.status_code == 200
    other = client.post(
        url, {"reason": "別の理由"}, "application/json", headers=key, **_auth(token)
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    applicant.refresh_from_db()
    assert applicant.status == Registrant.Status.REJECTED
    assert AuditLog.objects.filter(action="registration.reject").count() == 1


def test_an_idempotency_key_of_one_token__is_not_replayed_to_another(client, world):
    booking = world["ukiha"]["main_booking"]
    url = f"{V1}/reservations/{booking.pk}/approve"
    key = {"Idempotency-Key": "shared"}
    first = client.post(url, headers=key, **_auth(_token(world["staff"]["clerk"])))
    other = client.post(url, headers=key, **_auth(_token(world["staff"]["admin"])))
    assert first.status_code == 200
    assert other.status_code == 409 and "Idempotent-Replayed" not in other


# — registrations —


def test_registrations__queue_lists_the_applicant_and_a_manager_is_refused(client, world):
    body = client.get(f"{V1}/registrations", **_auth(_token(world["staff"]["clerk"]))).json()
    assert world["ukiha"]["applicant"].pk in [r["id"] for r in body["items"]]
    refused = client.get(f"{V1}/registrations", **_auth(_token(world["staff"]["manager"])))
    assert refused.status_code == 403


def test_registration_approve_and_reject__through_the_services(client, world):
    applicant = world["ukiha"]["applicant"]
    token = _token(world["staff"]["clerk"])
    response = client.post(f"{V1}/registrations/{applicant.pk}/approve", **_auth(token))
    assert response.status_code == 200 and response.json()["status"] == "active"
    row = AuditLog.objects.get(action="registration.approve", target_id=str(applicant.pk))
    assert row.via == AuditVia.API
    second = builders.apply(world["ukiha"]["town"])
    url = f"{V1}/registrations/{second.pk}/reject"
    done = client.post(
        url, {"reason": "確認できません"}, content_type="application/json", **_auth(token)
    )
    assert done.status_code == 200
    assert client.post(f"{V1}/registrations/999999/approve", **_auth(token)).status_code == 404


def test_change_requests__lists_the_pending_lines(client, world):
    person = world["ukiha"]["person"]
    ChangeRequest.objects.create(
        registrant=person, changes={"city": "うきは市浮羽町"}, created_at="2026-05-30T10:00+09:00"
    )
    body = client.get(f"{V1}/change-requests", **_auth(_token(world["staff"]["admin"]))).json()
    assert body["count"] == 1
    assert body["items"][0]["lines"][0]["new"] == "うきは市浮羽町"


# — reports —


def test_reports__utilisation_and_money_for_a_period_as_json(client, world):
    token = _token(world["staff"]["manager"])
    period = "date_from=2026-07-01&date_to=2026-07-31"
    use = client.get(f"{V1}/reports/utilisation?{period}", **_auth(token))
    assert use.status_code == 200
    assert {row["facility"] for row in use.json()["facilities"]} == {world["ukiha"]["main"].slug}
    money = client.get(f"{V1}/reports/money?{period}", **_auth(token))
    assert money.status_code == 200 and isinstance(money.json()["rows"], list)
    other = client.get(
        f"{V1}/reports/money?{period}&facility={world['ukiha']['other'].slug}", **_auth(token)
    )
    assert other.status_code == 404


def test_reports__refuse_a_period_too_long_or_backwards(client, world):
    token = _token(world["staff"]["admin"])
    long = client.get(f"{V1}/reports/money?date_from=2024-01-01&date_to=2026-12-31", **_auth(token))
    assert long.status_code == 422 and long.json()["code"] == "period_too_long"
    back = client.get(f"{V1}/reports/money?date_from=2026-02-01&date_to=2026-01-01", **_auth(token))
    assert back.status_code == 422


# — rate limit per token —


def test_a_token_over_its_rate__gets_429_with_retry_after(client, world, settings):
    settings.YOYAKU_API_TOKEN_RATE = "3/min"
    token = _token(world["staff"]["admin"])
    statuses = [client.get(f"{V1}/me", **_auth(token)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get(f"{V1}/me", **_auth(token))
    assert int(limited["Retry-After"]) >= 1
    # Another token of the same office is counted on its own.
    assert client.get(f"{V1}/me", **_auth(_token(world["staff"]["clerk"]))).status_code == 200


# — the sweep: every id of the other municipality and the other facility —


def _ids(town: dict) -> dict:
    return {
        "reservation": [town["main_booking"].pk, town["other_booking"].pk],
        "registrant": [town["applicant"].pk, town["person"].pk],
    }


def test_sweep__no_id_of_another_municipality_or_facility_is_read_or_changed(client, world):
    targets = {
        # Staff of Minato against every Ukiha id; a Ukiha manager against the other facility.
        "minato": _ids(world["ukiha"]),
        "manager": {"reservation": [world["ukiha"]["other_booking"].pk], "registrant": []},
        "admin": _ids(world["minato"]),
    }
    wrong = []
    before = {r.pk: r.status for r in Reservation.objects.all()}
    for who, ids in targets.items():
        token = _token(world["staff"][who])
        for rid in ids["reservation"]:
            requests = [
                ("get", f"{V1}/reservations/{rid}", None),
                ("post", f"{V1}/reservations/{rid}/approve", None),
                ("post", f"{V1}/reservations/{rid}/reject", {"reason": "x"}),
            ]
            for method, url, data in requests:
                response = getattr(client, method)(
                    url, data, content_type="application/json", **_auth(token)
                )
                if response.status_code != 404:
                    wrong.append((who, method, url, response.status_code))
        for gid in ids["registrant"]:
            for verb, data in (("approve", None), ("reject", {"reason": "x"})):
                url = f"{V1}/registrations/{gid}/{verb}"
                response = client.post(url, data, content_type="application/json", **_auth(token))
                if response.status_code != 404:
                    wrong.append((who, "post", url, response.status_code))
        for url in (f"{V1}/reservations", f"{V1}/reservations/queue", f"{V1}/registrations"):
            listed = client.get(url, **_auth(token))
            # A role refused the whole list (a manager and registrations) sees nothing at all.
            seen = {i["id"] for i in listed.json()["items"]} if listed.status_code == 200 else set()
            if seen & set(ids["reservation"] if "reserv" in url else ids["registrant"]):
                wrong.append((who, "list", url, seen))
    assert not wrong
    assert before == {r.pk: r.status for r in Reservation.objects.all()}
