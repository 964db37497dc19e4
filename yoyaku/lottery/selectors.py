"""Reads of lottery rounds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet

from yoyaku.core.models import Municipality
from yoyaku.facilities.models import Unit
from yoyaku.lottery.models import (
    LotteryApplication,
    LotteryChoice,
    LotteryCommitment,
    LotteryRound,
)
from yoyaku.registrants.models import Registrant
from yoyaku.reservations.capacity import basic_slots

A = LotteryApplication.Status


def lottery_hold_periods(
    *, unit_ids: Iterable[int], start: dt.date, end: dt.date
) -> list[tuple[int, dt.date, dt.date, dt.datetime]]:
    """(unit id, first date, last date, held until) of every round over these units whose use
    dates overlap [start, end]. A round holds its unit-dates from its creation until its
    first-come opening time; which periods still hold is decided by the reader's clock, so
    the periods can be cached (a new round bumps the availability of its facilities)."""
    ids = set(unit_ids)
    rounds = LotteryRound.objects.filter(
        units__in=ids, use_from__lte=end, use_until__gte=start
    ).values_list("units", "use_from", "use_until", "first_come_opens_at")
    return [row for row in rounds if row[0] in ids]


def rounds_with_counts(*, municipality: Municipality) -> QuerySet[LotteryRound]:
    """Rounds with counts of live applications, their choices and wins (one query)."""
    live = ~Q(applications__status=A.WITHDRAWN)
    return (
        LotteryRound.objects.filter(municipality=municipality)
        .annotate(
            application_count=Count("applications", filter=live, distinct=True),
            # One joined row per choice: no distinct needed (nor wanted).
            choice_count=Count("applications__choices", filter=live),
            win_count=Count("applications", filter=Q(applications__status=A.WON), distinct=True),
        )
        .order_by("-use_from", "-id")
    )


def round_demand(*, lottery: LotteryRound) -> list[dict]:
    """Applications per unit and date of use (check-in for lodging), by choice rank."""
    rows = list(
        LotteryChoice.objects.filter(application__round=lottery)
        .exclude(application__status=A.WITHDRAWN)
        # The drawing skips ended registrations (an expired one keeps its application).
        .exclude(application__registrant__status__in=Registrant.ENDED)
        .values("unit_id", "use_date")
        .annotate(
            first=Count("id", filter=Q(rank=1)),
            second=Count("id", filter=Q(rank=2)),
            third=Count("id", filter=Q(rank=3)),
        )
        .order_by("use_date", "unit_id")
    )
    units = {unit.pk: unit for unit in lottery.units.all()}
    missing = {row["unit_id"] for row in rows} - units.keys()
    if missing:  # a unit taken out of the round after applications were made
        units.update(Unit.objects.select_related("facility").in_bulk(missing))
    for row in rows:
        row["unit"] = units[row["unit_id"]]
    return rows


def round_status_counts(*, lottery: LotteryRound) -> dict[str, int]:
    rows = (
        LotteryApplication.objects.filter(round=lottery)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {row["status"]: row["n"] for row in rows}
    return {status: counts.get(status, 0) for status in A.values}


def round_applications(*, lottery: LotteryRound, limit: int) -> list[LotteryApplication]:
    return list(
        LotteryApplication.objects.filter(round=lottery)
        .select_related("registrant")
        .prefetch_related("choices__unit__facility", "choices__slots")
        .order_by("created_at", "id")[:limit]
    )


def rounds_public(*, municipality: Municipality) -> QuerySet[LotteryRound]:
    """A municipality's rounds as anyone sees them, latest use first."""
    return (
        LotteryRound.objects.filter(municipality=municipality)
        .prefetch_related("units__facility")
        .order_by("-use_from", "-id")
    )


def round_get(*, municipality: Municipality, round_id: int) -> LotteryRound | None:
    return rounds_public(municipality=municipality).filter(pk=round_id).first()


def round_published_document(*, lottery: LotteryRound) -> dict:
    """What anyone may download about a round: after the drawing, the published data (seed,
    public value, anonymised applications, results); before it, what the round committed to
    so far (the seed's hash, the public value's source, the value once confirmed, the
    applications' hash once frozen)."""
    if lottery.status != LotteryRound.Status.DRAWN or lottery.published_gzip is None:
        document: dict = {
            "algorithm": lottery.algorithm,
            "round": {"id": lottery.pk, "name": lottery.name},
            "seed_sha256": lottery.seed_sha256,
        }
        if lottery.uses_public_value:
            document["public_value"] = {
                "source": lottery.public_source,
                "value": lottery.public_value if lottery.public_value_confirmed else None,
            }
            document["applications_sha256"] = lottery.applications_sha256 or None
        return document
    return lottery.published


def round_commitments(*, lottery: LotteryRound) -> list[LotteryCommitment]:
    """The round's public log, oldest first."""
    return list(LotteryCommitment.objects.filter(round=lottery).order_by("at", "id"))


def round_demand_public(*, lottery: LotteryRound) -> list[dict]:
    """Applications per unit and date of use with the unit's capacity on that date and the
    odds (capacity ÷ applications naming it, at most 1): what the round's public page shows
    once the window has closed. Capacity is the rooms of a lodging room type, or the basic
    slots of a hall or court (each one booking)."""
    rows = round_demand(lottery=lottery)
    units = (
        Unit.objects.filter(pk__in={row["unit_id"] for row in rows})
        .select_related("slot_schedule")
        .prefetch_related("slot_schedule__slots")
        .in_bulk()
    )
    for row in rows:
        unit = units[row["unit_id"]]
        row["capacity"] = (unit.room_count or 0) if unit.is_lodging else len(basic_slots(unit))
        row["applications"] = row["first"] + row["second"] + row["third"]
        row["odds_percent"] = (
            min(100, round(100 * row["capacity"] / row["applications"]))
            if row["applications"]
            else None
        )
    return rows
