"""English comes through Django i18n: the catalogue is complete and compiled."""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "yoyaku" / "locale" / "en" / "LC_MESSAGES"


def po_entries(po_file: Path = LOCALE / "django.po") -> list[tuple[str, str, bool, str | None]]:
    """(msgid, msgstr, fuzzy, context) for every entry but the header; plurals: msgstr[0]."""
    entries = []
    for block in po_file.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith("#~")]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields: dict[str, str] = {}
        key = None
        for line in lines:
            match = re.match(
                r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[0\])?|msgstr\[\d\]) (".*")$', line
            )
            if match:
                key = match.group(1)
                fields[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        if fields.get("msgid"):
            msgstr = fields.get("msgstr", fields.get("msgstr[0]", ""))
            entries.append((fields["msgid"], msgstr, fuzzy, fields.get("msgctxt")))
    return entries


def test_every_message_has_an_english_translation():
    entries = po_entries()
    assert len(entries) > 200
    missing = [msgid for msgid, msgstr, fuzzy, _ctx in entries if not msgstr or fuzzy]
    assert missing == []


def test_compiled_catalogue_matches_the_po_file():
    with LOCALE.joinpath("django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for msgid, msgstr, _fuzzy, context in po_entries():
        if context is not None:
            assert compiled.pgettext(context, msgid) == msgstr, (
                f"django.mo is out of date for {msgid!r}"
            )
            continue
        assert compiled.gettext(msgid) == msgstr or compiled.ngettext(msgid, msgid, 1) == msgstr, (
            f"django.mo is out of date for {msgid!r}: run make messages"
        )


def messages_used_by_the_code(workdir: Path) -> set[tuple[str | None, str]]:
    """(context, msgid) of every translatable text, as ``make messages`` would extract them.

    makemessages runs on a copy of the project with an empty catalogue, so the repository's
    django.po is neither read nor rewritten.
    """
    shutil.copy2(ROOT / "manage.py", workdir / "manage.py")
    shutil.copytree(
        ROOT / "yoyaku",
        workdir / "yoyaku",
        ignore=shutil.ignore_patterns("__pycache__", "*.po", "*.mo"),
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "yoyaku.settings", "DEBUG": "1"}
    # The options of `make messages`.
    options = ["-l", "en", "--no-obsolete", "--no-location", "-i", ".venv/*", "-i", "tests/*"]
    run = subprocess.run(
        [sys.executable, "manage.py", "makemessages", *options],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    extracted = workdir / "yoyaku" / "locale" / "en" / "LC_MESSAGES" / "django.po"
    return {(context, msgid) for msgid, _msgstr, _fuzzy, context in po_entries(extracted)}


def test_every_message_the_code_uses_is_in_the_catalogue(tmp_path):
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.skip(
            "GNU gettext (xgettext, msgmerge) is not installed, so the messages the code uses "
            "cannot be extracted: apt-get install gettext"
        )
    in_catalogue = {(context, msgid) for msgid, _msgstr, _fuzzy, context in po_entries()}
    missing = sorted(
        messages_used_by_the_code(tmp_path) - in_catalogue, key=lambda key: (key[0] or "", key[1])
    )
    assert missing == [], (
        f"{len(missing)} message(s) used by the code are missing from django.po "
        "(append them at its end with their English, then compile): "
        + ", ".join(repr(msgid) for _context, msgid in missing)
    )
