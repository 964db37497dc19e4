"""The one clock of the system.

Every rule that depends on "now" (service hours, booking windows, lottery deadlines) asks this
module, never ``datetime.now()`` or ``timezone.now()`` directly, so that tests and demos can
travel in time with :func:`travel`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.utils import timezone

JST = ZoneInfo("Asia/Tokyo")

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """The current instant, timezone-aware, in Japan time."""
    if _frozen is not None:
        return _frozen
    return timezone.now().astimezone(JST)


def today() -> dt.date:
    """Today's date in Japan (the municipalities' calendar day)."""
    return now().date()


def local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(JST)


def at(date: dt.date, time: dt.time | None = None) -> dt.datetime:
    """An aware datetime for a Japanese calendar date and wall-clock time."""
    return dt.datetime.combine(date, time or dt.time(0, 0), tzinfo=JST)


@contextlib.contextmanager
def travel(moment: dt.datetime) -> Iterator[None]:
    """Freeze :func:`now` at ``moment`` (naive values are read as Japan time)."""
    global _frozen
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=JST)
    previous, _frozen = _frozen, moment.astimezone(JST)
    try:
        yield
    finally:
        _frozen = previous
