"""A new citizen registers on the real form (agreeing to the terms of use), reads the number
from the mail, logs in with the birth date and changes the password; axe-core checks every
page on the way."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from yoyaku.core import clock

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(live_server, travel):
    # Registration is taken only within the service hours (8:00–24:00): the test must not
    # depend on the hour CI runs at.
    travel(dt.datetime.combine(clock.today(), dt.time(10)))
    call_command("load_demo", verbosity=0)
    return live_server.url


def field(page, label: str):
    """A text box by its visible Japanese label (the label also says （必須） when required)."""
    return page.get_by_role("textbox", name=re.compile(rf"^{re.escape(label)}(\s*（必須）)?$"))


def test_register_confirm_read_the_number_log_in_and_change_the_password(page, demo, axe_check):
    page.goto(f"{demo}/minato/")
    page.get_by_role("link", name="新規利用者登録", exact=True).click()
    page.get_by_role("link", name="個人で登録を申請する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("利用者登録の申請")
    axe_check(page)

    field(page, "氏名カタカナ").fill("ｼﾊﾞ ﾊﾅｺ")  # half-width, as phones often type it
    field(page, "氏名漢字").fill("芝 花子")
    field(page, "電話番号").fill("０３－３５７８－２１１１")
    page.get_by_label("港区内在住の方").check()
    home = page.get_by_role("group", name="ご自宅住所")
    field(home, "郵便番号").fill("105-8511")
    home.get_by_role("button", name="郵便番号から住所を入力").click()  # works without JS
    home = page.get_by_role("group", name="ご自宅住所")
    expect(field(home, "都道府県")).to_have_value("東京都")
    expect(field(home, "市区郡")).to_have_value("港区")
    field(home, "町村番地").fill("芝公園1-5-25")
    page.get_by_label("生年月日の年（西暦）").fill("1988")
    page.get_by_label("生年月日の月").fill("7")
    page.get_by_label("生年月日の日").fill("3")
    page.get_by_role("textbox", name=re.compile(r"^メールアドレス\s*（必須）$")).fill(
        "hanako@example.jp"
    )
    field(page, "メールアドレス(確認)").fill("hanako@example.jp")
    terms = page.get_by_role("region", name="利用規約")
    expect(terms).to_contain_text("1人1登録")  # the demo's version 1, scrollable on the form
    page.get_by_label("利用規約に同意します").check()
    page.get_by_role("button", name="確認", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("申請内容の確認")
    expect(page.locator("main")).to_contain_text("シバ　ハナコ")
    expect(page.locator("main")).to_contain_text("03-3578-2111")
    axe_check(page)
    page.get_by_role("button", name="送信").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("申請を受け付けました")

    number = re.search(r"利用者番号：(\d{6})", mail.outbox[-1].body).group(1)
    page.get_by_role("link", name="ログイン画面へ").click()
    page.get_by_label("利用者番号").fill(number)
    page.get_by_label("パスワード").fill("19880703")
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("マイページ")
    expect(page.locator("main")).to_contain_text(number)
    expect(page.get_by_role("status").first).to_contain_text(
        "パスワードが初期設定（生年月日）のままです。"
    )
    axe_check(page)

    page.get_by_role("link", name="パスワードを変更してください").click()
    page.get_by_label("現在のパスワード").fill("19880703")
    page.get_by_label(re.compile(r"^新しいパスワード\s*（必須）$")).fill("shiba2026x")
    page.get_by_label("新しいパスワード(確認)").fill("shiba2026x")
    page.get_by_role("button", name="変更する").click()
    expect(page.locator("main")).to_contain_text("パスワードを変更しました。")
    expect(page.get_by_text("パスワードが初期設定（生年月日）のままです。")).to_have_count(0)
    axe_check(page)


def test_errors_are_announced_next_to_the_fields_and_pass_axe(page, demo, axe_check):
    page.goto(f"{demo}/ukiha/register/form/")
    field(page, "氏名カタカナ").fill("浮羽太郎")
    page.get_by_role("button", name="確認", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text("入力内容に誤りがあります")
    expect(field(page, "氏名カタカナ")).to_have_value("浮羽太郎")
    expect(page.locator("main")).to_contain_text("全角カタカナで、氏と名の間に全角スペース")
    # The unticked terms box is refused next to it.
    expect(page.locator(".terms-agree .error-text")).to_have_text(
        "利用規約をお読みのうえ、同意する場合はチェックを入れてください。"
    )
    axe_check(page)


def test_enter_in_the_phone_field_goes_on_and_does_not_look_the_address_up(page, demo):
    page.goto(f"{demo}/minato/register/form/")
    field(page, "氏名カタカナ").fill("ｼﾊﾞ ﾊﾅｺ")
    field(page, "氏名漢字").fill("芝 花子")
    page.get_by_label("港区内在住の方").check()
    home = page.get_by_role("group", name="ご自宅住所")
    field(home, "郵便番号").fill("105-8511")
    field(home, "都道府県").fill("東京都")
    field(home, "市区郡").fill("港区")
    field(home, "町村番地").fill("芝公園1-5-25")
    page.get_by_label("生年月日の年（西暦）").fill("1988")
    page.get_by_label("生年月日の月").fill("7")
    page.get_by_label("生年月日の日").fill("3")
    page.get_by_role("textbox", name=re.compile(r"^メールアドレス\s*（必須）$")).fill(
        "hanako@example.jp"
    )
    field(page, "メールアドレス(確認)").fill("hanako@example.jp")
    field(page, "電話番号").fill("03-3578-2111")
    page.get_by_label("利用規約に同意します").check()
    field(page, "電話番号").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("申請内容の確認")
    expect(page.locator("main")).to_contain_text("芝公園１－５－２５")  # stored full-width
