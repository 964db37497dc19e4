"""Every number of a lottery choice within the domain and its column: a nonsense number is
said next to its field, with what was typed, and no application is stored."""

from __future__ import annotations

import pytest

from tests.lottery.test_rounds import make_round
from tests.reservations.helpers import hall, registrant, resort
from yoyaku.citizen.lottery_forms import ChoiceForm
from yoyaku.lottery.models import LotteryApplication

pytestmark = pytest.mark.django_db(transaction=True)

STAY = {"c1-use_date": "2026-08-08", "c1-nights": "1", "c1-rooms": "1", "c1-adults": "2"}


@pytest.fixture
def stay_round(minato):
    _facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    return make_round(minato, [room_type]), room_type


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("nights", "32768"),
        ("nights", "0"),
        ("rooms", "2147483647"),
        ("adults", "32768"),
        ("children", "30000"),
        ("infants", "30000"),
        ("infants", "-1"),
    ],
)
def test_a_stay_choice_with_a_number_out_of_range_is_refused(
    client, minato, stay_round, field, value
):
    lottery, room_type = stay_round
    person = registrant(minato)
    client.force_login(person.user)
    response = client.post(
        f"/minato/lottery/{lottery.pk}/apply/",
        {**STAY, "c1-unit": room_type.pk, f"c1-{field}": value},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert f'id="id_c1-{field}_error"' in body
    assert f'value="{value}"' in body
    assert not LotteryApplication.objects.exists()


@pytest.mark.parametrize("party", ["2147483647", "1000", "31", "0"])
def test_a_hall_choice_with_a_party_beyond_the_unit_is_refused(client, minato, party):
    _, whole, *_ = hall(minato, opens_months_before=2)
    lottery = make_round(minato, [whole])
    person = registrant(minato)
    client.force_login(person.user)
    slot = whole.slot_schedule.slots.first()
    response = client.post(
        f"/minato/lottery/{lottery.pk}/apply/",
        {
            "c1-unit": whole.pk,
            "c1-use_date": "2026-08-08",
            "c1-slot": slot.pk,
            "c1-party_size": party,
        },
    )
    assert response.status_code == 400
    assert 'id="id_c1-party_size_error"' in response.content.decode()
    assert not LotteryApplication.objects.exists()


def test_a_rank_outside_one_to_three_is_not_a_form(stay_round):
    lottery, _ = stay_round
    with pytest.raises(ValueError):
        ChoiceForm(lottery=lottery, rank=4)
