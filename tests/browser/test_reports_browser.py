"""An administrator reads the June utilisation report and searches the audit log in
Chromium: the chart is drawn, the table beside it has the figures, axe-core finds nothing."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.reports.fixture import build_june
from yoyaku.core import clock

pytestmark = pytest.mark.django_db(transaction=True)


def test_utilisation_report_and_audit_log_are_readable_and_accessible(
    page, live_server, travel, ukiha, axe_check
):
    june = build_june(ukiha, travel)
    base = live_server.url
    page.goto(f"{base}/staff/login/")
    page.get_by_label(re.compile("職員ID")).fill("admin")
    page.get_by_label(re.compile("パスワード")).fill("staff-pass-1")
    page.get_by_role("button", name="ログイン").click()
    code = pyotp.TOTP(june.admin.totp_secret).at(clock.now())
    page.get_by_label(re.compile("確認コード")).fill(code)
    page.get_by_role("button", name="ログイン").click()

    page.get_by_role("link", name="集計・統計").click()
    page.get_by_role("link", name="利用率").click()
    page.get_by_label(re.compile("期間（から）")).fill("2026-06-01")
    page.get_by_label(re.compile("期間（まで）")).fill("2026-06-30")
    page.get_by_role("button", name="表示する").click()
    chart = page.get_by_role("img", name="室場別の利用率（期間全体）")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["height"] > 40
    table = page.get_by_role("table", name="室場別・月別の利用率")
    expect(table.get_by_role("row", name=re.compile("会議室"))).to_contain_text("4.4")
    axe_check(page)

    page.get_by_role("link", name="監査ログ").click()
    page.get_by_label(re.compile("登録者（利用者番号）")).fill(june.hanako.user_number)
    page.get_by_role("button", name="検索する").click()
    expect(page.get_by_role("table")).to_contain_text("利用者登録の承認")
    axe_check(page)
