"""A registrant pays online in Chromium — card, declined card, convenience store — through
the payment sandbox served over HTTP on its own port, as ``make run`` does; its signed
webhooks come back to the live server. axe-core checks our pages with the 支払う form."""

from __future__ import annotations

import copy
import datetime as dt
import re
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from playwright.sync_api import expect

from tests.reservations.helpers import book_slot, hall, registrant
from yoyaku.core import clock
from yoyaku.facilities.models import Facility
from yoyaku.payments import services
from yoyaku.payments.providers import registry
from yoyaku.payments.providers.sandbox import SandboxProvider
from yoyaku.payments.sandbox import Config, make_app
from yoyaku.payments.sandbox.__main__ import ThreadingWSGIServer

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2026, 6, 16)  # two weeks after "now" (2026-06-01 10:00): no cancellation fee yet
WEBHOOK_WAIT_MS = 2_000


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class OneRequestAtATime:
    """The test database is one in-memory SQLite connection that the live server's threads
    share: a webhook arriving while the browser's request runs would use it at the same time
    ("database table is locked"). On PostgreSQL each thread has its own connection."""

    def __init__(self, app) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                if hasattr(result, "close"):
                    result.close()


def _epoch() -> float:
    # The sandbox keeps the site's time, so that travelling in time moves both.
    return clock.now().timestamp()


@pytest.fixture
def sandbox(live_server, settings):
    """The payment sandbox on a free local port, in a background thread; the site's sandbox
    provider points at it, and the pages may send a form there."""
    secret = settings.YOYAKU_PAYMENT_PROVIDERS["sandbox"]["options"]["webhook_secret"]
    server = make_server(
        "127.0.0.1",
        0,
        lambda environ, start_response: [],
        server_class=ThreadingWSGIServer,
        handler_class=QuietHandler,
    )
    host, port = server.server_address[:2]
    origin = f"http://{host}:{port}"
    app = make_app(
        Config(
            host=host,
            port=port,
            public_url=origin,
            webhook_url=f"{live_server.url}/payments/webhook/sandbox/",
            secret=secret,
            background=True,
            clock=_epoch,
        )
    )
    server.set_app(app)
    thread = threading.Thread(target=server.serve_forever, name="sandbox-http", daemon=True)
    thread.start()
    site = live_server.thread.httpd  # the live server lives for the whole session
    site_app = site.get_app()
    site.set_app(OneRequestAtATime(site_app))
    settings.YOYAKU_SITE_URL = live_server.url
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(origin)
    settings.CONTENT_SECURITY_POLICY = policy
    registry.install(
        "sandbox", SandboxProvider(base_url=origin, webhook_secret=secret, clock=_epoch)
    )
    yield origin
    registry.reset()
    site.set_app(site_app)
    server.shutdown()
    server.server_close()
    app.stop()
    thread.join(timeout=5)


@pytest.fixture
def world(live_server, travel):
    from tests import factories as f

    travel(dt.datetime(2026, 6, 1, 10, 0))
    municipality = f.MunicipalityFactory(slug="ukiha", name="うきは市")
    _, whole, *_ = hall(municipality, payment_mode=Facility.PaymentMode.REQUIRED)
    person = registrant(municipality, birth_date=dt.date(1985, 4, 12))
    return live_server.url, whole, person


def log_in(page, base, person):
    page.goto(f"{base}/ukiha/login/")
    page.get_by_label("利用者番号").fill(person.user_number)
    page.get_by_label("パスワード").fill("19850412")
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("マイページ")


def money(page):
    return page.get_by_role("region", name="お支払い")


def wait_for(page, text, *, where="main", tries=8):
    """Reload until ``text`` is on the page: a webhook or a refund arrives in its own time."""
    for _ in range(tries - 1):
        try:
            expect(page.locator(where)).to_contain_text(text, timeout=WEBHOOK_WAIT_MS)
            return
        except AssertionError:
            page.reload()
    expect(page.locator(where)).to_contain_text(text, timeout=WEBHOOK_WAIT_MS)


def pay_by_card(page, number):
    expect(page.get_by_role("heading", level=1)).to_have_text("カードでのお支払い")
    page.get_by_label("カード番号").fill(number)
    page.get_by_label("有効期限").fill("12/40")
    page.get_by_label("セキュリティコード").fill("123")
    page.get_by_role("button", name="支払う").click()


def test_paying_by_card__confirms_the_booking__and_cancelling_refunds_all_but_the_fee(
    page, world, sandbox, travel, axe_check
):
    base, whole, person = world
    log_in(page, base, person)
    page.goto(f"{base}/ukiha/reserve/{whole.pk}/?date=2026-06-16")
    page.get_by_role("checkbox", name=re.compile("^午前（9:00～12:00）")).check()
    page.get_by_label(re.compile("利用予定人数")).fill("20")
    page.get_by_role("button", name="料金を確認する").click()
    page.get_by_role("button", name="予約する").click()

    main = page.locator("main")
    expect(main).to_contain_text("支払待ち")
    expect(money(page)).to_contain_text("お支払いいただく金額：2,000円")
    expect(money(page)).to_contain_text("お支払い期限：2026年6月8日")
    axe_check(page)
    expect(page.get_by_role("radio", name="クレジットカード")).to_be_checked()
    page.get_by_role("button", name="支払う").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(sandbox)}/pay/"))
    pay_by_card(page, "4242 4242 4242 4242")

    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/ukiha/reservations/\d+/$"))
    expect(page.locator("main [role=status]")).to_contain_text("お支払いを受け付けました")
    expect(main).to_contain_text("予約確定")
    expect(money(page)).to_contain_text("お支払いは済んでいます")
    reservation_page = page.url
    with page.expect_download() as download:
        money(page).get_by_role("link", name="領収書（PDF）").click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # Three days before the use: the cancellation fee is half; the rest goes back to the card.
    travel(dt.datetime(2026, 6, 13, 10, 0))
    page.reload()
    page.get_by_role("link", name="取消の手続きへ").click()
    expect(main).to_contain_text("取消料：使用料の50%（1,000円）")
    page.get_by_label(re.compile("この予約を取り消します")).check()
    page.get_by_role("button", name="取り消す").click()
    expect(page.locator("main [role=status]")).to_contain_text("取消料：1,000円")
    page.goto(reservation_page)
    wait_for(page, "返金 1,000円（返金済み）", where="section[aria-labelledby=money-heading]")


def test_a_declined_card__leaves_the_booking_awaiting_payment_with_a_clear_message(
    page, world, sandbox, axe_check
):
    base, whole, person = world
    reservation = book_slot(person, whole, DAY, "am")
    log_in(page, base, person)
    page.goto(f"{base}/ukiha/reservations/{reservation.pk}/")
    page.get_by_role("button", name="支払う").click()
    pay_by_card(page, "4000 0000 0000 0002")
    expect(page.get_by_role("alert")).to_contain_text("カードが承認されませんでした")
    page.get_by_role("link", name="サイトに戻る").click()

    expect(page).to_have_url(f"{base}/ukiha/reservations/{reservation.pk}/")
    expect(page.locator("main")).to_contain_text("お支払いが完了しませんでした")
    expect(page.locator("main")).to_contain_text("支払待ち")
    expect(money(page)).to_contain_text("お支払いいただく金額：2,000円")
    expect(money(page).get_by_role("button", name="支払う")).to_be_visible()
    axe_check(page)


def test_a_convenience_store_payment__confirms_the_booking_once_paid_at_the_store(
    page, world, sandbox, axe_check
):
    base, whole, person = world
    reservation = book_slot(person, whole, DAY, "am")
    log_in(page, base, person)
    page.goto(f"{base}/ukiha/reservations/{reservation.pk}/")
    page.get_by_role("radio", name="コンビニ払い").check()
    page.get_by_role("button", name="支払う").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("コンビニでのお支払い")
    konbini_page = page.url
    code = page.locator("dd.code").inner_text().replace(" ", "")
    assert re.fullmatch(r"\d{8,}", code), code
    page.get_by_role("link", name="サイトに戻る").click()

    expect(page).to_have_url(f"{base}/ukiha/reservations/{reservation.pk}/")
    expect(page.locator("main")).to_contain_text(f"払込番号：{code}")
    expect(money(page)).to_contain_text(f"コンビニ払込番号：{code}")
    expect(page.locator("main")).to_contain_text("支払待ち")
    page.goto(f"{base}/ukiha/mypage/payments/")
    expect(page.locator("main")).to_contain_text(f"払込番号 {code}")
    axe_check(page)

    # At the store's counter, some days later.
    page.goto(konbini_page.replace("/pay/", "/konbini/", 1) + "/pay")
    page.get_by_role("button", name="支払う").click()
    expect(page.get_by_role("status")).to_contain_text("お支払いを受け付けました")

    page.goto(f"{base}/ukiha/reservations/{reservation.pk}/")
    wait_for(page, "予約確定")
    expect(money(page)).to_contain_text("お支払いは済んでいます")


def test_on_a_phone__payment_methods_are_rows_to_tap_and_the_money_tables_become_cards(
    phone, world, axe_check
):
    from tests import factories as f

    base, whole, person = world
    unpaid = book_slot(person, whole, DAY, "am", "pm")
    paid = book_slot(person, whole, DAY, "night")
    clerk = f.staff_user(whole.facility.municipality, login_id="madoguchi")
    services.payment_record_counter(
        reservation=paid, amount=2600, method="counter", receipt_number="R-1", by=clerk
    )
    log_in(phone, base, person)

    phone.goto(f"{base}/ukiha/reservations/{unpaid.pk}/")
    for method in ("クレジットカード", "コンビニ払い", "PayPay"):
        label = money(phone).locator("label", has_text=method)
        assert label.bounding_box()["height"] >= 44, method  # WCAG 2.5.5: finger-sized
        label.click()
        expect(phone.get_by_role("radio", name=method)).to_be_checked()
    assert_fits(phone)

    phone.goto(f"{base}/ukiha/mypage/payments/")
    history = phone.get_by_role("region", name="お支払いの履歴")
    expect(history).to_contain_text("窓口払い")
    # Each payment is a card; an amount or a date is not broken digit by digit.
    one_line = history.locator("td", has_text="2,600円").bounding_box()["height"]
    date = history.locator("td", has_text="2026年6月1日").bounding_box()
    assert date["width"] > 200 and date["height"] <= 2 * one_line + 2, (date, one_line)
    assert_fits(phone)
    axe_check(phone)


def assert_fits(page):
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width  # nothing sticks out sideways
