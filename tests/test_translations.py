"""English comes through Django i18n: the catalogue is complete and compiled."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[1] / "yoyaku" / "locale" / "en" / "LC_MESSAGES"


def po_entries() -> list[tuple[str, str, bool, str | None]]:
    """(msgid, msgstr, fuzzy, context) for every entry but the header; plurals: msgstr[0]."""
    entries = []
    for block in LOCALE.joinpath("django.po").read_text(encoding="utf-8").split("\n\n"):
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
