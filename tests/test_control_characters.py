"""A NUL or other control character in a free-text field is said next to the field (status 200,
the form shown again), never a server error, and nothing is stored."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.registrants import builders
from tests.registrants.data import form_data
from tests.staff.test_console import login as staff_login
from yoyaku.core.models import Notice
from yoyaku.registrants.models import ChangeRequest, Registrant

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = "使用できない文字が含まれています。"


@pytest.mark.parametrize("value", ["港\x00太郎", "港\x1b太郎", "港\x7f太郎", "港\x85太郎"])
def test_a_name_with_a_control_character_is_refused_at_registration(client, minato, value):
    response = client.post("/minato/register/form/", form_data(name=value))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_name_error"' in body and REFUSED in body
    client.post("/minato/register/confirm/")
    assert not Registrant.objects.exists()


@pytest.mark.parametrize("field", ["title", "body"])
def test_a_notice_with_a_nul_is_refused_next_to_the_field(client, ukiha, field):
    f.staff_user(ukiha)
    staff_login(client, ukiha)
    data = {
        "title": "体育館の臨時休館",
        "body": "<p>点検のため</p>",
        "published_at": "2026-06-01T09:00",
    }
    data[field] = "点検\x00のため"
    response = client.post("/staff/notices/new/", data)
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="id_{field}_error"' in body and REFUSED in body
    assert not Notice.objects.filter(title__startswith="体育館").exists()


def test_an_address_change_with_a_nul_is_refused_and_nothing_changes(client, ukiha):
    person = builders.active(ukiha, f.staff_user(ukiha))
    client.force_login(person.user)
    street = person.street
    response = client.post(
        "/ukiha/mypage/details/",
        {
            "phone": person.phone,
            "email": person.email,
            "category": person.category,
            "postal_code": person.postal_code,
            "prefecture": person.prefecture,
            "city": person.city,
            "street": "浮羽町\x00朝田",
        },
    )
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    person.refresh_from_db()
    assert person.street == street
    assert not ChangeRequest.objects.exists()
