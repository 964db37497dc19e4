"""A birth date out of every range is a message next to the field, online and at the counter."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.registrants.data import form_data
from tests.staff.test_console import login as staff_login
from yoyaku.registrants.models import Registrant

pytestmark = pytest.mark.django_db(transaction=True)

HUGE = "99999999999999999999"
MESSAGE = "生年月日が正しくありません"


@pytest.mark.parametrize("field", ["birth_year", "birth_month", "birth_day"])
@pytest.mark.parametrize("value", [HUGE, "2147483648", "-1", "10000"])
def test_online_form_answers_an_impossible_birth_date_next_to_the_field(
    client, minato, field, value
):
    response = client.post("/minato/register/form/", form_data(**{field: value}))
    assert response.status_code == 200
    page = response.content.decode()
    assert MESSAGE in page
    assert f'value="{value}"' in page  # what was typed is kept
    assert not Registrant.objects.exists()


def test_counter_form_answers_a_huge_birth_year_next_to_the_field(client, ukiha):
    f.staff_user(ukiha, role="admin")
    staff_login(client, ukiha)
    data = form_data(email="", email_confirm="", birth_year=HUGE)
    data.update(channel="post", kind="individual")
    response = client.post("/staff/registrations/new/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert MESSAGE in page
    assert f'value="{HUGE}"' in page
    assert not Registrant.objects.exists()


def test_online_form_says_a_birth_date_in_the_future_is_in_the_future(client, minato):
    # Today is 1 June 2026: the next day is a real date, but not yet anyone's birthday.
    response = client.post(
        "/minato/register/form/", form_data(birth_year="2026", birth_month="6", birth_day="2")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        '<p class="error-text" id="id_birth_year_error">生年月日が未来の日付になっています。'
        in page
    )
    assert "実在する日付" not in page
    assert not Registrant.objects.exists()


def test_the_service_says_a_birth_date_in_the_future_is_in_the_future(minato):
    from tests.registrants import builders
    from yoyaku.core.errors import DomainError

    with pytest.raises(DomainError) as caught:
        builders.apply(minato, birth_date=dt.date(2030, 1, 1))
    assert caught.value.message == "生年月日が未来の日付になっています。"
