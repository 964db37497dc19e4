"""Reads of lottery rounds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from yoyaku.lottery.models import LotteryRound


def lottery_unit_dates(
    *, unit_ids: Iterable[int], start: dt.date, end: dt.date, at: dt.datetime
) -> set[tuple[int, dt.date]]:
    """(unit id, date) pairs in [start, end] that a round holds back from first-come at ``at``.

    A round holds its unit-dates from its creation until its first-come opening time.
    """
    ids = set(unit_ids)
    held: set[tuple[int, dt.date]] = set()
    rounds = LotteryRound.objects.filter(
        units__in=ids, use_from__lte=end, use_until__gte=start, first_come_opens_at__gt=at
    ).values_list("units", "use_from", "use_until")
    for unit_id, use_from, use_until in rounds:
        if unit_id not in ids:
            continue
        day = max(use_from, start)
        last = min(use_until, end)
        while day <= last:
            held.add((unit_id, day))
            day += dt.timedelta(days=1)
    return held
