"""The staff console's forms share the citizen pages' error summary: a summary linking to each
field, every invalid field described by its message, and messages that name the field."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.citizen.html_checks import assert_errors_are_accessible
from tests.staff.test_console import login as staff_login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff(client, ukiha):
    f.staff_user(ukiha)
    staff_login(client, ukiha)
    return client


def test_the_log_in_form_sent_empty(client, ukiha):
    response = client.post("/staff/login/", {"municipality": "", "login_id": "", "password": ""})
    page = assert_errors_are_accessible(response.content.decode())
    assert "#id_login_id" in page.summary_links


def test_a_notice_sent_empty_names_its_fields(staff):
    response = staff.post("/staff/notices/new/", {"title": "", "body": "", "published_at": "x"})
    page = assert_errors_are_accessible(response.content.decode())
    assert "#id_published_at" in page.summary_links
    assert "このフィールドは必須です。" not in response.content.decode()


def test_a_block_sent_with_letters_for_dates(staff):
    response = staff.post("/staff/blocks/", {"unit": "x", "start_date": "abc", "end_date": "abc"})
    assert_errors_are_accessible(response.content.decode())
