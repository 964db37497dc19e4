"""The public value of a round (RFC 3797 style): its sources and how a value is written.

A round names, before applications open, a value nobody knows before the application
window closes and the operator cannot choose. Two kinds of source:

* ``drand``: the randomness of a stated round of the drand "quicknet" beacon (League of
  Entropy; a round every 3 seconds since its genesis), the first round produced at or after
  the stated time. Its value is 64 lower-case hex digits, read by anyone at ``drand_url``.
* ``named_draw``: a named public draw of a stated date, e.g. a national lottery's winning
  numbers; the value is written as the draw publishes it (normalised by the algorithm).

Nothing here fetches anything: staff read the value from the source and enter it, and a
second staff member confirms it (``lottery.services.public``).
"""

from __future__ import annotations

import datetime as dt
import math
import re

from yoyaku.core.errors import DomainError
from yoyaku.lottery import algorithm

DRAND_CHAIN = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
DRAND_GENESIS = 1692803367  # Unix time of round 1
DRAND_PERIOD = 3  # seconds between rounds
DRAND_API = "https://api.drand.sh"

# By default the value is produced an hour after the window closes: late enough that nobody
# knows it before, early enough for two staff members before a morning drawing.
DEFAULT_DELAY = dt.timedelta(hours=1)

_HEX = re.compile(r"[0-9a-f]{64}")
MAX_LENGTH = 200


def drand_round_at(moment: dt.datetime) -> int:
    """The first quicknet round produced at or after ``moment``."""
    seconds = moment.timestamp() - DRAND_GENESIS
    return max(1, math.ceil(seconds / DRAND_PERIOD) + 1)


def drand_round_time(round_number: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(DRAND_GENESIS + (round_number - 1) * DRAND_PERIOD, tz=dt.UTC)


def drand_url(round_number: int) -> str:
    return f"{DRAND_API}/{DRAND_CHAIN}/public/{round_number}"


def drand_description(round_number: int) -> str:
    return f"drand quicknet ({DRAND_CHAIN[:12]}…) round {round_number} randomness"


def value_clean(kind: str, text: str) -> str:
    """The value as it will be used and published, or DomainError(field="value")."""
    try:
        value = algorithm.normalize_public_value(text or "")
    except ValueError:
        raise DomainError("lottery_public_value_required", field="value") from None
    if len(value) > MAX_LENGTH:
        raise DomainError("lottery_public_value_too_long", field="value", max=MAX_LENGTH)
    if kind == "drand":
        value = value.lower()
        if not _HEX.fullmatch(value):
            raise DomainError("lottery_public_value_not_drand", field="value")
    return value
