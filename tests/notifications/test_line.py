"""LINE通知 at its HTTP boundary: a local server on 127.0.0.1 stands in for api.line.me and
answers with recorded bodies; LINE's webhook calls are signed like LINE signs them."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.urls import reverse

from tests.reservations.helpers import book_slot, hall, registrant
from yoyaku.core import clock
from yoyaku.core.models import AuditLog
from yoyaku.notifications import line, line_services
from yoyaku.notifications.channels import Message, line_text
from yoyaku.notifications.models import Kind, LineDelivery, LineLink, LineLinkCode
from yoyaku.notifications.services import (
    email_send_many,
    email_template_queue,
    email_template_render,
)
from yoyaku.registrants import services as registrant_services
from yoyaku.registrants.services.common import mail_context
from yoyaku.reservations import booking

pytestmark = pytest.mark.django_db

SECRET = "0123456789abcdef0123456789abcdef"
TOKEN = "recorded-access-token+/="
LINE_USER = "U" + "4af4980629" * 3 + "ab"
DAY = dt.date(2026, 6, 16)

# Bodies as LINE answers them (Messaging API reference).
PUSH_OK = (200, {"sentMessages": [{"id": "461230966842064897", "quoteToken": "IStG5h1Tz7b"}]})
RATE_LIMITED = (429, {"message": "The API rate limit has been exceeded. Try again later."})
BAD_REQUEST = (
    400,
    {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "Invalid user ID", "property": "to"}],
    },
)


class FakeLine:
    """Records what was posted; answers from a script, then 200."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: list[tuple[int, dict, dict]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fake.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
                )
                status, answer, headers = fake.script.pop(0) if fake.script else (*PUSH_OK, {})
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, status: int, body: dict, **headers: str) -> None:
        self.script.append((status, body, headers))

    def pushes(self) -> list[dict]:
        return [r for r in self.requests if r["path"] == "/v2/bot/message/push"]

    def replies(self) -> list[dict]:
        return [r for r in self.requests if r["path"] == "/v2/bot/message/reply"]


@pytest.fixture
def line_api(settings):
    fake = FakeLine()
    settings.YOYAKU_LINE_API_URL = fake.url
    settings.YOYAKU_LINE_CHANNEL_SECRET = f"ukiha:{SECRET}"
    settings.YOYAKU_LINE_CHANNEL_ACCESS_TOKEN = f"ukiha:{TOKEN}"
    settings.YOYAKU_LINE_BOT_ID = "ukiha:@123abcde"
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def signed_post(client, slug: str, events: list[dict], *, secret: str = SECRET):
    body = json.dumps({"destination": "U" + "0" * 32, "events": events}).encode()
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return client.post(
        f"/line/webhook/{slug}/",
        body,
        content_type="application/json",
        headers={"X-Line-Signature": signature.decode()},
    )


def text_event(text: str, user: str = LINE_USER) -> dict:
    return {
        "type": "message",
        "replyToken": "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA",
        "source": {"type": "user", "userId": user},
        "message": {"type": "text", "id": "444573844083572737", "text": text},
    }


def issue_code(client, person) -> str:
    client.force_login(person.user)
    response = client.post(
        reverse("citizen:line_manage", args=["ukiha"]), {"action": "code"}, follow=True
    )
    code = LineLinkCode.objects.get(user=person.user, used_at__isnull=True).code
    assert code in response.content.decode()  # shown on my page
    return code


def linked(client, person, django_capture_on_commit_callbacks) -> None:
    code = issue_code(client, person)
    with django_capture_on_commit_callbacks(execute=True):
        assert signed_post(client, "ukiha", [text_event(code)]).status_code == 200


def test_linking__the_code_from_my_page_sent_to_the_account_links_it(
    client, ukiha, line_api, django_capture_on_commit_callbacks
):
    person = registrant(ukiha)
    code = issue_code(client, person)
    # Typed on a phone: lower case, with a hyphen in the middle.
    typed = f"{code[:4].lower()}-{code[4:]}"
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_post(client, "ukiha", [text_event(typed)])
    assert response.status_code == 200
    assert LineLink.objects.get(user=person.user).line_user_id == LINE_USER
    [reply] = line_api.replies()
    assert "連携が完了しました" in reply["json"]["messages"][0]["text"]
    assert reply["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert AuditLog.objects.filter(action="line.link", via="webhook").count() == 1
    page = client.get(reverse("citizen:mypage", args=["ukiha"])).content.decode()
    assert "LINEと連携しています" in page
    # Single use: the same code again links nobody and says so.
    other = "U" + "9" * 32
    with django_capture_on_commit_callbacks(execute=True):
        signed_post(client, "ukiha", [text_event(code, user=other)])
    assert not LineLink.objects.filter(line_user_id=other).exists()
    assert "正しくないか" in line_api.replies()[-1]["json"]["messages"][0]["text"]


def test_linking__a_code_older_than_ten_minutes_is_refused(
    client, ukiha, line_api, travel, django_capture_on_commit_callbacks
):
    person = registrant(ukiha)
    code = issue_code(client, person)
    travel(dt.datetime(2026, 6, 1, 10, 11))
    with django_capture_on_commit_callbacks(execute=True):
        signed_post(client, "ukiha", [text_event(code)])
    assert not LineLink.objects.exists()


def test_webhook__a_bad_signature_is_refused_with_400_and_links_nobody(client, ukiha, line_api):
    person = registrant(ukiha)
    code = issue_code(client, person)
    response = signed_post(client, "ukiha", [text_event(code)], secret="not-the-secret")
    assert response.status_code == 400
    unsigned = client.post(
        "/line/webhook/ukiha/", json.dumps({"events": [text_event(code)]}), "application/json"
    )
    assert unsigned.status_code == 400
    assert not LineLink.objects.exists()
    assert line_api.requests == []


def test_webhook__a_municipality_without_line_is_not_found(client, ukiha, minato, line_api):
    assert signed_post(client, "minato", []).status_code == 404
    assert signed_post(client, "nowhere", []).status_code == 404


def reminder_of(person):
    _, whole, *_ = hall(person.municipality)
    book_slot(person, whole, DAY, "am")


def test_reminder__goes_by_email_and_line_when_linked(
    client, ukiha, line_api, travel, django_capture_on_commit_callbacks
):
    person = registrant(ukiha)
    linked(client, person, django_capture_on_commit_callbacks)
    reminder_of(person)
    travel(dt.datetime(2026, 6, 13, 9))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert booking.reservation_reminders() == 1
    assert [m.to for m in mail.outbox] == [[person.email]]
    [push] = line_api.pushes()
    assert push["json"]["to"] == LINE_USER
    [message] = push["json"]["messages"]
    assert message["type"] == "text"
    assert mail.outbox[0].subject in message["text"]
    assert message["text"].endswith("http://127.0.0.1:8000/ukiha/mypage/")
    assert "送信専用" not in message["text"]  # the e-mail's footer stays in the e-mail
    assert push["headers"]["X-Line-Retry-Key"]
    delivery = LineDelivery.objects.get()
    assert (delivery.status, delivery.http_status, delivery.text) == ("sent", 200, "")


def test_reminder__goes_by_email_only_when_not_linked(
    ukiha, line_api, travel, django_capture_on_commit_callbacks
):
    person = registrant(ukiha)
    reminder_of(person)
    travel(dt.datetime(2026, 6, 13, 9))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert booking.reservation_reminders() == 1
    assert len(mail.outbox) == 1
    assert line_api.pushes() == []


def test_password_reset__stays_email_only_when_linked(
    client, ukiha, line_api, django_capture_on_commit_callbacks
):
    person = registrant(ukiha)
    linked(client, person, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        email_template_queue(
            to=[person.email],
            template="password_reset",
            context=mail_context(person, uid="MQ", token="set-by-test"),
        )
    assert len(mail.outbox) == 1
    assert line_api.pushes() == []


def test_lottery_results_sent_in_bulk__also_go_to_line(
    client, ukiha, line_api, django_capture_on_commit_callbacks
):
    person, other = registrant(ukiha), registrant(ukiha)
    linked(client, person, django_capture_on_commit_callbacks)
    mails = [
        email_template_render(
            to=[p.email], template="lottery_result", context=mail_context(p, round_name="6月分")
        )
        for p in (person, other)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert email_send_many(mails) == 2
    [push] = line_api.pushes()
    assert push["json"]["to"] == LINE_USER


def test_a_rate_limited_push_is_tried_again_after_the_wait_with_the_same_retry_key(
    client, ukiha, line_api, travel, django_capture_on_commit_callbacks
):
    person = registrant(ukiha)
    linked(client, person, django_capture_on_commit_callbacks)
    reminder_of(person)
    travel(dt.datetime(2026, 6, 13, 9))
    line_api.answer(*RATE_LIMITED, **{"Retry-After": "90"})
    with django_capture_on_commit_callbacks(execute=True):
        booking.reservation_reminders()
    delivery = LineDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.http_status) == ("pending", 1, 429)
    assert delivery.next_attempt_at == clock.now() + dt.timedelta(seconds=90)
    travel(dt.datetime(2026, 6, 13, 9, 1))
    assert line_services.line_deliver_due() == 0  # Retry-After (90 s) is longer than 1 minute
    travel(dt.datetime(2026, 6, 13, 9, 2))
    assert line_services.line_deliver_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.http_status) == ("sent", 2, 200)
    first, second = line_api.pushes()
    assert first["headers"]["X-Line-Retry-Key"] == second["headers"]["X-Line-Retry-Key"]


def test_a_refused_push_is_recorded_and_not_tried_again(
    client, ukiha, line_api, travel, django_capture_on_commit_callbacks
):
    person = registrant(ukiha)
    linked(client, person, django_capture_on_commit_callbacks)
    reminder_of(person)
    travel(dt.datetime(2026, 6, 13, 9))
    line_api.answer(*BAD_REQUEST)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking.reservation_reminders()
    delivery = LineDelivery.objects.get()
    assert (delivery.status, delivery.http_status) == ("failed", 400)
    assert delivery.error == "The request body has 1 error(s)"
    assert delivery.text == ""  # nothing personal kept once it is over
    travel(dt.datetime(2026, 6, 13, 12))
    assert line_services.line_deliver_due() == 0
    assert len(line_api.pushes()) == 1
    assert len(mail.outbox) == 1  # the e-mail went regardless


def test_unlinking_on_my_page__stops_line_messages(
    client, ukiha, line_api, travel, django_capture_on_commit_callbacks
):
    person = registrant(ukiha)
    linked(client, person, django_capture_on_commit_callbacks)
    response = client.post(
        reverse("citizen:line_manage", args=["ukiha"]), {"action": "unlink"}, follow=True
    )
    assert "連携を解除しました" in response.content.decode()
    assert not LineLink.objects.exists()
    assert AuditLog.objects.filter(action="line.unlink", via="citizen").count() == 1
    reminder_of(person)
    travel(dt.datetime(2026, 6, 13, 9))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking.reservation_reminders()
    assert len(mail.outbox) == 1
    assert line_api.pushes() == []


def test_a_message_queued_before_unlinking_is_not_pushed(
    client, ukiha, line_api, travel, django_capture_on_commit_callbacks
):
    person = registrant(ukiha)
    linked(client, person, django_capture_on_commit_callbacks)
    reminder_of(person)
    travel(dt.datetime(2026, 6, 13, 9))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        booking.reservation_reminders()
    line_services.line_unlink(user=person.user, municipality=ukiha)
    for callback in queued:
        callback()
    assert LineDelivery.objects.get().status == "cancelled"
    assert line_api.pushes() == []


def test_an_unfollow_unlinks(client, ukiha, line_api, django_capture_on_commit_callbacks):
    person = registrant(ukiha)
    linked(client, person, django_capture_on_commit_callbacks)
    unfollow = {"type": "unfollow", "source": {"type": "user", "userId": LINE_USER}}
    assert signed_post(client, "ukiha", [unfollow]).status_code == 200
    assert not LineLink.objects.exists()
    assert AuditLog.objects.filter(action="line.unlink", via="webhook").count() == 1


def test_my_page__without_a_line_account_has_no_line_section(client, ukiha):
    person = registrant(ukiha)
    client.force_login(person.user)
    page = client.get(reverse("citizen:mypage", args=["ukiha"])).content.decode()
    assert "LINE通知" not in page
    response = client.post(reverse("citizen:line_manage", args=["ukiha"]), {"action": "code"})
    assert response.status_code == 404


def test_line_text__is_plain_and_within_lines_limit():
    text = line_text(
        Message(kind=Kind.REMINDER, subject="件名", text="<b>本文</b>" * 2000, link="https://x/")
    )
    assert len(text) <= line.TEXT_LIMIT
    assert text.startswith("【件名】") and text.endswith("https://x/")
    assert "<b>本文</b>" in text  # untouched: LINE shows text messages as plain text


def test_channel_keys__per_municipality_or_for_everyone(settings):
    settings.YOYAKU_LINE_CHANNEL_SECRET = "ukiha:s1,shared"
    settings.YOYAKU_LINE_CHANNEL_ACCESS_TOKEN = "ukiha:t1+/=,minato:t2"
    settings.YOYAKU_LINE_BOT_ID = ""
    assert line.channel_for("ukiha") == line.Channel(secret="s1", access_token="t1+/=")
    assert line.channel_for("minato") == line.Channel(secret="shared", access_token="t2")
    assert line.channel_for("other") is None


def test_link_codes__are_deleted_a_day_after_their_end(client, ukiha, line_api, travel):
    issue_code(client, registrant(ukiha))
    travel(dt.datetime(2026, 6, 2, 10, 5))
    assert line_services.line_codes_forget() == 0
    travel(dt.datetime(2026, 6, 2, 10, 11))
    assert line_services.line_codes_forget() == 1


def test_deregistering__forgets_the_line_account(
    client, ukiha, line_api, django_capture_on_commit_callbacks
):
    person = registrant(ukiha)
    linked(client, person, django_capture_on_commit_callbacks)
    registrant_services.registration_deregister(registrant=person)
    assert not LineLink.objects.exists()
