"""The 8:00 rush: 2,000 booking attempts by 500 registrants on 200 free slots, started together.

Run: ``python -m bench rush`` (about 3–5 minutes on a 2-core machine: ~1 min to create and
migrate the database and start the stack, ~30 s of log-ins, then about a minute a round).
Options: ``--rounds 3``, ``--registrants 500``, ``--attempts 2000``, ``--slots 200``,
``--approval`` (the facility reviews bookings instead of confirming them at once), ``--profile``
(cProfile of every booking request, summed up at the end), and the stack's options
(``--help``): by default it starts its own (see :mod:`bench.stack`); ``--url`` with
``--database-url`` measures a running one.

Before the clock starts, every registrant logs in (from an address of its own, through the
trusted proxy header) and opens the booking page, so each holds its session cookie and the
CSRF token of the form. Each round then does, with the same clients and the same count:

* the ceiling: every attempt posts to a bare view that requires the session's registrant and
  does one INSERT (``yoyaku/citizen/bench_views.py``, routed only on a stack started with
  ``YOYAKU_BENCH_CEILING=1``), behind the same middleware;
* the rush: every attempt posts the booking form of a slot (``action=book``) exactly as the
  browser sends it from the confirmation page; 4 attempts per registrant, 10 per slot, so
  nine in ten lose (a 409 is the expected answer of a loser, not an error).

All requests of a burst wait at one barrier and start together. Afterwards the database is
asked, not the answers: ``bookings`` (reservations holding a slot of that round's day),
``doubles`` (slots held by more than one reservation, from the reservations' slots and the
occupancy rows), ``errors`` (5xx, connection errors, or any answer other than 302/409 for a
booking and 201 for the ceiling). Each round uses a day of its own.

What is measured is first-come booking: the bench's facility has ``fair_window_seconds = 0``
(no fair first minute; ``reservations.opening``), so every attempt is served by arrival. Each
attempt also counts once against the per-registrant limit of booking requests a minute (one
cache increment, no SQL); 4 attempts a registrant a round stay far below it.

Last line: ``rush: bookings=200 doubles=0 errors=0 throughput_ratio=X p99_ratio=Y`` —
throughput_ratio is the booking rate over the ceiling's, p99_ratio the booking p99 over the
ceiling's (medians over the rounds; bookings the round furthest from the target, doubles and
errors summed). Targets: throughput_ratio ≥ 0.5, p99_ratio ≤ 2.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import time
from collections.abc import Sequence

from bench import stack as bench_stack

SEED = 20260801


def _options(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench rush", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--registrants", type=int, default=500)
    parser.add_argument("--attempts", type=int, default=2000)
    parser.add_argument("--slots", type=int, default=200)
    parser.add_argument("--approval", action="store_true", help="the facility reviews bookings")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    bench_stack.add_stack_options(parser)
    return parser.parse_args(list(argv))


def main(argv: Sequence[str] = ()) -> None:
    options = _options(argv)
    with bench_stack.stopped_on_signals(), bench_stack.Stack(options) as stack:
        asyncio.run(_run(options, stack))


def create_ceiling_table() -> None:
    """The ceiling view's table, made with raw SQL: no model, no migration."""
    from django.db import connection

    from yoyaku.citizen.bench_views import CEILING_TABLE

    key = (
        "id bigserial PRIMARY KEY"
        if connection.vendor == "postgresql"
        else "id integer PRIMARY KEY AUTOINCREMENT"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {CEILING_TABLE} "
            f"({key}, registrant_id bigint NOT NULL, at timestamp with time zone NOT NULL)"
        )


def _plan(site: bench_stack.Site, registrants: int, attempts: int) -> list[list[int]]:
    """Which targets each registrant tries: every slot equally often, shuffled."""
    rng = random.Random(SEED)
    pool = [i % len(site.targets) for i in range(attempts)]
    rng.shuffle(pool)
    plan: list[list[int]] = [[] for _ in range(registrants)]
    for n, target in enumerate(pool):
        plan[n % registrants].append(target)
    return plan


async def _prepare(
    browsers: list[bench_stack.Browser],
    stack: bench_stack.Stack,
    site: bench_stack.Site,
    plan: list[list[int]],
) -> None:
    """Log everyone in and open a booking page: session cookie and form token ready."""
    base = stack.base_url

    async def one(index: int) -> None:
        browser = browsers[index]
        await bench_stack.open_login_page(base, site.slug, browser)
        _, method, url, data = bench_stack.login_request(
            base, site.slug, browser, site.user_numbers[index]
        )
        response = await browser.send(method, url, base, data)
        if response.status_code != 302 or "/login/" in response.headers.get("location", ""):
            raise SystemExit(f"log-in of {site.user_numbers[index]} failed: {response.status_code}")
        browser.take(response)
        unit_id, _slot_id = site.targets[plan[index][0]] if plan[index] else site.targets[0]
        page = await browser.send(
            "GET", f"{base}/{site.slug}/reserve/{unit_id}/?date={site.first_day:%Y-%m-%d}", base
        )
        if page.status_code != 200:
            raise SystemExit(f"booking page: {page.status_code}")
        browser.take(page)

    await bench_stack.run_limited([one(i) for i in range(len(browsers))], limit=16)


def _verify(site: bench_stack.Site, day: dt.date) -> dict[str, int]:
    from django.db.models import Count

    from yoyaku.reservations.models import Occupancy, Reservation

    active = Reservation.objects.filter(
        unit__facility_id=site.facility_id,
        use_date=day,
        status__in=Reservation.HOLDS_CAPACITY,
    )
    held = (
        Reservation.slots.through.objects.filter(reservation__in=active)
        .values("reservation__unit_id", "slot_id")
        .annotate(n=Count("id"))
    )
    doubles = sum(row["n"] - 1 for row in held if row["n"] > 1)
    occupied = (
        Occupancy.objects.filter(unit__facility_id=site.facility_id, date=day)
        .values("unit_id", "atom")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    statuses = dict(active.values_list("status").annotate(n=Count("id")))
    return {
        "bookings": active.count(),
        "slots_held": len(held),
        "doubles": doubles + sum(row["n"] - 1 for row in occupied),
        **{f"status_{k}": v for k, v in statuses.items()},
    }


async def _run(options: argparse.Namespace, stack: bench_stack.Stack) -> None:
    started = time.perf_counter()
    site = bench_stack.seed(
        registrants=options.registrants,
        slots=options.slots,
        days=options.rounds,
        requires_approval=options.approval,
    )
    create_ceiling_table()
    plan = _plan(site, options.registrants, options.attempts)
    print(
        f"rush: {stack.describe()}; {options.registrants} registrants, {len(site.targets)} "
        f"slots a round, {options.attempts} attempts, {options.rounds} rounds",
        flush=True,
    )
    base = stack.base_url
    async with bench_stack.browsers(
        options.registrants, options.connections, options.timeout
    ) as browsers:
        await _prepare(browsers, stack, site, plan)
        print(f"  set-up and log-ins: {time.perf_counter() - started:.0f} s", flush=True)
        rounds = []
        for number in range(options.rounds):
            day = site.first_day + dt.timedelta(days=number)
            ceiling_requests = []
            booking_requests = []
            for index, targets in enumerate(plan):
                browser = browsers[index]
                for target in targets:
                    unit_id, slot_id = site.targets[target]
                    ceiling_requests.append(
                        (
                            browser,
                            "POST",
                            f"{base}/{site.slug}/bench/ceiling/",
                            {"csrfmiddlewaretoken": browser.csrf},
                        )
                    )
                    booking_requests.append(
                        (
                            browser,
                            "POST",
                            f"{base}/{site.slug}/reserve/{unit_id}/",
                            {
                                "csrfmiddlewaretoken": browser.csrf,
                                "slots": str(slot_id),
                                "party_size": "10",
                                "purpose": str(site.purpose_id),
                                "date": f"{day:%Y-%m-%d}",
                                "action": "book",
                            },
                        )
                    )
            # Interleave the order of who comes first, as real arrivals would.
            order = list(range(len(booking_requests)))
            random.Random(SEED + number).shuffle(order)
            ceiling = await bench_stack.burst("ceiling", base, [ceiling_requests[i] for i in order])
            print(f"  round {number + 1} {ceiling.summary()}", flush=True)
            rush = await bench_stack.burst("booking", base, [booking_requests[i] for i in order])
            print(f"  round {number + 1} {rush.summary()}", flush=True)
            check = _verify(site, day)
            errors = ceiling.errors({201}) + rush.errors({302, 409})
            throughput_ratio = rush.rate / ceiling.rate if ceiling.rate else float("nan")
            p99_ratio = rush.percentile(99) / ceiling.percentile(99)
            print(
                f"  round {number + 1}: bookings={check['bookings']} "
                f"(slots held {check['slots_held']}, won {rush.statuses.get(302, 0)}) "
                f"doubles={check['doubles']} errors={errors} "
                f"throughput_ratio={throughput_ratio:.2f} p99_ratio={p99_ratio:.2f} "
                + " ".join(f"{k}={v}" for k, v in check.items() if k.startswith("status_")),
                flush=True,
            )
            if errors:
                print(stack.log_tail(10))
            rounds.append((check, errors, throughput_ratio, p99_ratio))
    if stack.profile_dir is not None:
        print(bench_stack.profile_summary(stack.profile_dir))
    target = len(site.targets)
    bookings = max((r[0]["bookings"] for r in rounds), key=lambda b: abs(b - target))
    doubles = sum(r[0]["doubles"] for r in rounds)
    errors = sum(r[1] for r in rounds)
    throughput_ratio = statistics.median(r[2] for r in rounds)
    p99_ratio = statistics.median(r[3] for r in rounds)
    print(f"  whole run: {time.perf_counter() - started:.0f} s")
    print(
        f"rush: bookings={bookings} doubles={doubles} errors={errors} "
        f"throughput_ratio={throughput_ratio:.2f} p99_ratio={p99_ratio:.2f}"
    )
