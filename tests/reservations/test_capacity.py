"""Capacity lives in one module: nothing else writes or deletes occupancy rows."""

from __future__ import annotations

import re
from pathlib import Path

from yoyaku.reservations import capacity

SOURCE = Path(__file__).resolve().parents[2] / "yoyaku"
WRITES = re.compile(
    r"(?<!class )Occupancy\(|Occupancy\.objects\.[^\n]*(create|update|delete)|occupancies\.[^\n]*(create|update|delete)"
)


def test_only_the_capacity_module_writes_occupancy():
    writers = sorted(
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if "migrations" not in path.parts and WRITES.search(path.read_text(encoding="utf-8"))
    )
    assert writers == ["reservations/capacity.py"]


def test_lowest_free_rooms__skips_taken_numbers():
    assert capacity.lowest_free_rooms(5, {1, 3}, 2) == [2, 4]
    assert capacity.lowest_free_rooms(5, {1, 3}, 3) == [2, 4, 5]


def test_lowest_free_rooms__too_few_free__is_none():
    assert capacity.lowest_free_rooms(3, {1, 2}, 2) is None
    assert capacity.lowest_free_rooms(0, set(), 1) is None
