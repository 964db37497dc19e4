"""Mails follow the registrant's language: who chose やさしい日本語 (on the language switch
while logged in, or on my page) gets the easy variant of every citizen mail; others, English
readers included, get the Japanese one."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core import mail

from tests import factories as f
from tests.lottery.test_rounds import make_round
from tests.reservations.helpers import book_slot, hall, registrant, resort
from yoyaku.core import clock
from yoyaku.core.services import user_language_set
from yoyaku.lottery import services as lottery_services
from yoyaku.notifications.models import LineDelivery, LineLink
from yoyaku.notifications.services import email_render
from yoyaku.reservations import booking

EMAIL = Path(__file__).resolve().parents[2] / "yoyaku" / "templates" / "notifications" / "email"
EASY = EMAIL / "ja-easy"
# Mails that only staff receive stay in Japanese. None today: every mail goes to a citizen.
STAFF_ONLY: frozenset[str] = frozenset()
DAY = dt.date(2026, 6, 16)


def easy(person):
    user_language_set(user=person.user, language="ja-easy")
    return person


@pytest.mark.django_db
def test_a_reservation_mail__easy_for_who_chose_it__japanese_for_the_others(
    ukiha, django_capture_on_commit_callbacks
):
    _, whole, *_ = hall(ukiha)
    reader = easy(registrant(ukiha))
    other = registrant(ukiha)
    with django_capture_on_commit_callbacks(execute=True):
        book_slot(reader, whole, DAY, "am")
        book_slot(other, whole, DAY, "pm")
    mails = {m.to[0]: m for m in mail.outbox}
    easy_mail, plain = mails[reader.email], mails[other.email]
    assert "予約（よやく）の申し込みを受け付けました" in easy_mail.subject
    assert f"{reader.name} さん" in easy_mail.body
    assert "予約（よやく）の番号：" in easy_mail.body
    assert "このメールには返信（へんしん）できません。" in easy_mail.body
    assert "予約（よやく）の番号：" in easy_mail.alternatives[0][0]  # the HTML part too
    assert "予約の申込みを受け付けました" in plain.subject
    assert f"{other.name} 様" in plain.body and "（よやく）" not in plain.body


@pytest.mark.django_db
def test_a_lottery_result_mail__easy_for_who_chose_it(
    minato, travel, django_capture_on_commit_callbacks
):
    travel(dt.datetime(2026, 6, 2, 9, 0))
    _facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    lottery = make_round(minato, [room_type])
    reader, other = easy(registrant(minato)), registrant(minato)
    for person in (reader, other):
        choice = lottery_services.ChoiceRequest(
            unit=room_type, use_date=dt.date(2026, 8, 6), nights=1, rooms=1, adults=2
        )
        lottery_services.lottery_apply(
            lottery=lottery, registrant=person, choices=[choice], by=person.user
        )
    travel(dt.datetime(2026, 6, 25, 10, 0))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        f.lottery_draw(lottery=lottery)
    mails = {m.to[0]: m for m in mail.outbox}
    assert "抽選（ちゅうせん）の結果（けっか）です" in mails[reader.email].subject
    assert "結果：当たりました（1番目に選んだもの）" in mails[reader.email].body
    assert "抽選結果のお知らせ" in mails[other.email].subject
    assert "結果：当選（第1希望）" in mails[other.email].body


@pytest.mark.django_db
def test_the_language_switch_of_a_logged_in_registrant_sets_their_mail_language(client, ukiha):
    person = registrant(ukiha)
    client.force_login(person.user)
    response = client.post("/i18n/setlang/", {"language": "ja-easy", "next": "/ukiha/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "ja-easy"
    person.user.refresh_from_db()
    assert person.user.language == "ja-easy"
    client.post("/i18n/setlang/", {"language": "xx", "next": "/ukiha/"})  # unknown: ignored
    person.user.refresh_from_db()
    assert person.user.language == "ja-easy"


@pytest.mark.django_db
def test_the_language_switch_without_logging_in_changes_only_the_pages(client, ukiha):
    person = registrant(ukiha)
    response = client.post("/i18n/setlang/", {"language": "ja-easy", "next": "/ukiha/"})
    assert response.cookies["django_language"].value == "ja-easy"
    person.user.refresh_from_db()
    assert person.user.language == "ja"


@pytest.mark.django_db
def test_my_page_sets_the_mail_language(client, ukiha, django_capture_on_commit_callbacks):
    person = registrant(ukiha)
    client.force_login(person.user)
    page = client.get("/ukiha/mypage/").content.decode()
    assert "お知らせの言語" in page
    assert 'value="ja-easy"' in page and 'value="en"' in page
    response = client.post("/ukiha/mypage/language/", {"language": "ja-easy"})
    assert response.status_code == 302 and response["Location"] == "/ukiha/mypage/"
    person.user.refresh_from_db()
    assert person.user.language == "ja-easy"
    _, whole, *_ = hall(ukiha)
    with django_capture_on_commit_callbacks(execute=True):
        book_slot(person, whole, DAY, "am")
    assert "（よやく）" in mail.outbox[-1].subject


@pytest.mark.django_db
def test_my_page_refuses_an_unknown_language_next_to_the_field(client, ukiha):
    person = registrant(ukiha)
    client.force_login(person.user)
    response = client.post("/ukiha/mypage/language/", {"language": "<b>xx</b>"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_language_error"' in body and "<b>xx</b>" not in body
    person.user.refresh_from_db()
    assert person.user.language == "ja"


@pytest.mark.django_db
def test_an_english_reader_gets_the_japanese_mail(
    client, ukiha, django_capture_on_commit_callbacks
):
    _, whole, *_ = hall(ukiha)
    person = registrant(ukiha)
    user_language_set(user=person.user, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        book_slot(person, whole, DAY, "am")
    assert "予約の申込みを受け付けました" in mail.outbox[-1].subject


@pytest.mark.django_db
def test_line_carries_the_same_easy_text(ukiha, travel, django_capture_on_commit_callbacks):
    _, whole, *_ = hall(ukiha)
    person = easy(registrant(ukiha))
    LineLink.objects.create(
        municipality=ukiha, user=person.user, line_user_id="U" + "0" * 32, linked_at=clock.now()
    )
    book_slot(person, whole, DAY, "am")
    travel(dt.datetime(2026, 6, 13, 9))
    with django_capture_on_commit_callbacks(execute=False):
        assert booking.reservation_reminders() == 1
    text = LineDelivery.objects.get().text
    assert text.startswith("【") and "予約（よやく）した日まで、あと3日です。" in text


def mail_names(folder: Path) -> set[str]:
    return {p.stem for p in folder.glob("*.txt") if not p.stem.startswith("_")}


def test_every_citizen_mail_has_an_easy_variant():
    citizen = {n for n in mail_names(EMAIL) if n.removesuffix("_subject") not in STAFF_ONLY}
    assert len(citizen) > 50
    assert sorted(citizen - mail_names(EASY)) == []
    assert sorted(mail_names(EASY) - mail_names(EMAIL)) == []  # no variant of nothing


VARIABLE = re.compile(
    r"\{\{\s*([\w.]+)|\{%\s*(?:if|elif)\s+(?:not\s+)?([\w.]+)|\{%\s*for\s+\w+\s+in\s+([\w.]+)"
)


def variables(path: Path) -> set[str]:
    return {next(g for g in m.groups() if g) for m in VARIABLE.finditer(path.read_text())}


def includes(path: Path) -> list[str]:
    part = r'\{% include "notifications/email/(?:ja-easy/)?([\w.]+)" %\}'
    return re.findall(part, path.read_text())


@pytest.mark.parametrize("name", sorted(p.name for p in EASY.glob("*.txt")))
def test_an_easy_variant_uses_the_same_variables_and_includes_easy_parts(name):
    easy_file, plain_file = EASY / name, EMAIL / name
    assert variables(easy_file) == variables(plain_file)
    assert includes(easy_file) == includes(plain_file)
    for part in re.findall(r'\{% include "([^"]+)" %\}', easy_file.read_text()):
        assert part.startswith("notifications/email/ja-easy/"), part


def sample_context(flag: bool) -> dict:
    """Every variable any mail uses, the flags all on or all off."""
    moment = clock.at(dt.date(2026, 6, 30), dt.time(23, 59))
    return {
        "system_name": "うきは市公共施設予約システム",
        "site_url": "http://127.0.0.1:8000",
        "municipality_slug": "ukiha",
        "contact_text": "うきは市 生涯学習課 0943-75-0000" if flag else "",
        "name": "浮羽 太郎",
        "user_number": "123456",
        "existing_number": "654321",
        "reservation_number": "R-2026-000123",
        "reservation_id": 123,
        "reservation_status": "審査中" if flag else "予約確定",
        "facility_name": "うきは市民会館",
        "unit_name": "大ホール",
        "use_date": dt.date(2026, 6, 16),
        "slots": "午前",
        "nights": 2 if flag else 0,
        "fee_total": "4,600",
        "previous_total": "2,000",
        "difference": "2,600",
        "cancellation_fee": "1,000",
        "reason": "設備の点検のため" if flag else "",
        "message": "在勤を確かめられる書類をお送りください。",
        "round_name": "2026年8月宿泊分",
        "round_id": 7,
        "won": flag,
        "won_rank": 1,
        "confirm_deadline": moment if flag else None,
        "pseudonym": "a1b2c3",
        "seed_sha256": "0" * 64,
        "amount": "4,600",
        "method": "クレジットカード",
        "late": flag,
        "cancelled": flag,
        "approved": flag,
        "category": "障がい者",
        "due": "6月30日（火）",
        "deadline": "6月30日（火）23:59",
        "what": "午前",
        "entry_code": "4821" if flag else "",
        "entry_code_from": "9:00",
        "entry_code_until": "12:00",
        "valid_until": dt.date(2028, 3, 31),
        "book_before_review": flag,
        "token": "tok",
        "uid": "MTI",
        "bundle_kind": "定期利用",
        "bundle_number": "B-2026-0001",
        "bundle_label": "バレーボール教室" if flag else "",
        "bundle_id": 5,
        "item_count": 3,
        "item_lines": "・6月16日（火）うきは市民会館 大ホール 午前",
        "items": [
            {
                "use_date": "6月16日（火）",
                "facility_name": "うきは市民会館",
                "unit_name": "大ホール",
                "number": "R-2026-000123",
                "amount": "2,000",
                "status": "予約確定",
                "late": flag,
            }
        ],
    }


@pytest.mark.parametrize("flag", [True, False])
def test_every_easy_variant_renders_as_plain_text_with_the_mails_context(flag):
    context = sample_context(flag)
    for name in sorted(mail_names(EASY)):
        if name.endswith("_subject"):
            continue
        subject, text, html = email_render(template=name, context=context, language="ja-easy")
        plain_subject, plain_text, _ = email_render(template=name, context=context)
        assert subject != plain_subject and text != plain_text, name
        assert not re.search(r"<[a-zA-Z/!]", subject + text), name
        assert "{{" not in text and "{%" not in text, name
        assert "<ruby" not in html and "&lt;ruby" not in html, name
        if name not in {"email_change_confirm", "registration_applied"}:  # no name known yet
            assert f"{context['name']} さん" in text and "様" not in text, name


@pytest.mark.django_db
def test_a_mail_sent_from_a_page_in_easy_japanese_is_easy_until_a_language_is_chosen(ukiha):
    from django.utils import translation

    from yoyaku.notifications.services import recipient_language

    person = registrant(ukiha)
    context = {"recipient_user_id": person.user_id, "municipality_slug": "ukiha"}
    # Who has chosen nothing (e.g. registering on a page in やさしい日本語) gets that page's.
    with translation.override("ja-easy"):
        assert recipient_language(to=[person.email], context=context) == "ja-easy"
        assert recipient_language(to=["nobody@example.jp"], context={}) == "ja-easy"
    assert recipient_language(to=[person.email], context=context) == "ja"
    with translation.override("en"):
        assert recipient_language(to=[person.email], context=context) == "ja"
