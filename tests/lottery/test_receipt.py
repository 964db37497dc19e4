"""Every lottery receipt shows the applicant's pseudonym and the round's seed hash, and the
published file has one application per line, so a person can find their own and check it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail

from tests import factories as f
from tests.lottery.test_rounds import STAY, make_round, stay
from tests.reservations.helpers import registrant, resort
from yoyaku.core.errors import DomainError
from yoyaku.lottery import services
from yoyaku.lottery.models import LotteryApplication

pytestmark = pytest.mark.django_db


@pytest.fixture
def lottery(minato, travel):
    travel(dt.datetime(2026, 6, 2, 9, 0))
    _facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    return make_round(minato, [room_type]), room_type


def apply(lottery, person, room_type, capture):
    with capture(execute=True):
        return services.lottery_apply(
            lottery=lottery, registrant=person, choices=[stay(room_type)], by=person.user
        )


def test_the_page_after_applying_shows_the_pseudonym_and_the_seed_hash_and_not_another_persons(
    client, minato, lottery, django_capture_on_commit_callbacks
):
    round_, room_type = lottery
    other = apply(round_, registrant(minato), room_type, django_capture_on_commit_callbacks)
    person = registrant(minato)
    client.force_login(person.user)
    response = client.post(
        f"/minato/lottery/{round_.pk}/apply/",
        {
            "c1-unit": room_type.pk,
            "c1-use_date": STAY.isoformat(),
            "c1-nights": "2",
            "c1-rooms": "1",
            "c1-adults": "2",
        },
        follow=True,
    )
    mine = LotteryApplication.objects.get(registrant=person)
    assert response.redirect_chain[-1][0] == f"/minato/lottery/applications/#application-{mine.pk}"
    page = response.content.decode()
    assert "抽選の申込みを受け付けました。" in page
    assert "抽選用の匿名ID" in page and f'<code class="hash">{mine.pseudonym}</code>' in page
    assert "乱数の種のハッシュ（SHA-256）" in page and round_.seed_sha256 in page
    assert "ハッシュは抽選の前に決まっており" in page
    assert other.pseudonym not in page


def test_my_applications_list_shows_each_of_my_pseudonyms_and_never_another_persons(
    client, minato, lottery, django_capture_on_commit_callbacks
):
    round_, room_type = lottery
    person = registrant(minato)
    mine = apply(round_, person, room_type, django_capture_on_commit_callbacks)
    other = apply(round_, registrant(minato), room_type, django_capture_on_commit_callbacks)
    client.force_login(person.user)
    page = client.get("/minato/lottery/applications/").content.decode()
    assert f'id="application-{mine.pk}"' in page
    assert mine.pseudonym in page and round_.seed_sha256 in page
    assert f'href="/minato/lottery/{round_.pk}/published.json"' in page
    assert other.pseudonym not in page


def test_the_mail_sent_on_applying_holds_the_pseudonym_and_the_seed_hash(
    minato, lottery, django_capture_on_commit_callbacks
):
    round_, room_type = lottery
    person = registrant(minato)
    mail.outbox.clear()
    mine = apply(round_, person, room_type, django_capture_on_commit_callbacks)
    [receipt] = [m for m in mail.outbox if "抽選申込みの受付" in m.subject]
    assert receipt.to == [person.email]
    assert round_.name in receipt.subject
    assert f"抽選用の匿名ID：{mine.pseudonym}" in receipt.body
    assert f"乱数の種のハッシュ（SHA-256）：{round_.seed_sha256}" in receipt.body
    assert f"/minato/lottery/{round_.pk}/published.json" in receipt.body
    html = receipt.alternatives[0][0]
    assert mine.pseudonym in html and round_.seed_sha256 in html


def test_a_failed_application_mails_no_receipt(
    minato, lottery, travel, django_capture_on_commit_callbacks
):
    round_, room_type = lottery
    travel(dt.datetime(2026, 6, 11, 9, 0))
    mail.outbox.clear()
    with pytest.raises(DomainError):
        apply(round_, registrant(minato), room_type, django_capture_on_commit_callbacks)
    assert mail.outbox == []


@pytest.fixture
def drawn(minato, lottery, travel, django_capture_on_commit_callbacks):
    round_, room_type = lottery
    applicants = [registrant(minato) for _ in range(5)]
    applications = [
        apply(round_, person, room_type, django_capture_on_commit_callbacks)
        for person in applicants
    ]
    travel(dt.datetime(2026, 6, 25, 10, 0))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        f.lottery_draw(lottery=round_)
    round_.refresh_from_db()
    return round_, applicants, applications


def test_the_results_mail_and_page_show_the_pseudonym_and_the_seed_hash(client, drawn):
    round_, applicants, applications = drawn
    person, mine, other = applicants[0], applications[0], applications[1]
    [result] = [m for m in mail.outbox if m.to == [person.email] and "抽選結果" in m.subject]
    assert f"抽選用の匿名ID：{mine.pseudonym}" in result.body
    assert round_.seed_sha256 in result.body
    client.force_login(person.user)
    page = client.get("/minato/lottery/results/").content.decode()
    assert mine.pseudonym in page and round_.seed_sha256 in page
    assert other.pseudonym not in page


def test_the_published_file_has_one_line_per_application_and_each_pseudonym_on_one_of_them(
    client, drawn
):
    round_, _applicants, applications = drawn
    response = client.get(f"/minato/lottery/{round_.pk}/published.json")
    assert response.status_code == 200
    text = response.content.decode()
    lines = text.splitlines()
    start = lines.index('"applications":[')
    rows = lines[start + 1 : start + 1 + len(applications)]
    assert lines[start + 1 + len(applications)].startswith("]")
    assert sorted(json.loads(row.rstrip(","))["id"] for row in rows) == sorted(
        a.pseudonym for a in applications
    )
    for application in applications:
        assert len([row for row in rows if application.pseudonym in row]) == 1
    assert json.loads(text)["seed_sha256"] == round_.seed_sha256
