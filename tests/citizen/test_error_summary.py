"""A form sent with mistakes starts with a summary linking to each field, and every invalid
field is described by its message (aria-describedby) and marked aria-invalid."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.citizen.html_checks import assert_errors_are_accessible
from tests.registrants.data import form_data
from tests.reservations.helpers import hall, registrant

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_booking_without_a_slot_and_with_a_letter_for_the_party_links_to_both(client, ukiha):
    _, whole, *_ = hall(ukiha)
    client.force_login(registrant(ukiha).user)
    response = client.post(
        f"/ukiha/reserve/{whole.pk}/",
        {"action": "confirm", "date": "2026-06-16", "party_size": "abc"},
    )
    page = assert_errors_are_accessible(response.content.decode())
    assert "#id_slots" in page.summary_links and "#id_party_size" in page.summary_links
    # Every box of the slot group is described by the group's message.
    slot_boxes = [a for a in page.invalid if a.get("name") == "slots"]
    assert slot_boxes and all(a["aria-describedby"] == "id_slots_error" for a in slot_boxes)
    assert "利用する時間区分を選んでください。" in page.ids["id_slots_error"]
    assert page.ids["id_party_size_error"].strip() == "利用予定人数は半角数字で入力してください。"


def test_a_booking_slot_choice_is_linked_from_the_summary_to_its_fieldset(client, ukiha):
    _, whole, *_ = hall(ukiha)
    client.force_login(registrant(ukiha).user)
    response = client.post(
        f"/ukiha/reserve/{whole.pk}/",
        {"action": "confirm", "date": "2026-06-16", "slots": [f.slot(whole, "am").pk]},
    )
    page = assert_errors_are_accessible(response.content.decode())
    assert page.summary_links == ["#id_party_size"]
    assert page.ids["id_party_size_error"].strip() == "利用予定人数を入力してください。"


def test_the_registration_form_with_mistakes_links_each_field_from_the_summary(client, minato):
    data = form_data(name="", phone="abc", category="")
    response = client.post("/minato/register/form/", data)
    page = assert_errors_are_accessible(response.content.decode())
    for anchor in ("#id_name", "#id_phone", "#id_category"):
        assert anchor in page.summary_links
    category = [a for a in page.invalid if a.get("name") == "category"]
    assert category and all(a["aria-describedby"] == "id_category_error" for a in category)


def test_the_log_in_form_with_nothing_typed_names_both_fields(client, ukiha):
    response = client.post("/ukiha/login/", {"user_number": "", "password": ""})
    page = assert_errors_are_accessible(response.content.decode())
    assert page.summary_links == ["#id_user_number", "#id_password"]
    assert page.ids["id_user_number_error"].strip() == "利用者番号を入力してください。"
    assert page.ids["id_password_error"].strip() == "パスワードを入力してください。"
