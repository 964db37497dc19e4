"""Evidence is collected at registration, log-in and lottery application: a device cookie
set once and reused, and sightings that hold only keyed hashes (no address, no cookie)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.integrity.helpers import active, seen
from tests.lottery.test_rounds import STAY, make_round
from tests.registrants.data import form_data
from tests.reservations.helpers import registrant, resort
from yoyaku.integrity import evidence
from yoyaku.integrity.models import Sighting
from yoyaku.integrity.tasks import integrity_daily
from yoyaku.registrants.models import Registrant

pytestmark = pytest.mark.django_db

COOKIE = evidence.DEVICE_COOKIE


def _stored_values() -> str:
    """Everything the sightings table holds, as text."""
    return " ".join(
        str(value) for row in Sighting.objects.values_list() for value in row if value is not None
    )


def test_a_first_visit_gets_a_two_year_httponly_lax_device_cookie(client, minato):
    response = client.get("/minato/register/form/")
    cookie = response.cookies[COOKIE]
    assert evidence.valid_device_id(cookie.value)
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) >= 729 * 24 * 3600
    assert not cookie["secure"]  # plain HTTP in development


def test_over_https_the_device_cookie_is_secure(client, minato):
    response = client.get("/minato/register/form/", secure=True)
    assert response.cookies[COOKIE]["secure"]


def test_the_cookie_is_kept_not_reissued_and_the_console_gets_none(client, minato):
    client.get("/minato/")
    device = client.cookies[COOKIE].value
    again = client.get("/minato/register/form/")
    assert COOKIE not in again.cookies
    assert client.cookies[COOKIE].value == device
    staff = type(client)()
    assert COOKIE not in staff.get("/staff/login/").cookies


def test_online_registration_records_a_sighting_with_hashes_only(client, minato):
    client.get("/minato/register/form/")
    device = client.cookies[COOKIE].value
    client.post("/minato/register/form/", form_data())
    client.post("/minato/register/confirm/", REMOTE_ADDR="198.51.100.23")
    person = Registrant.objects.get()
    sighting = Sighting.objects.get(registrant=person)
    assert sighting.kind == Sighting.Kind.REGISTRATION
    assert sighting.device_hash == evidence.device_hash(device)
    assert sighting.network_hash == evidence.network_hash("198.51.100.99")  # same /24
    stored = _stored_values()
    assert device not in stored
    assert "198.51.100" not in stored


def test_a_log_in_records_a_sighting_from_the_same_device_as_before(client, minato):
    person = registrant(minato)
    client.get("/minato/login/")
    device = client.cookies[COOKIE].value
    response = client.post(
        "/minato/login/",
        {"user_number": person.user_number, "password": person.birth_date.strftime("%Y%m%d")},
    )
    assert response.status_code == 302
    assert COOKIE not in response.cookies  # the same cookie, not a new one
    sighting = Sighting.objects.get(registrant=person, kind=Sighting.Kind.LOGIN)
    assert sighting.device_hash == evidence.device_hash(device)


def test_a_wrong_password_records_no_sighting(client, minato):
    person = registrant(minato)
    client.post("/minato/login/", {"user_number": person.user_number, "password": "wrong-1234"})
    assert not Sighting.objects.exists()


def test_a_lottery_application_records_the_round_and_the_device(client, minato, travel):
    travel(dt.datetime(2026, 6, 2, 9, 0))
    _facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    lottery = make_round(minato, [room_type])
    person = registrant(minato)
    client.force_login(person.user)
    client.get(f"/minato/lottery/{lottery.pk}/")
    device = client.cookies[COOKIE].value
    response = client.post(
        f"/minato/lottery/{lottery.pk}/apply/",
        {
            "c1-unit": room_type.pk,
            "c1-use_date": STAY.isoformat(),
            "c1-nights": "2",
            "c1-rooms": "1",
            "c1-adults": "2",
        },
    )
    assert response.status_code == 302
    sighting = Sighting.objects.get(registrant=person)
    assert sighting.kind == Sighting.Kind.LOTTERY_APPLY
    assert sighting.lottery_round == lottery
    assert sighting.device_hash == evidence.device_hash(device)


def test_addresses_count_by_ipv4_24_and_ipv6_64():
    assert evidence.network_hash("203.0.113.5") == evidence.network_hash("203.0.113.200")
    assert evidence.network_hash("203.0.113.5") != evidence.network_hash("203.0.114.5")
    assert evidence.network_hash("2001:db8:1:2::1") == evidence.network_hash("2001:db8:1:2:ffff::9")
    assert evidence.network_hash("2001:db8:1:2::1") != evidence.network_hash("2001:db8:1:3::1")
    assert evidence.network_hash("::ffff:203.0.113.5") == evidence.network_hash("203.0.113.7")
    assert evidence.network_hash("not an address") == ""
    assert evidence.device_hash("<script>") == ""  # not one of our ids: nothing recorded


def test_sightings_are_deleted_after_180_days_by_the_nightly_job(ukiha, travel):
    person = active(ukiha, f.staff_user(ukiha))
    seen(person)
    travel(dt.datetime(2026, 11, 27, 10, 0))  # 179 days later
    seen(person)
    assert integrity_daily.call() == {"sightings_purged": 0}
    travel(dt.datetime(2026, 11, 29, 10, 0))
    assert integrity_daily.call() == {"sightings_purged": 1}
    assert Sighting.objects.count() == 1
