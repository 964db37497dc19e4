from __future__ import annotations

import datetime as dt
import re

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from yoyaku.core import dates
from yoyaku.core.permissions import can
from yoyaku.core.services import sanitize_notice_html

register = template.Library()

_RUBY_READING = re.compile(r"<rt>.*?</rt>|</?ruby>", re.DOTALL)


@register.filter(is_safe=True)
def without_ruby(html: str) -> str:
    """The text without its ruby readings (やさしい日本語), for a <title>: its content is text,
    so <ruby>施設<rt>しせつ</rt></ruby> would show as tags there. The input is already escaped
    HTML; only the ruby tags and readings go."""
    return mark_safe(_RUBY_READING.sub("", str(html)))


WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@register.filter
def sanitize(html: str) -> str:
    """Render stored notice HTML; sanitised again in case it was written before a rule change."""
    return mark_safe(sanitize_notice_html(html or ""))


def _english() -> bool:
    return (get_language() or "ja").startswith("en")


@register.filter
def weekday(day: dt.date) -> str:
    return WEEKDAYS_EN[day.weekday()] if _english() else WEEKDAYS_JA[day.weekday()]


@register.filter
def jdate(day: dt.date) -> str:
    """2026年12月5日（土） in Japanese, Sat 5 Dec 2026 in English (core.dates)."""
    return dates.japanese_date(day)


@register.filter
def jmonth(day: dt.date) -> str:
    if _english():
        return f"{day:%B} {day.year}"
    return f"{day.year}年{day.month}月"


@register.filter
def jdatetime(moment: dt.datetime) -> str:
    """2026年12月5日（土） 9:30 (core.dates)."""
    return dates.japanese_datetime(moment)


@register.filter
def deadline(moment: dt.datetime | dt.date) -> str:
    """An exclusive end said as people say it: 12月11日（金）まで (core.dates)."""
    return dates.deadline(moment)


@register.filter
def yen(amount: int | None) -> str:
    if amount is None:
        return ""
    return _("%(amount)s円") % {"amount": f"{amount:,}"}


@register.filter
def weekday_names(days: list[int]) -> str:
    names = WEEKDAYS_EN if _english() else WEEKDAYS_JA
    sep = ", " if _english() else "・"
    return sep.join(names[d] for d in sorted(days))


@register.simple_tag
def failing_forms(form=None, forms=None) -> dict:
    """The forms of an error summary that have errors, and how many messages they hold: one
    form (``form``) or several, like the lottery's ranked choices (``forms``)."""
    candidates = ([form] if form else []) + list(forms or [])
    failing = [f for f in candidates if getattr(f, "errors", None)]
    return {"forms": failing, "count": sum(len(f.errors) for f in failing)}


@register.filter
def may(user, verb: str) -> bool:
    """``{% if user|may:"payments" %}``: the console's menus ask the same rule as its views."""
    return can(user, verb)
