"""Bad input never crashes: every page, as a visitor, a registrant and staff, with every
parameter set to garbage (letters, huge numbers, impossible dates, NUL, quotes, kana), by GET
and POST. Any 500 fails the test with the list of (method, path, value)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests import factories as f
from tests.registrants import builders
from tests.reservations.helpers import book_stay, hall, registrant, resort

pytestmark = pytest.mark.django_db(transaction=True)

BAD = ["x", "-1", "0", "99999999999999999999", "2026-13-45", "9999-12-31", "%00", "' OR 1=1", "あ"]


def test_no_page_answers_garbage_with_a_server_error(travel):
    travel(dt.datetime(2026, 6, 1, 10, 0))
    m = f.MunicipalityFactory(slug="ukiha")
    _, whole, *_ = hall(m)
    _, room = resort(m)
    person = registrant(m)
    staff = f.staff_user(m, login_id="prober")
    anon, reg, st = (
        Client(raise_request_exception=False),
        Client(raise_request_exception=False),
        Client(raise_request_exception=False),
    )
    reg.force_login(person.user)
    st.force_login(staff)
    paths = [
        "/ukiha/",
        "/ukiha/facilities/",
        "/ukiha/availability/",
        f"/ukiha/reserve/{whole.pk}/",
        f"/ukiha/reserve/{room.pk}/",
        "/ukiha/register/form/",
        "/ukiha/register/confirm/",
        "/ukiha/lottery/",
        "/ukiha/mypage/details/",
        "/ukiha/mypage/password/",
        "/ukiha/mypage/reductions/",
        "/ukiha/password-reset/",
        "/ukiha/reservations/",
        "/staff/reservations/",
        "/staff/reservations/new/",
        "/staff/blocks/",
        "/staff/registrations/",
        "/staff/registrations/new/",
        "/staff/lottery/",
        "/staff/lottery/new/",
        "/staff/lottery/schedules/",
        "/staff/maintenance/",
        "/staff/notices/new/",
        "/staff/reductions/",
        "/staff/security/",
        "/ukiha/facilities/x/calendar/",
        "/staff/changes/",
    ]
    r = book_stay(person, room, dt.date(2026, 6, 16))
    app = builders.apply(m)
    paths += [
        f"/staff/reservations/{r.pk}/act/",
        f"/staff/reservations/{r.pk}/",
        f"/staff/registrations/{app.pk}/decide/",
        f"/ukiha/reservations/{r.pk}/change/",
        f"/ukiha/reservations/{r.pk}/cancel/",
        "/ukiha/mypage/reply/",
        "/ukiha/mypage/calendar/",
        f"/staff/reservations/{r.pk}/permit/",
        "/staff/changes/1/decide/",
        "/ukiha/lottery/applications/",
        "/ukiha/lottery/results/",
        "/staff/maintenance/1/end/",
        "/i18n/setlang/",
        "/font-size/",
    ]
    params = [
        "reason",
        "message",
        "into",
        "adults",
        "children",
        "infants",
        "party_size",
        "confirm",
        "language",
        "starts_at",
        "ends_at",
        "scope",
        "title",
        "published_at",
        "date",
        "month",
        "unit",
        "kind",
        "purpose",
        "q",
        "status",
        "facility",
        "from",
        "until",
        "user_number",
        "next",
        "size",
        "c1-unit",
        "nights",
        "slots",
        "action",
        "registrant",
        "use_date",
    ]
    bad = []
    for client in (anon, reg, st):
        for path in paths:
            for value in BAD:
                q = {p: value for p in params}
                for method in ("get", "post"):
                    r = getattr(client, method)(path, q)
                    if r.status_code >= 500:
                        bad.append((method, path, value, r.status_code))
    assert not bad, sorted(set(bad))[:40]


@pytest.mark.parametrize("value", ["²", "5" * 5000, str(2**31), "30000", "１"])
@pytest.mark.parametrize("field", ["adults", "children", "infants", "party_size"])
def test_a_head_count_change_with_nonsense_is_refused_and_nothing_stored(travel, field, value):
    travel(dt.datetime(2026, 6, 1, 10, 0))
    m = f.MunicipalityFactory(slug="ukiha")
    _, room = resort(m)
    person = registrant(m)
    stay = book_stay(person, room, dt.date(2026, 6, 16))
    before = (stay.adults, stay.children, stay.infants, stay.party_size)
    client = Client(raise_request_exception=False)
    client.force_login(person.user)
    response = client.post(
        f"/ukiha/reservations/{stay.pk}/change/", {field: value, "action": "apply"}
    )
    assert response.status_code == 400
    stay.refresh_from_db()
    assert (stay.adults, stay.children, stay.infants, stay.party_size) == before


def test_a_cancellation_reason_with_nul_is_refused_and_the_reservation_stays(travel):
    travel(dt.datetime(2026, 6, 1, 10, 0))
    m = f.MunicipalityFactory(slug="ukiha")
    _, room = resort(m)
    person = registrant(m)
    stay = book_stay(person, room, dt.date(2026, 6, 16))
    status = stay.status
    client = Client(raise_request_exception=False)
    client.force_login(person.user)
    response = client.post(
        f"/ukiha/reservations/{stay.pk}/cancel/", {"confirm": "yes", "reason": "a\x00b"}
    )
    assert response.status_code == 400
    assert "使用できない文字" in response.content.decode()
    stay.refresh_from_db()
    assert stay.status == status
