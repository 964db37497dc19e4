"""Password-reset mails are limited per account and per client address, so the public page
cannot flood a citizen's mailbox or the municipality's sender; the page still never tells who
is registered."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client

from tests import factories as f
from tests.registrants import builders

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/ukiha/password-reset/"
START = dt.datetime(2026, 6, 1, 10, 0)


@pytest.fixture
def person(ukiha):
    return builders.active(ukiha, f.staff_user(ukiha))


def ask(client, person, **extra):
    return client.post(URL, {"user_number": person.user_number, "email": person.email}, **extra)


def test_one_account__gets_at_most_3_mails_an_hour_from_any_number_of_addresses(person, travel):
    mail.outbox.clear()
    for n in range(8):
        response = ask(Client(), person, REMOTE_ADDR=f"198.51.100.{n + 1}")
        assert response.status_code == 200
    assert len(mail.outbox) == 3
    travel(START + dt.timedelta(hours=1, minutes=1))
    ask(Client(), person, REMOTE_ADDR="198.51.100.99")
    assert len(mail.outbox) == 4


def page(response) -> str:
    """The page as a person sees it: without the per-response form tokens."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def test_past_the_account_limit__the_page_answers_as_for_anyone(person):
    client = Client()
    answers = {page(ask(client, person, REMOTE_ADDR=f"203.0.113.{n}")) for n in range(1, 5)}
    unknown = page(
        client.post(
            URL, {"user_number": "999999", "email": "x@example.jp"}, REMOTE_ADDR="203.0.113.9"
        )
    )
    assert len(answers | {unknown}) == 1


def test_one_address__is_refused_after_10_requests_an_hour_and_told_when_to_retry(ukiha):
    client = Client()
    for n in range(10):
        response = client.post(URL, {"user_number": f"{100000 + n}", "email": f"p{n}@example.jp"})
        assert response.status_code == 200, n
    response = client.post(URL, {"user_number": "100011", "email": "q@example.jp"})
    assert response.status_code == 429
    body = response.content.decode()
    assert "パスワード再設定のお申し込みが短時間に続いたため" in body
    assert 'value="100011"' in body  # what was typed is kept


def test_a_refused_address__sends_no_mail_even_to_a_real_account(person):
    client = Client()
    for n in range(10):
        client.post(URL, {"user_number": f"{100000 + n}", "email": f"p{n}@example.jp"})
    mail.outbox.clear()
    assert ask(client, person).status_code == 429
    assert mail.outbox == []
