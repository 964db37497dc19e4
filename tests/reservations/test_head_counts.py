"""Head counts within the unit: a court's party at most its capacity (999 when none is set),
a room's infants at most the room's capacity. The same rule for the form, the booking service
and a change of the party."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.reservations.helpers import book_stay, registrant, resort
from yoyaku.core.errors import DomainError
from yoyaku.reservations import booking, rules
from yoyaku.reservations.models import Reservation

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2026, 6, 16)


@pytest.fixture
def court(ukiha):
    """A tennis court without a capacity set."""
    facility = f.FacilityFactory(municipality=ukiha, name="浮羽テニスコート")
    unit = f.slot_unit(facility, "テニスコートA", capacity=None)
    for code in ("am", "pm", "night"):
        f.fee(unit, 500, slot=f.slot(unit, code))
    return unit


def _codes(problems) -> set[str]:
    return {p.code for p in problems}


def test_a_party_of_two_billion_on_a_court_is_refused_next_to_the_field(client, ukiha, court):
    person = registrant(ukiha)
    client.force_login(person.user)
    response = client.post(
        f"/ukiha/reserve/{court.pk}/",
        {
            "action": "book",
            "date": DAY.isoformat(),
            "slots": [f.slot(court, "am").pk],
            "party_size": "2147483647",
        },
    )
    assert response.status_code < 500
    body = response.content.decode()
    assert 'id="id_party_size_error"' in body
    assert 'value="2147483647"' in body
    assert not Reservation.objects.exists()


def test_a_court_without_a_capacity_takes_at_most_999_in_the_service_too(ukiha, court):
    person = registrant(ukiha)
    request = rules.BookingRequest(
        registrant=person,
        unit=court,
        use_date=DAY,
        slots=[f.slot(court, "am")],
        party_size=2147483647,
    )
    with pytest.raises(DomainError) as refused:
        booking.reservation_book(request=request, by=person.user)
    assert "capacity_exceeded" in _codes(getattr(refused.value, "all", [refused.value]))
    assert any("定員（999名）" in str(p.message) for p in rules.check(request))
    request.party_size = 999
    assert "capacity_exceeded" not in _codes(rules.check(request))
    assert not Reservation.objects.exists()


def test_thirty_thousand_infants_in_a_room_are_refused(client, ukiha):
    _, room = resort(ukiha)
    person = registrant(ukiha)
    client.force_login(person.user)
    response = client.post(
        f"/ukiha/reserve/{room.pk}/",
        {
            "action": "book",
            "date": DAY.isoformat(),
            "nights": 1,
            "rooms": 1,
            "adults": 2,
            "children": 0,
            "infants": "30000",
        },
    )
    assert response.status_code < 500
    assert 'id="id_infants_error"' in response.content.decode()
    assert not Reservation.objects.exists()


def test_infants_beyond_the_rooms_capacity_are_refused_by_the_rules(ukiha):
    _, room = resort(ukiha)  # 4 persons a room
    person = registrant(ukiha)
    request = rules.BookingRequest(
        registrant=person, unit=room, use_date=DAY, rooms=1, adults=2, infants=30000
    )
    problems = rules.check(request)
    assert "infants_exceeded" in _codes(problems)
    assert any("4名" in str(p.message) for p in problems)
    request.infants = 4
    assert "infants_exceeded" not in _codes(rules.check(request))


def test_a_change_of_the_party_keeps_within_the_room(ukiha):
    _, room = resort(ukiha)
    person = registrant(ukiha)
    stay = book_stay(person, room, DAY)
    with pytest.raises(DomainError) as refused:
        booking.reservation_change_party(reservation=stay, by=person.user, infants=30000)
    assert "infants_exceeded" in _codes(getattr(refused.value, "all", [refused.value]))
    stay.refresh_from_db()
    assert stay.infants == 0


def test_a_change_of_a_courts_party_keeps_within_999(ukiha, court):
    person = registrant(ukiha)
    request = rules.BookingRequest(
        registrant=person, unit=court, use_date=DAY, slots=[f.slot(court, "am")], party_size=4
    )
    reservation = booking.reservation_book(request=request, by=person.user)
    with pytest.raises(DomainError) as refused:
        booking.reservation_change_party(reservation=reservation, by=person.user, party_size=1000)
    assert "capacity_exceeded" in _codes(getattr(refused.value, "all", [refused.value]))
    reservation.refresh_from_db()
    assert reservation.party_size == 4
