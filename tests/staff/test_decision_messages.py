"""After each decision the clerk lands on a page that says, in a success message, what was done."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories as f
from tests.registrants import builders
from tests.registrants.data import PDF
from tests.reservations.helpers import registrant, resort
from tests.staff.test_console import login
from tests.staff.test_lottery_console import make_round
from yoyaku.core import clock
from yoyaku.core import services as core_services
from yoyaku.facilities.models import ReductionCategory
from yoyaku.lottery import services as lottery_services
from yoyaku.registrants import services
from yoyaku.reservations import booking, rules

pytestmark = pytest.mark.django_db

SOON = dt.date(2026, 6, 3)  # "today" is Monday 2026-06-01 10:00 (conftest)
LATER = dt.date(2026, 6, 17)
TIERS = [{"days_before": 7, "percent": 0}, {"days_before": 2, "percent": 50}]


def _book(person, unit, day):
    request = rules.BookingRequest(
        registrant=person, unit=unit, use_date=day, slots=[f.slot(unit, "am")], party_size=10
    )
    return booking.reservation_book(request=request, by=person.user)


def _unit(ukiha, **facility_fields):
    facility = f.FacilityFactory(municipality=ukiha, **facility_fields)
    unit = f.slot_unit(facility, "アリーナ")
    f.fee(unit, 1200, slot=f.slot(unit, "am"))
    return unit


def _awaiting_approval(ukiha):
    return _book(registrant(ukiha), _unit(ukiha, requires_approval=True), LATER)


def _grant(ukiha):
    category = ReductionCategory.objects.create(
        municipality=ukiha, name="障がい者減免", percent=100, requires_approval=True
    )
    proof = services.Proof(
        file=SimpleUploadedFile("j.pdf", PDF), content_type="application/pdf", name="j.pdf"
    )
    return services.reduction_request(registrant=registrant(ukiha), category=category, proof=proof)


def _change(ukiha, admin):
    person = builders.active(ukiha, admin)
    return services.registrant_details_change(
        registrant=person, changes={"street": "浮羽町朝田５８２"}
    )


def registration_approve(ukiha, admin):
    applicant = builders.apply(ukiha)
    return (
        f"/staff/registrations/{applicant.pk}/decide/",
        {"action": "approve"},
        "登録を承認しました。",
    )


def registration_ask(ukiha, admin):
    applicant = builders.apply(ukiha)
    data = {"action": "request_info", "message": "住所の確認書類を送ってください。"}
    return f"/staff/registrations/{applicant.pk}/decide/", data, "追加の確認を依頼しました。"


def registration_cancel(ukiha, admin):
    applicant = builders.apply(ukiha)
    data = {"action": "reject", "message": "市外にお住まいのため"}
    return f"/staff/registrations/{applicant.pk}/decide/", data, "登録を取り消しました。"


def change_approve(ukiha, admin):
    change = _change(ukiha, admin)
    return f"/staff/changes/{change.pk}/decide/", {"action": "approve"}, "変更届を承認しました。"


def change_refuse(ukiha, admin):
    change = _change(ukiha, admin)
    data = {"action": "reject", "reason": "転居先が確認できません"}
    return f"/staff/changes/{change.pk}/decide/", data, "変更届を不承認としました。"


def reduction_approve(ukiha, admin):
    data = {"action": "approve", "grant": _grant(ukiha).pk, "valid_until": "2027-03-31"}
    return "/staff/reductions/", data, "減免を承認しました。"


def reduction_refuse(ukiha, admin):
    data = {"action": "reject", "grant": _grant(ukiha).pk, "reason": "書類が不足しています"}
    return "/staff/reductions/", data, "減免を不承認としました。"


def reservation_approve(ukiha, admin):
    reservation = _awaiting_approval(ukiha)
    url = f"/staff/reservations/{reservation.pk}/act/"
    return url, {"action": "approve", "back": "queue"}, "予約を許可しました。"


def reservation_refuse(ukiha, admin):
    reservation = _awaiting_approval(ukiha)
    data = {"action": "reject", "reason": "催しの内容が目的外のため"}
    return f"/staff/reservations/{reservation.pk}/act/", data, "不許可としました。"


def reservation_cancel(ukiha, admin):
    reservation = _book(registrant(ukiha), _unit(ukiha), LATER)
    data = {"action": "cancel", "reason": "設備点検のため"}
    return f"/staff/reservations/{reservation.pk}/act/", data, "予約を取り消しました"


def penalty_waive(ukiha, admin):
    person = registrant(ukiha)
    # No undo window: the cancellation right after booking is the late one of the tiers.
    reservation = _book(person, _unit(ukiha, cancellation_tiers=TIERS, undo_minutes=0), SOON)
    booking.reservation_cancel(reservation=reservation, by=person.user)  # late: a 30-day stop
    penalty = reservation.penalties.get()
    url = f"/staff/reservations/{reservation.pk}/penalties/{penalty.pk}/waive/"
    return url, {"reason": "気象警報による取消と確認"}, "予約の停止を解除しました。"


def lottery_draw(ukiha, admin):
    _facility, room_type = resort(ukiha, rooms=2, opens_months_before=2)
    lottery = make_round(
        ukiha,
        [room_type],
        applications_open_at=clock.at(dt.date(2026, 5, 1), dt.time(8)),
        applications_close_at=clock.at(dt.date(2026, 5, 31), dt.time(23, 59)),
    )
    person = registrant(ukiha)
    choice = lottery_services.ChoiceRequest(
        unit=room_type, use_date=dt.date(2026, 8, 8), nights=1, adults=2
    )
    # Applied while the round was open: the console's clock is the conftest's, after the close.
    with clock.travel(dt.datetime(2026, 5, 20, 10, 0)):
        lottery_services.lottery_apply(
            lottery=lottery, registrant=person, choices=[choice], by=person.user
        )
    f.lottery_value_confirmed(lottery)
    return f"/staff/lottery/{lottery.pk}/draw/", {}, "抽選を実行しました。"


def notice_create(ukiha, admin):
    data = {
        "title": "点検のお知らせ",
        "body": "<p>休館します。</p>",
        "published_at": "2026-06-01T09:00",
    }
    return "/staff/notices/new/", data, "お知らせを登録しました。"


def notice_edit(ukiha, admin):
    notice = f.notice(ukiha, title="点検のお知らせ")
    data = {"title": "点検日程の変更", "body": "<p>本文</p>", "published_at": "2026-05-31T09:00"}
    return f"/staff/notices/{notice.pk}/", data, "お知らせを更新しました。"


def notice_withdraw(ukiha, admin):
    notice = f.notice(ukiha, title="取り下げる告知")
    return f"/staff/notices/{notice.pk}/withdraw/", {}, "お知らせを取り下げました。"


def maintenance_announce(ukiha, admin):
    data = {
        "starts_at": "2026-06-05T09:00",
        "ends_at": "2026-06-05T12:00",
        "scope": "writes",
        "message": "システム更新のため",
    }
    return "/staff/maintenance/", data, "システム休止を登録しました。"


def maintenance_end(ukiha, admin):
    window = core_services.maintenance_schedule(
        municipality=ukiha,
        by=admin,
        starts_at=clock.now() - dt.timedelta(hours=1),
        ends_at=clock.now() + dt.timedelta(hours=2),
    )
    return f"/staff/maintenance/{window.pk}/end/", {}, "システム休止を終了しました。"


def maintenance_call_off(ukiha, admin):
    window = core_services.maintenance_schedule(
        municipality=ukiha,
        by=admin,
        starts_at=clock.now() + dt.timedelta(days=3),
        ends_at=clock.now() + dt.timedelta(days=3, hours=2),
    )
    return f"/staff/maintenance/{window.pk}/end/", {}, "システム休止の予定を取り消しました。"


DECISIONS = [
    registration_approve,
    registration_ask,
    registration_cancel,
    change_approve,
    change_refuse,
    reduction_approve,
    reduction_refuse,
    reservation_approve,
    reservation_refuse,
    reservation_cancel,
    penalty_waive,
    lottery_draw,
    notice_create,
    notice_edit,
    notice_withdraw,
    maintenance_announce,
    maintenance_end,
    maintenance_call_off,
]


@pytest.mark.parametrize("decision", DECISIONS, ids=lambda d: d.__name__)
def test_each_decision_lands_on_a_page_that_says_it_was_done(client, ukiha, decision):
    admin = f.staff_user(ukiha)
    url, data, said = decision(ukiha, admin)
    login(client, ukiha)

    response = client.post(url, data, follow=True)

    assert response.redirect_chain, "a decision redirects to the page the clerk goes on from"
    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    assert 'class="message message--success"' in body
    assert said in body
