"""Lottery applications for the 会議室 of tests/reports/fixture.py, in a July round.

A1 第1希望 7/15 午前; A2 第1希望 7/15 午後; A3 第1希望 7/15 夜間, 第2希望 7/16 午前;
A4 第1希望 7/15 午前, withdrawn; A5 第1希望 7/16 午後, 第2希望 7/15 午前.
So 7/15: 4 applications (3 as first choice), 7/16: 2 (1 as first choice).
"""

from __future__ import annotations

import datetime as dt

from tests import factories as f
from tests.registrants import builders
from yoyaku.core import clock
from yoyaku.lottery import services
from yoyaku.lottery.models import LotteryRound

JULY_15 = dt.date(2026, 7, 15)
JULY_16 = dt.date(2026, 7, 16)


def july_round(municipality, units) -> LotteryRound:
    return services.round_create(
        municipality=municipality,
        by=None,
        units=units,
        name="2026年7月分",
        use_from=dt.date(2026, 7, 1),
        use_until=dt.date(2026, 7, 31),
        applications_open_at=clock.at(dt.date(2026, 6, 1), dt.time(8)),
        applications_close_at=clock.at(dt.date(2026, 6, 10), dt.time(23, 59)),
        draw_at=clock.at(dt.date(2026, 6, 15), dt.time(10)),
        confirm_deadline=clock.at(dt.date(2026, 6, 20), dt.time(23, 59)),
        first_come_opens_at=clock.at(dt.date(2026, 6, 21), dt.time(9)),
    )


def applications_for(municipality, june) -> LotteryRound:
    room = june.room
    lottery = july_round(municipality, [room])

    def choice(day, code):
        return services.ChoiceRequest(
            unit=room, use_date=day, party_size=10, slots=[f.slot(room, code)]
        )

    plan = [
        [choice(JULY_15, "am")],
        [choice(JULY_15, "pm")],
        [choice(JULY_15, "night"), choice(JULY_16, "am")],
        [choice(JULY_15, "am")],
        [choice(JULY_16, "pm"), choice(JULY_15, "am")],
    ]
    applications = []
    for choices in plan:
        person = builders.active(municipality, by=june.admin)
        applications.append(
            services.lottery_apply(
                lottery=lottery, registrant=person, choices=choices, by=person.user
            )
        )
    services.lottery_withdraw(application=applications[3], by=applications[3].registrant.user)
    return lottery
