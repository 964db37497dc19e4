"""Rounds on a schedule (定期抽選): every month, the round for the month N months ahead.

A :class:`LotteryRoundSchedule` says which units, how far ahead, on which days of the month
of creation applications open (8:00) and close (23:59) and the drawing runs (10:00), and how
many days winners have to confirm (until 23:59). To keep it simple, first-come booking opens
the day after the confirmation deadline at 9:00. The daily job ``lottery.schedules`` (1:00)
calls :func:`rounds_from_schedules`.

The round a schedule makes for a month is identified by its name (municipality, name), which
the template makes unique per month — so LotteryRound needs no link to its schedule, and a
second run, or a second scheduler, creates nothing more. A round of that name that staff made
by hand counts as made.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from typing import Any

from django.db import transaction

from yoyaku.core import clock
from yoyaku.core.models import AuditAction, Municipality, User
from yoyaku.core.services import audit_record
from yoyaku.facilities.models import Unit
from yoyaku.lottery import services
from yoyaku.lottery.models import LotteryRound, LotteryRoundSchedule

logger = logging.getLogger(__name__)

OPENS_AT = dt.time(8, 0)
CLOSES_AT = dt.time(23, 59)
DRAWS_AT = dt.time(10, 0)
CONFIRM_UNTIL = dt.time(23, 59)
FIRST_COME_AT = dt.time(9, 0)

# The settings a schedule copies to each of its rounds, as they are named on both models.
COPIED = (
    "max_applications_per_registrant",
    "max_choices",
    "max_wins_per_registrant",
    "eligible_categories",
    "groups_first",
    "loser_weight_rounds",
    "cancelled_win_release_hours",
)


def add_months(day: dt.date, months: int) -> dt.date:
    """The 1st of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def round_name(name_template: str, month: dt.date) -> str:
    return name_template.format(year=month.year, month=month.month)


def round_fields(schedule: LotteryRoundSchedule, today: dt.date) -> dict[str, Any]:
    """What ``round_create`` gets for the round made in the month of ``today`` (pure)."""
    created = today.replace(day=1)
    month = add_months(created, schedule.months_ahead)
    last = calendar.monthrange(month.year, month.month)[1]
    draw_day = created.replace(day=schedule.draw_day)
    deadline = draw_day + dt.timedelta(days=schedule.confirm_days)
    return {
        "name": round_name(schedule.name_template, month),
        "use_from": month,
        "use_until": month.replace(day=last),
        "applications_open_at": clock.at(created.replace(day=schedule.open_day), OPENS_AT),
        "applications_close_at": clock.at(created.replace(day=schedule.close_day), CLOSES_AT),
        "draw_at": clock.at(draw_day, DRAWS_AT),
        "confirm_deadline": clock.at(deadline, CONFIRM_UNTIL),
        "first_come_opens_at": clock.at(deadline + dt.timedelta(days=1), FIRST_COME_AT),
        **{name: getattr(schedule, name) for name in COPIED},
    }


def rounds_from_schedules(*, today: dt.date | None = None) -> list[LotteryRound]:
    """Create this month's round of every active schedule that has not made it yet.

    Runs any day of the month (the daily job at 1:00); a round is made once per schedule and
    month. A month whose application window has already closed is skipped (a schedule made,
    or a scheduler down, after the close day): a round nobody could apply to would only hold
    the dates back. Each schedule in its own transaction, its row locked, so that two runs at
    once cannot both create. Side effects: ``round_create`` (audit ``lottery.create`` without
    an actor); returns the rounds created.
    """
    today = today or clock.today()
    now = clock.now()
    created: list[LotteryRound] = []
    for schedule_id in LotteryRoundSchedule.objects.filter(is_active=True).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            schedule = (
                LotteryRoundSchedule.objects.select_for_update()
                .select_related("municipality")
                .filter(pk=schedule_id, is_active=True)
                .first()
            )
            if schedule is None:
                continue
            fields = round_fields(schedule, today)
            if LotteryRound.objects.filter(
                municipality=schedule.municipality, name=fields["name"]
            ).exists():
                continue
            if fields["applications_close_at"] <= now:
                logger.info("lottery schedule %s: %s closed already", schedule.pk, fields["name"])
                continue
            units = list(schedule.units.filter(is_active=True))
            if not units:
                continue
            created.append(
                services.round_create(
                    municipality=schedule.municipality, by=None, units=units, **fields
                )
            )
    return created


@transaction.atomic
def schedule_create(
    *, municipality: Municipality, by: User | None, units: list[Unit], **fields: Any
) -> LotteryRoundSchedule:
    """A new schedule (its days checked by the form; the database checks them again).

    Its first round is made by the next daily run (or at once by ``rounds_from_schedules``).
    """
    schedule = LotteryRoundSchedule.objects.create(
        municipality=municipality, created_at=clock.now(), **fields
    )
    schedule.units.set(units)
    audit_record(
        action=AuditAction.LOTTERY_SCHEDULE_CREATE,
        actor=by,
        municipality=municipality,
        target=schedule,
        data={"name_template": schedule.name_template, "units": [u.pk for u in units]},
    )
    return schedule


@transaction.atomic
def schedule_set_active(
    *, schedule: LotteryRoundSchedule, by: User | None, is_active: bool
) -> LotteryRoundSchedule:
    """Pause or resume a schedule; rounds already made stay as they are."""
    schedule = LotteryRoundSchedule.objects.select_for_update().get(pk=schedule.pk)
    if schedule.is_active == is_active:
        return schedule
    schedule.is_active = is_active
    schedule.save(update_fields=["is_active"])
    audit_record(
        action=AuditAction.LOTTERY_SCHEDULE_RESUME
        if is_active
        else AuditAction.LOTTERY_SCHEDULE_PAUSE,
        actor=by,
        municipality=schedule.municipality,
        target=schedule,
    )
    return schedule
