"""Dates as people read them, in one format everywhere: pages, messages, e-mails and PDFs.

Japanese: 2027年1月1日（金）, 2027年1月1日（金） 9:30. A deadline is said the way people say it:
「12月11日（金）まで」. Deadlines are stored as the first moment that is too late (an exclusive
end), so a deadline at midnight is shown as the day before — 12月12日 0:00 is 「12月11日（金）まで」
— and any other time keeps its hour: 「12月11日（金）17:00まで」. A deadline in the current year
leaves the year out, as people do; otherwise the year is said.

English (when the page is in English): Fri 1 Jan 2027, Fri 1 Jan 2027 9:30; a deadline is the
last day (and time) allowed, "Fri 11 Dec", and the sentence says "by" or "until".
``lang="ja"`` forces Japanese (the PDFs are Japanese documents).
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import get_language

from yoyaku.core import clock

WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _english(lang: str | None) -> bool:
    return (lang or get_language() or "ja").startswith("en")


def weekday_name(day: dt.date, *, lang: str | None = None) -> str:
    return WEEKDAYS_EN[day.weekday()] if _english(lang) else WEEKDAYS_JA[day.weekday()]


def as_moment(value: dt.date | str | None) -> dt.date | None:
    """A date or datetime; ISO text too (e-mail contexts carry JSON-safe text): 2027-01-01 is a
    date, 2027-01-01 17:00 a time in Japan unless it names its offset."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.JST)


def japanese_date(day: dt.date | str | None, *, year: bool = True, lang: str | None = None) -> str:
    """2027年1月1日（金）; Fri 1 Jan 2027 in English. Empty for no date."""
    day = as_moment(day)
    if not day:
        return ""
    if isinstance(day, dt.datetime):
        day = clock.local(day).date()
    if _english(lang):
        text = f"{WEEKDAYS_EN[day.weekday()]} {day.day} {MONTHS_EN[day.month - 1]}"
        return f"{text} {day.year}" if year else text
    text = f"{day.month}月{day.day}日（{WEEKDAYS_JA[day.weekday()]}）"
    return f"{day.year}年{text}" if year else text


def _time(moment: dt.datetime) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def japanese_datetime(moment: dt.datetime | str | None, *, lang: str | None = None) -> str:
    """2027年1月1日（金） 9:30 in Japan time; Fri 1 Jan 2027 9:30 in English."""
    moment = as_moment(moment)
    if not moment:
        return ""
    local = clock.local(moment)
    return f"{japanese_date(local.date(), lang=lang)} {_time(local)}"


def deadline(moment: dt.datetime | dt.date | str | None, *, lang: str | None = None) -> str:
    """An exclusive end said as the last moment allowed: 12月11日（金）まで.

    A date (not a datetime) is taken as the last day allowed, inclusive.
    """
    moment = as_moment(moment)
    if not moment:
        return ""
    if isinstance(moment, dt.datetime):
        local = clock.local(moment)
        if local.time() == dt.time(0, 0):
            day, time = local.date() - dt.timedelta(days=1), ""
        else:
            day, time = local.date(), _time(local)
    else:
        day, time = moment, ""
    text = japanese_date(day, year=day.year != clock.today().year, lang=lang)
    if _english(lang):
        # English sentences bring their own "by" or "until".
        return f"{text} {time}".rstrip()
    return f"{text}{time}まで"
