"""``python -m bench`` runs every benchmark; ``python -m bench lottery`` runs the named ones."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence


def _lottery() -> None:
    from bench import lottery

    lottery.main()


BENCHES: dict[str, Callable[[], None]] = {"lottery": _lottery}


def main(argv: Sequence[str]) -> int:
    names = list(argv) or list(BENCHES)
    unknown = [name for name in names if name not in BENCHES]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHES)}")
        return 2
    for name in names:
        BENCHES[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
