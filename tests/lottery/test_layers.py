"""The lottery asks the reservations app for reservations and holds; it never writes their
tables itself (the winners' reservations, slot links and blocks are the reservations app's)."""

from __future__ import annotations

import re
from pathlib import Path

import yoyaku.lottery

LOTTERY = Path(yoyaku.lottery.__file__).parent

WRITES = re.compile(
    r"(?:Reservation|UnitBlock)\.objects\.[^\n]*"
    r"\b(?:create|bulk_create|get_or_create|update_or_create|update|bulk_update|delete)\("
    r"|(?<![\w.])(?:Reservation|UnitBlock)\("
    r"|Reservation\.slots\.through"
)


def test_the_lottery_package_writes_no_reservation_or_block_rows_itself():
    writers = sorted(
        f"{path.relative_to(LOTTERY)}: {match.group(0)}"
        for path in LOTTERY.rglob("*.py")
        if "migrations" not in path.parts
        for match in WRITES.finditer(path.read_text(encoding="utf-8"))
    )
    assert writers == []


def test_the_write_pattern_catches_what_the_drawing_used_to_do():
    assert WRITES.search("    Reservation.objects.bulk_create(reservations, batch_size=500)")
    assert WRITES.search("    block = UnitBlock.objects.create(unit=unit)")
    assert WRITES.search("    through = Reservation.slots.through")
    assert WRITES.search("    return Reservation(municipality_id=1)")
    assert not WRITES.search("    due = Reservation.objects.filter(status=status)")
    assert not WRITES.search("    Reservation.objects.select_for_update().get(pk=pk)")
