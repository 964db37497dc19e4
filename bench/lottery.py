"""Lottery drawing: 100,000 applications × 3 choices over 5,000 resource keys.

Targets (issue): the drawing within 5 s and 500 MB on a 2-core machine. The inputs are random
but built from a fixed seed, so every run draws the same lottery. Contention is high on
purpose (most applications lose after trying all three choices), which is the slow case.

Resource keys, as yoyaku's lottery builds them:

* 4,000 slot atoms of capacity 1: 40 leaf units (20 wholes of two halves) × 25 dates × 4
  basic slots. A choice takes one slot, two consecutive slots or the whole day, on one half
  or on the whole unit (then on both halves).
* 1,000 room-type nights: 20 room types × 50 nights, 2–10 rooms each. A choice takes 1–2
  rooms for 1–3 consecutive nights.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from yoyaku.lottery import algorithm
from yoyaku.lottery.algorithm import (
    Application,
    Choice,
    draw,
    verify,
)
from yoyaku.lottery.publication import document_dumps, published_document

APPLICATIONS = 100_000
CHOICES = 3
MAX_WINS = 2
TARGET_SECONDS = 5.0
TARGET_MB = 500.0
# yoyaku-lottery-2: the drawing's public value (a drand randomness, made up for the bench).
PUBLIC_VALUE = "ab" * 32

LEAF_UNITS = 40
HALL_DATES = 25
SLOTS = (540, 660, 780, 900)
ROOM_TYPES = 20
NIGHTS = 50
DRAWING_SEED = bytes.fromhex("5eed" * 16)


def build(rng: random.Random) -> tuple[list[Application], dict[str, int]]:
    """The applications and the free capacity (5,000 keys), from ``rng`` alone."""
    dates = [f"2026-07-{day:02d}" for day in range(1, HALL_DATES + 1)]
    nights = [
        f"2026-08-{day:02d}" if day <= 31 else f"2026-09-{day - 31:02d}"
        for day in range(1, NIGHTS + 1)
    ]
    capacity: dict[str, int] = {}
    for unit in range(LEAF_UNITS):
        for date in dates:
            for slot in SLOTS:
                capacity[f"u{unit}:{date}:{slot}"] = 1
    for room_type in range(ROOM_TYPES):
        for night in nights:
            capacity[f"rt{room_type}:{night}"] = rng.randint(2, 10)
    assert len(capacity) == 5_000

    def popular(count: int) -> int:
        # Demand leans towards the first dates and units, as it does towards weekends.
        return int(count * rng.random() ** 2)

    def hall_choice() -> list[tuple[str, int]]:
        unit = popular(LEAF_UNITS)
        leaves = (unit - unit % 2, unit - unit % 2 + 1) if rng.random() < 0.2 else (unit,)
        date = dates[popular(HALL_DATES)]
        span = rng.choices((1, 2, 4), weights=(50, 30, 20))[0]
        first = 0 if span == 4 else rng.randrange(len(SLOTS) - span + 1)
        return [
            (f"u{leaf}:{date}:{slot}", 1) for leaf in leaves for slot in SLOTS[first : first + span]
        ]

    def lodging_choice() -> list[tuple[str, int]]:
        room_type = popular(ROOM_TYPES)
        stay = rng.choices((1, 2, 3), weights=(50, 35, 15))[0]
        first = popular(NIGHTS - stay + 1)
        rooms = rng.choice((1, 1, 1, 2))
        return [(f"rt{room_type}:{night}", rooms) for night in nights[first : first + stay]]

    registrants = [f"R{number:05d}" for number in range(40_000)]
    applications = []
    for number in range(APPLICATIONS):
        choose = lodging_choice if rng.random() < 0.25 else hall_choice
        applications.append(
            Application(
                id=f"A{number:06d}",
                registrant=rng.choice(registrants),
                tier=0 if rng.random() < 0.05 else 1,
                weight=2 if rng.random() < 0.15 else 1,
                choices=[Choice(rank=rank, needs=choose()) for rank in range(1, CHOICES + 1)],
            )
        )
    return applications, capacity


def _maxrss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# Runs the verifier as a script and prints its own peak RSS. getrusage() cannot be used for
# it: a child forked from this big process keeps the parent's peak in ru_maxrss across
# exec, while VmHWM (Linux) belongs to the new program alone.
_REPORT_PEAK = """
import runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    try:
        with open("/proc/self/status") as status:
            sys.stderr.write([line for line in status if line.startswith("VmHWM:")][0])
    except OSError:
        pass
"""


def main() -> None:
    started = time.perf_counter()
    applications, capacity = build(random.Random(20260605))
    build_seconds = time.perf_counter() - started
    needs = sum(len(choice.needs) for app in applications for choice in app.choices)

    # Timed without tracemalloc, which slows allocation down several times.
    timings = []
    for _ in range(3):
        gc.collect()
        started = time.perf_counter()
        result = draw(applications, capacity, DRAWING_SEED, MAX_WINS, public_value=PUBLIC_VALUE)
        timings.append(time.perf_counter() - started)
    rss_after_drawing = _maxrss_mb()

    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    draw(applications, capacity, DRAWING_SEED, MAX_WINS, public_value=PUBLIC_VALUE)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_mb = peak / 2**20

    started = time.perf_counter()
    document = published_document(
        {"name": "bench"},
        DRAWING_SEED,
        applications,
        capacity,
        {"max_wins_per_registrant": MAX_WINS},
        result,
        public_value=PUBLIC_VALUE,
        public_source={"kind": "drand", "round": 1},
    )
    text = document_dumps(document)
    publish_seconds = time.perf_counter() - started
    size_mb = len(text.encode()) / 2**20
    parsed = json.loads(text)
    started = time.perf_counter()
    ok, message = verify(parsed)
    verify_seconds = time.perf_counter() - started
    del parsed
    del document

    # What a citizen runs: the module alone, standard library only (-I -S: no site-packages).
    with tempfile.TemporaryDirectory() as directory:
        published = Path(directory) / "published.json"
        published.write_text(text, encoding="utf-8")
        del text
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-I", "-S", "-c", _REPORT_PEAK, algorithm.__file__, str(published)],
            capture_output=True,
            text=True,
            check=False,
        )
        cli_seconds = time.perf_counter() - started
    cli_peak = completed.stderr.rpartition("VmHWM:")[2].split()
    cli_rss = int(cli_peak[0]) / 1024 if cli_peak else None

    winners = result.winners()
    by_rank = [sum(1 for rank in winners.values() if rank == r) for r in range(1, CHOICES + 1)]
    best, worst = min(timings), max(timings)
    rows = [
        (
            "drawing time (best / worst of 3)",
            f"{best:.2f} s / {worst:.2f} s",
            f"≤ {TARGET_SECONDS:g} s",
            best <= TARGET_SECONDS,
        ),
        (
            "drawing peak memory (tracemalloc)",
            f"{peak_mb:.0f} MB",
            f"≤ {TARGET_MB:g} MB",
            peak_mb <= TARGET_MB,
        ),
    ]
    if rss_after_drawing is not None:
        rows.append(
            (
                "process peak RSS, inputs included",
                f"{rss_after_drawing:.0f} MB",
                f"≤ {TARGET_MB:g} MB",
                rss_after_drawing <= TARGET_MB,
            )
        )
    rows += [
        ("publish (document + JSON text)", f"{publish_seconds:.2f} s", "", None),
        ("published document size", f"{size_mb:.1f} MB", "", None),
        ("verify() (re-draw + compare)", f"{verify_seconds:.2f} s", "", ok),
        ("standalone verifier: wall time", f"{cli_seconds:.2f} s", "", completed.returncode == 0),
    ]
    if cli_rss is not None:
        rows.append(("standalone verifier: peak RSS", f"{cli_rss:.0f} MB", "", None))

    print(
        f"lottery: {len(applications):,} applications × {CHOICES} choices ({needs:,} needs) "
        f"over {len(capacity):,} resource keys; cap {MAX_WINS} per registrant"
    )
    print(
        f"  Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"inputs built in {build_seconds:.1f} s (not timed)"
    )
    print(
        f"  {len(winners):,} won (choice 1: {by_rank[0]:,}, 2: {by_rank[1]:,}, 3: {by_rank[2]:,})"
    )
    print(f"  verify(): {message}")
    if completed.returncode != 0:
        print(f"  standalone verifier: {completed.stdout.strip()} {completed.stderr.strip()}")
    width = max(len(row[0]) for row in rows)
    print(f"  {'figure':<{width}}  {'value':>17}  {'target':<9}  ")
    for label, value, target, passed in rows:
        mark = "" if passed is None else ("ok" if passed else "MISSED")
        print(f"  {label:<{width}}  {value:>17}  {target:<9}  {mark}")
