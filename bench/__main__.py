"""``python -m bench`` runs every benchmark; ``python -m bench lottery`` runs the named ones.

Options after the names go to the named benchmarks that take them, e.g.
``python -m bench lottery-db --applications 100000``. ``rush`` and ``login`` start a
production-like stack and run only when named: ``python -m bench rush --rounds 3``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence


def _availability(options: Sequence[str]) -> None:
    from bench import availability

    availability.main(options)


def _lottery(options: Sequence[str]) -> None:
    from bench import lottery

    if options:
        raise SystemExit(f"lottery takes no options (given: {' '.join(options)})")
    lottery.main()


def _lottery_db(options: Sequence[str]) -> None:
    from bench import lottery_db

    lottery_db.main(options)


def _booking(options: Sequence[str]) -> None:
    from bench import booking

    booking.main(options)


def _payments(options: Sequence[str]) -> None:
    from bench import payments

    payments.main(options)


def _scale(options: Sequence[str]) -> None:
    from bench import scale

    scale.main(options)


def _rush(options: Sequence[str]) -> None:
    from bench import rush

    rush.main(options)


def _login(options: Sequence[str]) -> None:
    from bench import login

    login.main(options)


def _waitlist(options: Sequence[str]) -> None:
    from bench import waitlist

    waitlist.main(options)


BENCHES: dict[str, Callable[[Sequence[str]], None]] = {
    "availability": _availability,
    "booking": _booking,
    "lottery": _lottery,
    "lottery-db": _lottery_db,
    "payments": _payments,
    "scale": _scale,
    "rush": _rush,
    "login": _login,
    "waitlist": _waitlist,
}
# Benchmarks that start a production-like stack (gunicorn, PostgreSQL, Redis), need PostgreSQL
# or fill a million rows: run only when named, not by a bare ``python -m bench`` (``make bench``).
NAMED_ONLY = {"rush", "login", "scale", "availability", "waitlist"}


def main(argv: Sequence[str]) -> int:
    argv = list(argv)
    first_option = next((i for i, arg in enumerate(argv) if arg.startswith("-")), len(argv))
    names, options = argv[:first_option], argv[first_option:]
    if options and not names:
        print("options need the benchmark they are for, e.g. python -m bench lottery-db --help")
        return 2
    names = names or [name for name in BENCHES if name not in NAMED_ONLY]
    unknown = [name for name in names if name not in BENCHES]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHES)}")
        return 2
    for name in names:
        BENCHES[name](options)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
