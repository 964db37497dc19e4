"""Browser tests drive Debian's Chromium through Playwright; axe-core checks accessibility.

Browsers cannot be downloaded on these machines: install Debian's with
``apt-get install -y chromium fonts-noto-cjk``. Without it the tests are skipped with that
hint, except in CI (``YOYAKU_REQUIRE_BROWSER=1``), where a missing browser fails the run.
"""

from __future__ import annotations

import os
import shutil

import pytest

# Playwright's sync API keeps an event loop in the test thread; the ORM calls the tests make
# there are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("YOYAKU_CHROMIUM", "/usr/bin/chromium")
HINT = (
    "Chromium not found at {path}: browser tests skipped. To run them: "
    "apt-get install -y chromium fonts-noto-cjk"
)
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = HINT.format(path=CHROMIUM)
        if os.environ.get("YOYAKU_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (YOYAKU_REQUIRE_BROWSER=1: failing instead)", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        locale="ja-JP", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def axe_check():
    """axe_check(page) fails the test with axe-core's report on any WCAG 2.1 AA violation."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page):
        results = axe.run(page, options=WCAG_AA)
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"

    return check
