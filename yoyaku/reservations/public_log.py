"""The public log (公開記録): writing its rows.

Called inside the transaction of the change it records, so a row exists exactly when the change
does. The registrant appears only as ``pseudonym(registrant_id, facility_id)``: a keyed hash
that is stable within one facility (so anyone can see that one person's cancellation was
followed by another person's offer) and differs between facilities (so the log cannot be joined
into a profile of a person). The key is derived from ``SECRET_KEY``; replacing that key starts
new pseudonyms.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

from django.utils.crypto import salted_hmac

from yoyaku.core import clock
from yoyaku.reservations.models import PublicLogEntry, Reservation, UnitBlock

Kind = PublicLogEntry.Kind

_SALT = "yoyaku.reservations.public_log"


def pseudonym(registrant_id: int, facility_id: int) -> str:
    """The registrant's public name in one facility's log: 10 lower-case hex digits."""
    return salted_hmac(_SALT, f"{facility_id}:{registrant_id}", algorithm="sha256").hexdigest()[:10]


def drawn_order(seed: str, pseudonyms: Iterable[str]) -> list[str]:
    """The one public draw of the log (a waitlist offer, a fair first minute): the pseudonyms
    ascending by HMAC-SHA256(key = the seed's bytes from its hex, message = the pseudonym),
    ties by the pseudonym. The seed is written to the log with the order, so anyone recomputes
    it with the standard library."""
    key = bytes.fromhex(seed)

    def rank(name: str) -> tuple[str, str]:
        return hmac.new(key, name.encode(), hashlib.sha256).hexdigest(), name

    return sorted(set(pseudonyms), key=rank)


def what_of(reservation: Reservation) -> str:
    """What the reservation holds, in words ("午前・午後", "2泊・1室")."""
    if reservation.unit.is_lodging:
        return f"{reservation.nights}泊・{reservation.rooms}室"
    return "・".join(slot.label for slot in reservation.slots.all())


def public_log_record(
    *,
    kind: str,
    facility_id: int,
    unit_id: int | None = None,
    use_date: dt.date | None = None,
    registrant_id: int | None = None,
    detail: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> PublicLogEntry:
    """Append one row (inside the caller's transaction)."""
    return PublicLogEntry.objects.create(
        facility_id=facility_id,
        unit_id=unit_id,
        use_date=use_date,
        kind=kind,
        at=at or clock.now(),
        subject=pseudonym(registrant_id, facility_id) if registrant_id else "",
        detail=detail or {},
    )


def public_log_reservation(reservation: Reservation, kind: str, **detail: Any) -> PublicLogEntry:
    """A row about one reservation: its unit, date and what it held, under a pseudonym."""
    return public_log_record(
        kind=kind,
        facility_id=reservation.unit.facility_id,
        unit_id=reservation.unit_id,
        use_date=reservation.use_date,
        registrant_id=reservation.registrant_id,
        detail={"what": what_of(reservation), **detail},
    )


def public_log_blocks_released(blocks: Iterable[UnitBlock], *, reason: str) -> int:
    """One ``released`` row per staff block whose capacity became free again."""
    now = clock.now()
    rows = [
        PublicLogEntry(
            facility_id=block.unit.facility_id,
            unit_id=block.unit_id,
            use_date=block.start_date,
            kind=Kind.RELEASED,
            at=now,
            detail={
                "reason": reason,
                "until": block.end_date.isoformat(),
                "what": block.slot.label if block.slot_id else "",
            },
        )
        for block in blocks
    ]
    PublicLogEntry.objects.bulk_create(rows)
    return len(rows)
