"""No citizen form answers with Django's own wording (「このフィールドは必須です。」「有効な値を
入力してください。」): every message says which field it is about."""

from __future__ import annotations

import html
import inspect
import re

import pytest
from django import forms
from django.core import validators
from django.utils import translation

from tests.citizen.html_checks import assert_errors_are_accessible
from tests.lottery.test_rounds import make_round
from tests.reservations.helpers import hall, registrant, resort

pytestmark = pytest.mark.django_db(transaction=True)


def django_default_messages() -> list[re.Pattern]:
    """Django's messages of every form field and validator, in Japanese, as patterns (the
    %(…)s parts match anything)."""
    texts = set()
    with translation.override("ja"):
        for module in (forms.fields, forms.models):
            for _name, cls in inspect.getmembers(module, inspect.isclass):
                for text in getattr(cls, "default_error_messages", {}).values():
                    texts.add(str(text))
        for _name, cls in inspect.getmembers(validators, inspect.isclass):
            if hasattr(cls, "message") and hasattr(cls, "code"):
                texts.add(str(cls.message))
    patterns = []
    for text in texts:
        parts = re.split(r"%\(\w+\)[sdr]", text)
        if sum(len(p) for p in parts) < 4:
            continue
        patterns.append(re.compile(".*?".join(re.escape(p) for p in parts)))
    return patterns


DEFAULTS = django_default_messages()


def assert_no_django_wording(response) -> None:
    body = html.unescape(response.content.decode())
    assert "data-error-summary" in body, "the form was refused"
    found = [p.pattern for p in DEFAULTS if p.search(body)]
    assert found == []
    # And the summary links to each field, each described by its message.
    assert_errors_are_accessible(response.content.decode())


def test_the_check_knows_djangos_japanese_wording():
    samples = [
        "このフィールドは必須です。",
        "整数を入力してください。",
        "値を正しく入力してください。",
    ]
    for sample in samples:
        assert any(p.search(sample) for p in DEFAULTS), sample


@pytest.fixture
def person(client, ukiha):
    person = registrant(ukiha)
    client.force_login(person.user)
    return person


@pytest.mark.parametrize(
    "data",
    [{"user_number": "", "password": ""}, {"user_number": "abcdef", "password": ""}],
)
def test_the_log_in_form(client, ukiha, data):
    response = client.post("/ukiha/login/", data)
    assert_no_django_wording(response)
    if not data["user_number"]:
        assert "利用者番号を入力してください。" in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [{}, {"birth_year": "abc", "birth_month": "x", "birth_day": "y", "phone": "abc"}],
)
def test_the_registration_form(client, minato, data):
    assert_no_django_wording(client.post("/minato/register/form/", data))


@pytest.mark.parametrize("data", [{}, {"party_size": "abc", "slots": ["x"], "purpose": "abc"}])
def test_the_hall_booking_form(client, ukiha, person, data):
    _, whole, *_ = hall(ukiha)
    response = client.post(
        f"/ukiha/reserve/{whole.pk}/", {"action": "confirm", "date": "2026-06-16", **data}
    )
    assert_no_django_wording(response)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"nights": "abc", "rooms": "x", "adults": "y", "children": "z", "infants": "q"},
        {"nights": "", "rooms": "", "adults": "", "children": "", "infants": ""},
    ],
)
def test_the_stay_booking_form(client, ukiha, person, data):
    _, room_type = resort(ukiha)
    response = client.post(
        f"/ukiha/reserve/{room_type.pk}/", {"action": "confirm", "date": "2026-06-16", **data}
    )
    assert_no_django_wording(response)
    body = response.content.decode()
    if data.get("nights") == "abc":
        assert "宿泊数は一覧から選んでください。" in body
        assert "大人は半角数字で入力してください。" in body
    if data.get("nights") == "":
        assert "宿泊数を選んでください。" in body


def test_the_stay_booking_form_names_the_number_fields(client, ukiha, person):
    _, room_type = resort(ukiha)
    response = client.post(
        f"/ukiha/reserve/{room_type.pk}/",
        {"action": "confirm", "date": "2026-06-16", "nights": "1", "rooms": "1", "adults": "0"},
    )
    assert "大人は1以上で入力してください。" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/ukiha/mypage/password/", {"current": "", "new": "", "new_confirm": ""}),
        ("/ukiha/mypage/details/", {"name": "", "phone": ""}),
        ("/ukiha/mypage/details/", {"birth_year": "abc", "phone": "abc"}),
        ("/ukiha/mypage/deregister/", {}),
        ("/ukiha/mypage/reductions/", {}),
        ("/ukiha/mypage/reductions/", {"category": "abc"}),
    ],
)
def test_the_my_page_forms(client, ukiha, person, url, data):
    assert_no_django_wording(client.post(url, data))


@pytest.mark.parametrize(
    "data", [{"user_number": "", "email": ""}, {"user_number": "abc", "email": "abc"}]
)
def test_the_password_reset_form(client, ukiha, data):
    assert_no_django_wording(client.post("/ukiha/password-reset/", data))


def test_the_availability_search(client, ukiha):
    response = client.get("/ukiha/availability/", {"date": "abc", "purpose": "abc", "kind": "x"})
    body = html.unescape(response.content.decode())
    assert [p.pattern for p in DEFAULTS if p.search(body)] == []


@pytest.mark.parametrize(
    "data",
    [
        {"c1-unit": "abc"},
        {"c1-use_date": "abc", "c1-nights": "x", "c1-rooms": "y", "c1-adults": "z"},
    ],
)
def test_the_lottery_application_form(client, minato, data):
    _facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    lottery = make_round(minato, [room_type])
    client.force_login(registrant(minato).user)
    payload = {"c1-unit": room_type.pk, **data}
    assert_no_django_wording(client.post(f"/minato/lottery/{lottery.pk}/apply/", payload))
