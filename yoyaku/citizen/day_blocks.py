"""The day view's facilities, each rendered once and kept in the versioned cache.

A facility's block (one line when folded, its table of units when open) is the same for every
visitor who asks for the same date, language, filters and fold, so its HTML is cached under the
facility's ``avail:<id>`` and the municipality's ``setup:<id>`` scopes: a booking, cancellation,
closure, block or lottery round of one facility re-renders that facility's block only. What the
clock changes (a date becoming past, a lottery hold ending) is not in the key: each block
carries the span of time it holds for (``reservations.selectors.clock_window``) and is rendered
again outside it. Blocks hold nothing personal and no token (no form, no CSRF token, no nonce):
they are rendered without the request.

The blocks of a whole page are kept together too, under a digest of every facility's version:
a warm page of a hundred facilities reads their versions and one value (three round trips to
the cache) and renders no block; after a booking it reads the hundred blocks at once and
renders the changed facility's only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from yoyaku.core import cache
from yoyaku.core.models import Municipality
from yoyaku.facilities.catalogue import avail_scope, facilities_catalogue, setup_scope
from yoyaku.facilities.models import Purpose
from yoyaku.reservations import selectors as availability

TEMPLATE = "citizen/_facility_day.html"
FEW = 10  # at most this many blocks to render again: read those facilities' catalogue only
# Every booking makes new keys (a block's, and a whole page's of ~40 KB for each variant asked
# for afterwards): short lives bound what a rush leaves in the cache. A whole page only serves
# the visitors between two bookings.
BLOCK_TIMEOUT = 3600
PAGE_TIMEOUT = 60

# A number no facility slug or unit id of a real page is: reversed in its place, then cut out,
# so a block of many rows reverses each route once instead of once per row.
_URL_SLOT = "9876543210123"


@dataclass(frozen=True)
class Block:
    html: str
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None

    def holds_at(self, at: dt.datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= at) and (
            self.valid_until is None or at < self.valid_until
        )


def _url_around(name: str, *args: object) -> tuple[str, str]:
    """(before, after) the last argument of the route ``name``, reversed once."""
    before, after = reverse(name, args=[*args, _URL_SLOT]).split(_URL_SLOT)
    return before, after


def facility_blocks(
    *,
    municipality: Municipality,
    day: dt.date,
    facility_ids: Sequence[int],
    kind: str | None,
    purpose: Purpose | None,
    opened: Collection[int],
    at: dt.datetime,
) -> SafeString:
    """The HTML of the given facilities' blocks on ``day``, in their order: those in
    ``opened`` with their units, the others folded to one line linking to ``?facility=<id>``.

    ``facility_ids`` are those the filters (``kind``, ``purpose``) keep. From the cache; the
    missing blocks are rendered together (their availability read in three queries at most).
    """
    language = get_language() or "ja"
    variant = f"{day.isoformat()}:{language}:{kind or '-'}:{purpose.pk if purpose else '-'}"

    def key(facility_id: int) -> str:
        return f"dayblock:{variant}:{'open' if facility_id in opened else 'folded'}"

    def build(missing: list[int]) -> dict[int, Block]:
        # After a booking or two, the parts of the facilities concerned; on a cold page, the
        # whole catalogue at once.
        few = len(missing) <= FEW and len(missing) < len(facility_ids)
        entries = availability.municipality_day(
            setup=facilities_catalogue(municipality=municipality, facility_ids=missing)
            if few
            else None,
            municipality=municipality,
            day=day,
            kind=kind,
            purpose=purpose,
            at=at,
            facility_ids=missing,
        )
        shared = _shared_context(municipality, day)
        blocks = {pk: Block("") for pk in missing}  # a facility left without units meanwhile
        for entry in entries:
            pk = entry.facility.pk
            query = {"date": day.isoformat(), "kind": kind or "", "facility": pk}
            if purpose is not None:
                query["purpose"] = purpose.pk
            html = render_to_string(
                TEMPLATE,
                {
                    **shared,
                    "entry": entry,
                    "open": pk in opened,
                    "open_url": f"?{urlencode({k: v for k, v in query.items() if v})}"
                    f"#facility-{pk}",
                },
            )
            blocks[pk] = Block(html, entry.valid_from, entry.valid_until)
        return blocks

    def page() -> Block:
        blocks = cache.remember_many(
            {pk: (avail_scope(pk), setup_scope(municipality.pk)) for pk in facility_ids},
            key,
            build,
            timeout=BLOCK_TIMEOUT,
            usable=lambda block: block.holds_at(at),
        )
        return Block(
            "".join(blocks[pk].html for pk in facility_ids),
            max((b.valid_from for b in blocks.values() if b.valid_from), default=None),
            min((b.valid_until for b in blocks.values() if b.valid_until), default=None),
        )

    # The blocks of the whole list are also kept together, under every facility's version (a
    # digest of them, read in one round trip), so a warm page reads one value, not a hundred.
    scopes = sorted({avail_scope(pk) for pk in facility_ids})
    stamp = f"{'+'.join(scopes)}:{'.'.join(str(v) for v in cache.versions(scopes))}"
    digest = hashlib.blake2b(stamp.encode(), digest_size=16).hexdigest()
    shown_open = ",".join(str(pk) for pk in facility_ids if pk in opened)
    whole = cache.remember(
        [setup_scope(municipality.pk)],
        f"daypage:{variant}:{shown_open}:{digest}",
        page,
        timeout=PAGE_TIMEOUT,
        usable=lambda block: block.holds_at(at),
    )
    # Safe: every block is the output of an autoescaping template.
    return mark_safe(whole.html)


def _shared_context(municipality: Municipality, day: dt.date) -> dict[str, object]:
    """What every block of a page shows alike: reversed and translated once, not once per row."""
    return {
        "day": day,
        "detail_url": _url_around("citizen:facility_detail", municipality.slug),
        "calendar_url": _url_around("citizen:facility_calendar", municipality.slug),
        "reserve_url": _url_around("citizen:reserve", municipality.slug),
        "words": {
            "free": _("空きあり"),
            "taken": _("空きなし"),
            "past": _("過去の日付"),
            "reserve": _("予約する"),
            "waitlist": _("キャンセル待ち"),
            "guide": _("施設の案内"),
            "unit": _("室場"),
            "state": _("状況"),
            "slots": _("時間区分ごとの空き"),
            "book": _("予約"),
        },
        "date_param": day.isoformat(),
        "month_param": day.strftime("%Y-%m"),
    }
