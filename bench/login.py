"""The 7:59 log-in: 500 registrants log in at once, each from an address of its own.

Run: ``python -m bench login`` (about 2 minutes on a 2-core machine: ~1 min to create and
migrate the database and start the stack, then ~15 s a round). Options: ``--registrants 500``,
``--rounds 3``, and the stack's options (``--help``; see :mod:`bench.stack`).

Each registrant's browser first opens the log-in page (its CSRF cookie and the form's token),
then every log-in is posted at once, behind one barrier. The log-in throttle
(``yoyaku.security.services``) counts per client address; the stack trusts one proxy
(``YOYAKU_TRUSTED_PROXY_COUNT=1``) and each client sends its own address in
``X-Forwarded-For``, which is what the site sees behind nginx. The throttle is not weakened:
500 log-ins from one address would be limited to 30 password checks in flight, as they should.

A log-in is ``ok`` when it is answered with a redirect away from the log-in page (a session).
Last line: ``login: n=500 ok=500 p99_ms=… rate_per_s=…`` (the worst round's p99 and its rate
of successful log-ins per second of the burst). Target: ≥ 50 log-ins/s, all within a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence

from bench import stack as bench_stack


def _options(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench login", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--registrants", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    bench_stack.add_stack_options(parser)
    return parser.parse_args(list(argv))


def main(argv: Sequence[str] = ()) -> None:
    options = _options(argv)
    with bench_stack.stopped_on_signals(), bench_stack.Stack(options) as stack:
        asyncio.run(_run(options, stack))


def _logged_in(response) -> bool:
    return (
        response is not None
        and response.status_code == 302
        and "/login/" not in response.headers.get("location", "")
        and "sessionid=" in response.headers.get("set-cookie", "")
    )


async def _run(options: argparse.Namespace, stack: bench_stack.Stack) -> None:
    started = time.perf_counter()
    site = bench_stack.seed(registrants=options.registrants, slots=4, days=1)
    print(
        f"login: {stack.describe()}; {options.registrants} registrants, {options.rounds} rounds",
        flush=True,
    )
    base = stack.base_url
    results = []
    for number in range(options.rounds):
        # New browsers each round: no session yet, only the log-in page open.
        async with bench_stack.browsers(
            options.registrants, options.connections, options.timeout
        ) as browsers:
            await bench_stack.run_limited(
                [bench_stack.open_login_page(base, site.slug, b) for b in browsers], limit=16
            )
            requests = [
                bench_stack.login_request(base, site.slug, browser, user_number)
                for browser, user_number in zip(browsers, site.user_numbers, strict=True)
            ]
            result = await bench_stack.burst("log-in", base, requests)
        ok = sum(_logged_in(r) for r in result.responses)
        rate = ok / result.wall if result.wall else 0.0
        p99_ms = result.percentile(99) * 1000
        print(
            f"  round {number + 1} {result.summary()}; ok={ok} "
            f"rate={rate:.1f}/s within_a_minute={result.wall <= 60}",
            flush=True,
        )
        results.append((ok, p99_ms, rate))
    if stack.profile_dir is not None:
        print(bench_stack.profile_summary(stack.profile_dir))
    ok, p99_ms, rate = max(results, key=lambda r: r[1])
    print(f"  whole run: {time.perf_counter() - started:.0f} s")
    print(f"login: n={options.registrants} ok={ok} p99_ms={p99_ms:.0f} rate_per_s={rate:.1f}")
