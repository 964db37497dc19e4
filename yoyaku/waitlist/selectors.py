"""Reads of the waitlist: my waits and offers; the staff page of one unit and date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch

from yoyaku.core import clock
from yoyaku.facilities.models import Unit
from yoyaku.registrants.models import Registrant
from yoyaku.waitlist.models import Offer, Wait


@dataclass(frozen=True)
class MyWait:
    wait: Wait
    offer: Offer | None  # the open offer, if any

    @property
    def can_withdraw(self) -> bool:
        return self.wait.status == Wait.Status.WAITING


def my_waits(registrant: Registrant) -> list[MyWait]:
    """The registrant's active waits (offers first), then the last ended ones."""
    waits = (
        Wait.objects.filter(registrant=registrant)
        .select_related("unit__facility")
        .prefetch_related(
            "slots",
            Prefetch("offers", queryset=Offer.objects.filter(status=Offer.Status.OPEN)),
        )
        .order_by("-created_at", "-id")[:50]
    )
    rows = [MyWait(wait=w, offer=next(iter(w.offers.all()), None)) for w in waits]
    rows.sort(key=lambda r: (r.offer is None, not r.wait.is_active))
    return rows


def open_offer(registrant: Registrant, offer_id: int) -> Offer | None:
    return (
        Offer.objects.filter(pk=offer_id, wait__registrant=registrant, status=Offer.Status.OPEN)
        .select_related("wait__unit__facility")
        .first()
    )


def waits_of(unit: Unit, day: dt.date) -> list[Wait]:
    """Staff: every wait of the unit on the date, oldest first, with all its offers."""
    return list(
        Wait.objects.filter(unit=unit, use_date=day)
        .select_related("registrant")
        .prefetch_related("slots", "offers")
        .order_by("created_at", "id")
    )


def offers_of(unit: Unit, day: dt.date) -> list[Offer]:
    return list(
        Offer.objects.filter(wait__unit=unit, wait__use_date=day)
        .select_related("wait__registrant", "reservation")
        .order_by("offered_at", "id")
    )


def open_deadline_passed(offer: Offer) -> bool:
    return offer.deadline <= clock.now()
