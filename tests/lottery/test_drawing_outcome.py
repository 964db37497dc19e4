"""What the drawing writes, now that it works in bulk: every winner's fee is what a quote
made for that winner alone gives, every applicant has an audit row and one results mail,
and the published file is the same whether the client takes gzip or not."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest
from django.core import mail

from tests import factories as f
from tests.lottery.test_rounds import make_round
from tests.reservations.helpers import registrant, resort
from yoyaku.core.models import AuditLog
from yoyaku.facilities.models import FeeRule
from yoyaku.lottery import services
from yoyaku.lottery.models import LotteryApplication
from yoyaku.registrants.models import Registrant
from yoyaku.reservations import fees
from yoyaku.reservations.models import Reservation

pytestmark = pytest.mark.django_db

R, P, D = FeeRule.RateClass, FeeRule.PersonClass, FeeRule.DayClass


def drawn_round(minato, travel, django_capture_on_commit_callbacks, people=12, after=None):
    """Residents and others apply for 1–2 nights, adults and children, weekdays and weekends;
    every one of them wins (one room type with a room each)."""
    travel(dt.datetime(2026, 6, 2, 9, 0))
    _facility, room_type = resort(minato, rooms=people, opens_months_before=2)
    f.fee(room_type, 7500, day_class=D.WEEKEND_HOLIDAY)
    f.fee(room_type, 9000, rate_class=R.NON_RESIDENT)
    f.fee(room_type, 4500, rate_class=R.NON_RESIDENT, person_class=P.CHILD)
    lottery = make_round(minato, [room_type])
    for i in range(people):
        person = registrant(minato)
        if i % 3 == 0:  # 区域外 (Minato registers none: made so here for the fee's sake)
            Registrant.objects.filter(pk=person.pk).update(category=Registrant.Category.OTHER)
            person.refresh_from_db()
        choice = services.ChoiceRequest(
            unit=room_type,
            use_date=dt.date(2026, 8, 6) + dt.timedelta(days=i % 4),
            nights=1 + i % 2,
            rooms=1,
            adults=1 + i % 3,
            children=i % 2,
        )
        services.lottery_apply(lottery=lottery, registrant=person, choices=[choice], by=person.user)
    travel(dt.datetime(2026, 6, 25, 10, 0))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=after is None) as callbacks:
        f.lottery_draw(lottery=lottery)
    if after is not None:
        after(callbacks)
    return lottery


def test_every_winners_fee_is_the_quote_made_for_that_winner_alone(
    minato, travel, django_capture_on_commit_callbacks
):
    lottery = drawn_round(minato, travel, django_capture_on_commit_callbacks)
    won = Reservation.objects.filter(lottery_choice__application__round=lottery).select_related(
        "unit", "registrant"
    )
    assert won.count() == 12
    rates = set()
    for reservation in won:
        rate_class = fees.rate_class_for(reservation.registrant)
        rates.add(rate_class)
        alone = fees.fee_quote(
            unit=reservation.unit,
            use_date=reservation.use_date,
            nights=reservation.nights,
            adults=reservation.adults,
            children=reservation.children,
            rate_class=rate_class,
        )
        assert reservation.fee_breakdown == alone.as_json()
        assert reservation.fee_total == alone.total > 0
    assert rates == {R.RESIDENT, R.NON_RESIDENT}


def test_every_applicant_has_an_audit_row_of_the_result(
    minato, travel, django_capture_on_commit_callbacks
):
    lottery = drawn_round(minato, travel, django_capture_on_commit_callbacks)
    rows = AuditLog.objects.filter(action__in=["lottery.win", "lottery.lose"])
    applications = LotteryApplication.objects.filter(round=lottery)
    assert sorted(rows.values_list("target_id", "action")) == sorted(
        (str(a.pk), "lottery.win" if a.status == "won" else "lottery.lose") for a in applications
    )
    assert {(r.via, r.target_type, r.actor_id) for r in rows} == {
        ("job", "lottery.lotteryapplication", None)
    }
    assert {tuple(r.data.items()) for r in rows} == {(("round", lottery.pk),)}


def test_every_applicant_gets_one_results_mail_once_the_drawing_has_committed(
    minato, travel, django_capture_on_commit_callbacks
):
    def commit(callbacks):
        assert mail.outbox == [], "no mail leaves inside the drawing's transaction"
        for callback in callbacks:
            callback()

    drawn_round(minato, travel, django_capture_on_commit_callbacks, after=commit)
    assert len(mail.outbox) == 12
    assert len({tuple(m.to) for m in mail.outbox}) == 12
    assert all("抽選結果のお知らせ" in m.subject for m in mail.outbox)
    assert all("結果：当選（第1希望）" in m.body and m.alternatives for m in mail.outbox)


def test_results_mails_are_sent_in_batches_covering_every_applicant_once(
    minato, travel, django_capture_on_commit_callbacks
):
    lottery = drawn_round(minato, travel, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    batches = services.lottery_results_batches(lottery=lottery, batch_size=5)
    assert len(batches) == 3
    sent = [
        services.lottery_results_mail(lottery=lottery, first_id=first, last_id=last)
        for first, last in batches
    ]
    assert sent == [5, 5, 2]
    assert len(mail.outbox) == 12
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        LotteryApplication.objects.filter(round=lottery).values_list("registrant__email", flat=True)
    )


def test_the_published_file_is_the_same_whether_the_client_takes_gzip_or_not(
    client, minato, travel, django_capture_on_commit_callbacks
):
    lottery = drawn_round(minato, travel, django_capture_on_commit_callbacks)
    url = f"/minato/lottery/{lottery.pk}/published.json"
    plain = client.get(url)
    zipped = client.get(url, headers={"accept-encoding": "gzip, br"})
    assert zipped["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain
    assert gzip.decompress(zipped.content) == plain.content
    assert plain.json()["results"]["wins"] == dict(
        LotteryApplication.objects.filter(round=lottery).values_list("pseudonym", "won_rank")
    )
