"""A unit's month calendar table, rendered once and kept in the versioned cache.

The table (a unit's states over a month) is the same for every visitor who asks for the same
unit, month and language, so its HTML is cached under the facility's ``avail:<id>`` and the
municipality's ``setup:<id>`` scopes, like the day view's blocks (``day_blocks``): a booking,
cancellation, closure, block or lottery round of the facility renders it again. What the clock
changes (a date becoming past, a lottery hold ending) is not in the key: the table carries the
span of time it holds for and is rendered again outside it. It holds nothing personal and no
token: it is rendered without the request.
"""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from yoyaku.citizen.day_blocks import BLOCK_TIMEOUT, Block
from yoyaku.core import cache
from yoyaku.facilities.catalogue import Catalogue, avail_scope, setup_scope
from yoyaku.facilities.models import Facility, Unit
from yoyaku.reservations import selectors as availability

TEMPLATE = "citizen/_month_table.html"


def month_table(
    *,
    facility: Facility,
    unit: Unit,
    first: dt.date,
    setup: Catalogue,
    day_url: str,
    at: dt.datetime,
) -> SafeString:
    """The HTML table of ``unit``'s month starting at ``first``, from the cache when it holds."""

    def build() -> Block:
        month = availability.unit_month(
            unit=unit, year=first.year, month=first.month, at=at, setup=setup
        )
        html = render_to_string(
            TEMPLATE,
            {
                "calendar": month,
                "unit": unit,
                "facility": facility,
                "day_url": day_url,
            },
        )
        return Block(html, month.valid_from, month.valid_until)

    block = cache.remember(
        [avail_scope(facility.pk), setup_scope(facility.municipality_id)],
        f"monthtable:{unit.pk}:{first:%Y-%m}:{get_language() or 'ja'}",
        build,
        timeout=BLOCK_TIMEOUT,
        usable=lambda block: block.holds_at(at),
    )
    # Safe: the output of an autoescaping template.
    return mark_safe(block.html)
