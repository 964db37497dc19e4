"""やさしい日本語 (ja-easy): every citizen message has easy Japanese, ruby only where a page
renders it as HTML, placeholders kept, pages and mails in it."""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template import engines
from django.utils import translation
from django.utils.translation import get_language_info

from tests.reservations.helpers import hall, registrant
from tests.test_translations import po_entries
from yoyaku.notifications.services import email_render

ROOT = Path(__file__).resolve().parents[1]
EASY = ROOT / "yoyaku" / "locale" / "ja_Easy" / "LC_MESSAGES"
HOW_TO_ADD = (
    "Add their easy Japanese: run\n"
    "  DEBUG=1 .venv/bin/python manage.py makemessages -l ja_Easy -i .venv\n"
    "then write each empty msgstr in yoyaku/locale/ja_Easy/LC_MESSAGES/django.po (short "
    "sentences, です・ます, common words; <ruby>漢字<rt>かんじ</rt></ruby> only in strings a "
    "page's {% translate %} shows as text, plain text with a reading in parentheses elsewhere), "
    "and compile:\n"
    "  DEBUG=1 .venv/bin/python manage.py compilemessages -l ja_Easy -i .venv\n"
    "(see README, 'やさしい日本語 (easy Japanese)')."
)
STAFF_ONLY = ("yoyaku/templates/staff/", "yoyaku/staff/", "yoyaku/api/")
MAIL_TEMPLATES = "yoyaku/templates/notifications/email/"
# Elements whose content is text, never markup: a <ruby> there would show as tags or vanish.
TEXT_ONLY_ELEMENTS = ("title", "option", "textarea", "script", "style")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}|%%")


def easy_entries():
    return po_entries(EASY / "django.po")


def references(po_file: Path) -> dict[tuple[str | None, str], list[tuple[str, int]]]:
    """(context, msgid) → the `#:` references (file, line) makemessages wrote for it."""
    found = {}
    for block in po_file.read_text(encoding="utf-8").split("\n\n"):
        refs = [
            ref for line in block.splitlines() if line.startswith("#: ") for ref in line[3:].split()
        ]
        entry = po_entries_of_block(block)
        if entry is not None:
            found[entry] = [(ref.rsplit(":", 1)[0], int(ref.rsplit(":", 1)[1])) for ref in refs]
    return found


def po_entries_of_block(block: str) -> tuple[str | None, str] | None:
    fields: dict[str, str] = {}
    key = None
    for line in block.splitlines():
        match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
        if match:
            key = match.group(1)
            fields[key] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and key:
            fields[key] += ast.literal_eval(line)
    if not fields.get("msgid"):
        return None
    return fields.get("msgctxt"), fields["msgid"]


@pytest.fixture(scope="module")
def used(tmp_path_factory) -> dict[tuple[str | None, str], list[tuple[str, int]]]:
    """Every message the code uses now, with where: makemessages for ja_Easy on a copy of the
    project whose catalogue is empty, so the repository's django.po is neither read nor
    rewritten."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.skip(
            "GNU gettext (xgettext, msgmerge) is not installed, so the messages the code uses "
            "cannot be extracted: apt-get install gettext"
        )
    workdir = tmp_path_factory.mktemp("easy")
    shutil.copy2(ROOT / "manage.py", workdir / "manage.py")
    shutil.copytree(
        ROOT / "yoyaku",
        workdir / "yoyaku",
        ignore=shutil.ignore_patterns("__pycache__", "*.po", "*.mo"),
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "yoyaku.settings", "DEBUG": "1"}
    run = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ja_Easy", "-i", ".venv/*"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return references(workdir / "yoyaku" / "locale" / "ja_Easy" / "LC_MESSAGES" / "django.po")


def is_citizen_message(refs: list[tuple[str, int]]) -> bool:
    """Used anywhere but the staff console and the API: pages, mails, forms, errors, labels."""
    return any(not path.startswith(STAFF_ONLY) for path, _line in refs)


def shown_as_html_text(path: str, line: int, msgid: str) -> bool:
    """Whether the {% translate %} / {% blocktranslate %} near `line` of an HTML template puts
    its text where markup is markup: not in an attribute, <title>, <option>…, nor a variable
    (`as name`)."""
    if not path.endswith(".html") or path.startswith(MAIL_TEMPLATES):
        return False
    text = (ROOT / path).read_text(encoding="utf-8")
    lines = text.split("\n")
    low_bound = sum(len(x) + 1 for x in lines[: max(line - 8, 0)])
    high_bound = sum(len(x) + 1 for x in lines[: line + 8])
    pieces = [p.strip() for p in re.split(r"%\(\w+\)[sd]|\n", msgid.replace("%%", "%"))]
    probe = max(pieces, key=len)[:8]
    if not probe:
        return False
    line_start = sum(len(x) + 1 for x in lines[: line - 1])
    hits = [
        m.start()
        for m in re.finditer(re.escape(probe), text)
        if low_bound <= m.start() <= high_bound
    ]
    if not hits:
        return False
    near = min(hits, key=lambda at: abs(at - line_start))
    tags = list(re.finditer(r"\{%\s*(translate|trans|blocktranslate|blocktrans)\b", text[:near]))
    if not tags:
        return False
    tag = tags[-1]
    inside = text[tag.start() : text.find("%}", tag.start())]
    if re.search(r"\sas\s+\w+\s*$", inside) or re.search(r"\sasvar\s+\w+", inside):
        return False
    before = text[: tag.start()]
    if before.rfind("<") > before.rfind(">"):
        return False  # inside a tag: an attribute value
    # A fragment included inside a tag (`<form {% include "_attrs.html" %}>`): an open quote.
    tail = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", "", before[before.rfind(">") + 1 :], flags=re.S)
    if tail.count('"') % 2:
        return False
    low = before.lower()
    # base.html's <title> holds every page's {% block title %} and strips the readings there.
    stripped = low.rfind("{% filter without_ruby") > low.rfind("{% endfilter")
    return stripped or not any(
        low.rfind(f"<{name}") > low.rfind(f"</{name}") for name in TEXT_ONLY_ELEMENTS
    )


def test_the_language_is_offered_with_its_name():
    info = get_language_info("ja-easy")
    assert info["name_local"] == "やさしい日本語"
    assert info["code"] == "ja-easy"
    assert translation.to_locale("ja-easy") == "ja_Easy"


def test_the_catalogue_has_one_plural_form():
    header = (EASY / "django.po").read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in header
    assert '"Language: ja_Easy\\n"' in header


def test_every_citizen_message_has_easy_japanese(used):
    translated = {
        (context, msgid) for msgid, msgstr, fuzzy, context in easy_entries() if msgstr and not fuzzy
    }
    citizen = {key for key, refs in used.items() if is_citizen_message(refs)}
    assert len(citizen) > 1000
    missing = sorted(citizen - translated, key=lambda key: (key[0] or "", key[1]))
    assert missing == [], (
        f"{len(missing)} citizen message(s) have no easy Japanese (or only a fuzzy guess): "
        + ", ".join(repr(msgid) for _context, msgid in missing[:30])
        + ("…" if len(missing) > 30 else "")
        + "\n"
        + HOW_TO_ADD
    )


def test_markup_only_in_text_that_a_page_shows_as_html(used):
    """Errors, form labels, flash messages, mails and attributes are text: a <ruby> there
    would reach the person as tags (or be escaped into &lt;ruby&gt;)."""
    wrong = []
    for msgid, msgstr, _fuzzy, context in easy_entries():
        if "<" not in msgstr:
            continue
        refs = used.get((context, msgid), [])
        if not refs or not all(shown_as_html_text(path, line, msgid) for path, line in refs):
            wrong.append((msgid, refs))
    assert wrong == [], (
        "markup (ruby) in easy Japanese that is also used as plain text, in an attribute, a "
        "<title> or from Python; write it plain, with the reading in parentheses: "
        + "; ".join(f"{msgid!r} used in {refs}" for msgid, refs in wrong[:20])
    )


def test_markup_is_ruby_and_nothing_else():
    for msgid, msgstr, _fuzzy, _context in easy_entries():
        rest = re.sub(r"</?(ruby|rt)>", "", msgstr)
        assert "<" not in rest and ">" not in rest.replace("→", ""), msgid
        assert msgstr.count("<ruby>") == msgstr.count("</ruby>") == msgstr.count("<rt>"), msgid


def test_placeholders_are_kept():
    for msgid, msgstr, _fuzzy, _context in easy_entries():
        if msgstr:
            assert sorted(PLACEHOLDER.findall(msgstr)) == sorted(PLACEHOLDER.findall(msgid)), (
                f"{msgid!r} → {msgstr!r}"
            )


def test_msgfmt_accepts_the_catalogue():
    if shutil.which("msgfmt") is None:
        pytest.skip("GNU gettext (msgfmt) is not installed: apt-get install gettext")
    run = subprocess.run(
        ["msgfmt", "--check", "-o", os.devnull, str(EASY / "django.po")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr


def test_compiled_catalogue_matches_the_po_file():
    with EASY.joinpath("django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for msgid, msgstr, _fuzzy, context in easy_entries():
        if not msgstr:
            continue
        if context is not None:
            assert compiled.pgettext(context, msgid) == msgstr, (
                f"django.mo is out of date: {msgid!r}"
            )
        else:
            assert compiled.gettext(msgid) == msgstr or compiled.ngettext(msgid, msgid, 1) == (
                msgstr
            ), f"django.mo is out of date for {msgid!r}: " + HOW_TO_ADD


def test_both_tags_output_the_translated_literal_unescaped_and_variables_escaped():
    template = engines["django"].from_string(
        "{% load i18n %}{% translate '施設の案内・料金' %}|"
        "{% blocktranslate with name=name %}{{ name }}の料金{% endblocktranslate %}"
    )
    with translation.override("ja-easy"):
        html = template.render({"name": "<b>ホール</b>"})
    assert html == (
        "<ruby>施設<rt>しせつ</rt></ruby>の<ruby>案内<rt>あんない</rt></ruby>・"
        "<ruby>料金<rt>りょうきん</rt></ruby>|"
        "&lt;b&gt;ホール&lt;/b&gt;の<ruby>料金<rt>りょうきん</rt></ruby>"
    )


class PageText(HTMLParser):
    """Attribute values and the <title>: where a stray <ruby> would show as text."""

    def __init__(self):
        super().__init__()
        self.attributes: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.attributes += [value or "" for _name, value in attrs]
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def easy_page(client, path: str) -> str:
    client.cookies["django_language"] = "ja-easy"
    response = client.get(path)
    assert response.status_code == 200, path
    body = response.content.decode()
    assert '<html lang="ja"' in body
    parsed = PageText()
    parsed.feed(body)
    assert "<" not in parsed.title and not any("<ruby" in v for v in parsed.attributes), path
    return body


@pytest.mark.django_db
def test_the_switch_offers_easy_japanese_and_remembers_it(client, ukiha):
    body = client.get("/ukiha/").content.decode()
    assert '<button type="submit" name="language" value="ja-easy" lang="ja">やさしい日本語' in body
    response = client.post("/i18n/setlang/", {"language": "ja-easy", "next": "/ukiha/"})
    assert response.status_code == 302 and response["Location"] == "/ukiha/"
    assert response.cookies["django_language"].value == "ja-easy"
    top = client.get("/ukiha/").content.decode()
    assert "<ruby>予約<rt>よやく</rt></ruby>" in top
    # From easy Japanese one goes back to Japanese or on to English.
    assert 'value="ja" lang="ja">日本語' in top and 'value="en" lang="en">English' in top
    assert 'value="ja-easy"' not in top


@pytest.mark.django_db
def test_landing_top_facility_list_and_availability_speak_easy_japanese(client, ukiha):
    hall(ukiha)
    landing = easy_page(client, "/")
    assert "<ruby>使<rt>つか</rt></ruby>う<ruby>市町村<rt>しちょうそん</rt></ruby>を" in landing
    assert "んでください。" in landing
    facilities = easy_page(client, "/ukiha/facilities/")
    heading = "<ruby>施設<rt>しせつ</rt></ruby>の<ruby>一覧<rt>いちらん</rt></ruby>"
    assert f"<h1>{heading}</h1>" in facilities
    assert "<title>施設の一覧 | " in facilities  # the tab's title carries no readings
    top = easy_page(client, "/ukiha/")
    assert (
        "<ruby>使<rt>つか</rt></ruby>うメニューを<ruby>選<rt>えら</rt></ruby>んでください。" in top
    )
    assert "ご利用のメニューを選択してください。" not in top  # the plain Japanese is replaced
    availability = easy_page(client, "/ukiha/availability/")
    assert "<h1>あいているか<ruby>見<rt>み</rt></ruby>る" in availability


@pytest.mark.django_db(transaction=True)
def test_the_booking_page_speaks_easy_japanese(client, ukiha):
    _, whole, *_ = hall(ukiha)
    client.force_login(registrant(ukiha).user)
    body = easy_page(client, f"/ukiha/reserve/{whole.pk}/?date=2026-06-16")
    assert "<ruby>料金<rt>りょうきん</rt></ruby>を<ruby>見<rt>み</rt></ruby>る" in body
    assert "<ruby>予約<rt>よやく</rt></ruby>" in body
    # An error made by Python is plain easy Japanese, with no markup.
    response = client.post(
        f"/ukiha/reserve/{whole.pk}/", {"action": "confirm", "date": "2026-06-16"}
    )
    error_page = response.content.decode()
    assert "使う時間の区分を選んでください。" in error_page
    assert "&lt;ruby" not in error_page


def test_every_mail_in_easy_japanese_is_plain_text():
    names = sorted(
        path.stem
        for path in (ROOT / MAIL_TEMPLATES).glob("*.txt")
        if not path.stem.startswith("_") and not path.stem.endswith("_subject")
    )
    assert len(names) > 10
    context = {"system_name": "うきは市公共施設予約システム", "status": "予約確定"}
    for name in names:
        subject, text, html = email_render(template=name, context=context, language="ja-easy")
        assert not re.search(r"<[a-z/]", subject + text), name
        assert "<ruby" not in html and "&lt;ruby" not in html, name
