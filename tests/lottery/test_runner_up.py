"""次点の繰り上げ: where the municipality's policy says so, a win given back before first-come
opens goes to the first runner-up in the published order whose choice fits it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from tests import factories as f
from tests.lottery.test_rounds import STAY, fill, make_round
from tests.reservations.helpers import resort
from yoyaku.core.models import AuditLog
from yoyaku.lottery import services
from yoyaku.lottery.models import LotteryApplication
from yoyaku.reservations.models import Occupancy, Reservation, UnitBlock

pytestmark = pytest.mark.django_db(transaction=True)


def drawn_round(minato, travel, *, policy: bool):
    minato.lottery_runner_up = policy
    minato.save(update_fields=["lottery_runner_up"])
    _facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    lottery = make_round(minato, [room_type], cancelled_win_release_hours=12)
    # Five people for two rooms on two weekends: four win, one is the runner-up.
    fill(lottery, room_type, minato, people=5)
    travel(dt.datetime(2026, 6, 25, 10, 0))
    f.lottery_draw(lottery=lottery)
    lottery.refresh_from_db()
    return lottery, room_type


def confirm_all_but_one(lottery):
    wins = list(
        Reservation.objects.filter(status="awaiting_confirmation", use_date=STAY).order_by("pk")
    )
    for win in Reservation.objects.filter(status="awaiting_confirmation").exclude(pk=wins[0].pk):
        services.lottery_confirm_win(reservation=win, by=win.registrant.user)
    return wins[0]


def test_with_the_policy__an_expired_win_goes_to_the_first_runner_up(minato, travel):
    lottery, room_type = drawn_round(minato, travel, policy=True)
    runner_ups = lottery.published["results"]["runner_up"]
    assert len(runner_ups) == 1
    expired = confirm_all_but_one(lottery)
    mail.outbox.clear()
    travel(dt.datetime(2026, 7, 1, 0, 30))  # after the deadline, before first-come (9:00)

    assert services.lottery_expire_unconfirmed() == 1

    promoted = LotteryApplication.objects.get(pseudonym=runner_ups[0])
    assert (promoted.status, promoted.won_rank) == (LotteryApplication.Status.WON, 1)
    assert promoted.confirm_by > dt.datetime(2026, 7, 3, tzinfo=promoted.confirm_by.tzinfo)
    new = Reservation.objects.get(registrant=promoted.registrant)
    assert (new.status, new.use_date) == ("awaiting_confirmation", STAY)
    assert not UnitBlock.objects.filter(release_at__isnull=False).exists()  # nothing held
    assert Occupancy.objects.filter(unit=room_type, date=STAY, reservation=new).exists()
    expired.refresh_from_db()
    assert expired.status != "awaiting_confirmation"
    assert [m.to for m in mail.outbox if "繰り上げ当選" in m.subject] == [
        [promoted.registrant.email]
    ]
    assert AuditLog.objects.filter(action="lottery.runner_up", target_id=str(promoted.pk)).exists()
    # The runner-up confirms by their own deadline, after the round's.
    travel(dt.datetime(2026, 7, 2, 10, 0))
    services.lottery_confirm_win(reservation=new, by=promoted.registrant.user)
    new.refresh_from_db()
    assert new.status == Reservation.Status.CONFIRMED


def test_without_the_policy__the_win_is_held_until_its_release_time(minato, travel):
    lottery, _room_type = drawn_round(minato, travel, policy=False)
    confirm_all_but_one(lottery)
    travel(dt.datetime(2026, 7, 1, 0, 30))
    assert services.lottery_expire_unconfirmed() == 1
    assert UnitBlock.objects.filter(release_at__isnull=False).count() == 1
    assert not LotteryApplication.objects.filter(
        round=lottery, status=LotteryApplication.Status.LOST, won_rank__isnull=False
    ).exists()
    assert LotteryApplication.objects.filter(round=lottery, status="lost").count() == 1


def test_after_first_come_opens__no_runner_up_is_promoted(minato, travel):
    lottery, _room_type = drawn_round(minato, travel, policy=True)
    win = confirm_all_but_one(lottery)
    services.lottery_confirm_win(reservation=win, by=win.registrant.user)
    travel(dt.datetime(2026, 7, 1, 9, 0))
    from yoyaku.reservations.booking import reservation_cancel

    reservation_cancel(reservation=win, by=win.registrant.user)
    assert LotteryApplication.objects.filter(round=lottery, status="lost").count() == 1
