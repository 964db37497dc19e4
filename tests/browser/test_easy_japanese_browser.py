"""A visitor switches to やさしい日本語 (without JavaScript), reads the top page with ruby, and
switches back."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(live_server):
    call_command("load_demo", verbosity=0)
    return live_server.url


def test_switch_to_easy_japanese_and_back_without_javascript(browser, demo):
    context = browser.new_context(java_script_enabled=False, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{demo}/ukiha/")
    expect(page.get_by_text("ご利用のメニューを選択してください。")).to_be_visible()
    expect(page.locator("main ruby")).to_have_count(0)

    page.get_by_role("button", name="やさしい日本語").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    menu = page.locator("main p", has_text="メニューを")
    expect(menu.first).to_have_text("使つかうメニューを選えらんでください。")
    expect(page.locator("main ruby rt", has_text="よやく").first).to_be_visible()
    assert page.locator("main ruby").count() > 10
    assert "<ruby" not in page.title() and "つか" not in page.title()

    menu_link = page.locator(".main-nav a[href$='/facilities/']")
    expect(menu_link.locator("ruby")).to_have_count(2)  # 施設, 一覧: ruby in the menu too
    menu_link.click()
    expect(page.locator("h1 ruby rt")).to_have_text(["しせつ", "いちらん"])

    page.get_by_role("button", name="日本語", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("施設一覧")
    expect(page.locator("main ruby")).to_have_count(0)
    context.close()


def test_easy_japanese_top_page_passes_axe(page, demo, axe_check):
    page.context.add_cookies([{"name": "django_language", "value": "ja-easy", "url": demo}])
    page.goto(f"{demo}/ukiha/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("main ruby").first).to_be_visible()
    axe_check(page)
