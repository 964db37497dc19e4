"""The staff console for reservations: approval, cancellation, no-shows and penalties, 代理申請,
unit blocks (利用停止), least privilege between facilities, and the audit of every view."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tests.registrants import builders
from tests.staff.test_console import login
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditLog, User
from yoyaku.core.permissions import staff_facilities
from yoyaku.facilities.models import Facility
from yoyaku.reservations import booking, rules
from yoyaku.reservations.models import Occupancy, Penalty, Reservation, UnitBlock
from yoyaku.reservations.selectors import _units_queryset, availability_grid
from yoyaku.reservations.services import unit_block_create

pytestmark = pytest.mark.django_db

Status = Reservation.Status
USE_DAY = dt.date(2026, 6, 10)  # a Wednesday; "today" is Monday 2026-06-01 (conftest)
SOON = dt.date(2026, 6, 3)  # two days ahead: a registrant's cancellation would cost 50 %
TIERS = [
    {"days_before": 7, "percent": 0},
    {"days_before": 2, "percent": 50},
    {"days_before": 0, "percent": 100},
]


# — builders —


@pytest.fixture
def admin(ukiha):
    return f.staff_user(ukiha)


@pytest.fixture
def hall(ukiha):
    """うきは市文化会館: reviews every application (Ukiha art. 9.2)."""
    return f.FacilityFactory(
        municipality=ukiha, name="うきは市文化会館", slug="bunka-kaikan", requires_approval=True
    )


@pytest.fixture
def room(hall):
    return priced(f.slot_unit(hall, "大ホール"), 5000)


@pytest.fixture
def gym(ukiha):
    """A facility that confirms at once and charges cancellation fees."""
    return f.FacilityFactory(
        municipality=ukiha, name="うきは市吉井体育センター", cancellation_tiers=TIERS
    )


@pytest.fixture
def court(gym):
    return priced(f.slot_unit(gym, "アリーナ"), 1200)


@pytest.fixture
def registrant(ukiha, admin):
    return builders.active(ukiha, by=admin, name="浮羽　花子", phone="0943-75-1111")


def priced(unit, amount):
    """A fee for each basic slot (午前, 午後, 夜間)."""
    for code in ("am", "pm", "night"):
        f.fee(unit, amount, slot=f.slot(unit, code))
    return unit


def book(registrant, unit, day=USE_DAY, code="am", **kw) -> Reservation:
    request = rules.BookingRequest(
        registrant=registrant,
        unit=unit,
        use_date=day,
        slots=[f.slot(unit, code)],
        party_size=kw.pop("party_size", 10),
        **kw,
    )
    return booking.reservation_book(request=request, by=registrant.user)


def facility_staff(municipality, *facilities, login_id="bunka") -> User:
    user = f.staff_user(municipality, role=User.StaffRole.FACILITY, login_id=login_id)
    user.facilities.add(*facilities)
    return user


def act(client, reservation, action, reason="", **extra):
    return client.post(
        f"/staff/reservations/{reservation.pk}/act/",
        {"action": action, "reason": reason, **extra},
    )


def slot_free(unit, day, code) -> bool:
    unit = _units_queryset().get(pk=unit.pk)
    state = availability_grid(units=[unit], start=day, end=day)[(unit.pk, day)]
    return next(s.free for s in state.slots if s.slot.code == code)


# — approval —


@pytest.mark.django_db(transaction=True)
def test_staff_approve_from_the_queue__the_reservation_is_confirmed_and_mailed(
    client, ukiha, admin, room, registrant
):
    reservation = book(registrant, room)
    assert reservation.status == Status.AWAITING_APPROVAL
    login(client, ukiha)
    queue = client.get("/staff/reservations/queue/").content.decode()
    assert reservation.number in queue and "浮羽　花子" in queue
    mail.outbox.clear()

    response = act(client, reservation, "approve", back="queue")

    assert response.status_code == 302 and response["Location"] == "/staff/reservations/queue/"
    reservation.refresh_from_db()
    assert reservation.status == Status.CONFIRMED
    assert reservation.decided_by == admin
    assert reservation.get_status_display() == "予約確定"
    assert [m.to for m in mail.outbox] == [[registrant.email]]
    assert "予約を許可しました" in mail.outbox[0].subject
    assert reservation.number not in client.get("/staff/reservations/queue/").content.decode()


def test_queue__lists_the_oldest_application_first(client, ukiha, admin, room, registrant, travel):
    later = book(registrant, room, code="pm")
    travel(dt.datetime(2026, 6, 1, 11, 0))
    latest = book(registrant, room, code="night")
    login(client, ukiha)
    page = client.get("/staff/reservations/queue/").content.decode()
    assert page.index(later.number) < page.index(latest.number)


def test_reject__needs_a_reason_and_keeps_the_reservation_waiting(
    client, ukiha, admin, room, registrant
):
    reservation = book(registrant, room)
    login(client, ukiha)

    refused = act(client, reservation, "reject", reason="  ", back="queue")

    assert refused.status_code == 400
    assert "理由を入力してください。" in refused.content.decode()
    reservation.refresh_from_db()
    assert reservation.status == Status.AWAITING_APPROVAL

    act(client, reservation, "reject", reason="同日に市の行事があるため")
    reservation.refresh_from_db()
    assert reservation.status == Status.REJECTED
    assert reservation.decision_reason == "同日に市の行事があるため"
    assert not reservation.occupancies.exists()


# — cancellation by staff —


@pytest.mark.django_db(transaction=True)
def test_staff_cancel__needs_a_reason_frees_the_slot_and_charges_nothing(
    client, ukiha, admin, court, registrant
):
    reservation = book(registrant, court, day=SOON)
    assert reservation.status == Status.CONFIRMED
    # What the registrant would pay once the free undo window (30 minutes) has passed.
    later = reservation.created_at + dt.timedelta(minutes=31)
    terms = booking.cancellation_terms(reservation, now=later)
    assert (terms.percent, terms.fee) == (50, 600)
    login(client, ukiha)

    refused = act(client, reservation, "cancel", reason="")
    assert refused.status_code == 400
    assert "理由を入力してください。" in refused.content.decode()
    mail.outbox.clear()

    response = act(client, reservation, "cancel", reason="大雨警報の発表により休館するため")

    assert response.status_code == 302
    reservation.refresh_from_db()
    assert reservation.status == Status.CANCELLED
    assert reservation.cancellation_fee == 0
    assert not Penalty.objects.filter(registrant=registrant).exists()
    assert "大雨警報の発表により休館するため" in mail.outbox[0].body
    assert "取消料：0円" in mail.outbox[0].body
    other = builders.active(ukiha, by=admin)
    assert book(other, court, day=SOON).status == Status.CONFIRMED


# — no-show and penalties —


def test_no_show__stops_new_bookings_for_sixty_days_until_staff_waive_it(
    client, ukiha, admin, court, registrant, travel
):
    reservation = book(registrant, court, day=SOON)
    travel(dt.datetime(2026, 6, 3, 13, 0))
    login(client, ukiha)

    response = act(client, reservation, "no_show")

    assert response.status_code == 302
    reservation.refresh_from_db()
    assert reservation.status == Status.NO_SHOW
    penalty = Penalty.objects.get(registrant=registrant)
    assert penalty.reason == Penalty.Reason.NO_SHOW
    assert (penalty.starts_on, penalty.ends_on) == (SOON, SOON + dt.timedelta(days=60))
    with pytest.raises(DomainError) as refused:
        book(registrant, court, day=dt.date(2026, 6, 17))
    assert refused.value.code == "penalty_active"
    assert refused.value.message == (
        "直前の取消または無断不使用のため、2026年8月2日（日）まで新しい予約はできません。"
    )

    detail = client.get(f"/staff/reservations/{reservation.pk}/").content.decode()
    assert "停止中" in detail
    waive = f"/staff/reservations/{reservation.pk}/penalties/{penalty.pk}/waive/"
    no_reason = client.post(waive, {"reason": ""})
    assert no_reason.status_code == 400
    assert "理由を入力してください。" in no_reason.content.decode()

    assert client.post(waive, {"reason": "気象警報による欠席と確認"}).status_code == 302

    penalty.refresh_from_db()
    assert penalty.waived_by.login_id == "admin"
    assert penalty.waive_reason == "気象警報による欠席と確認"
    assert book(registrant, court, day=dt.date(2026, 6, 17)).status == Status.CONFIRMED


def test_no_show__refusal_reaches_the_registrants_booking_page(
    client, ukiha, admin, court, registrant, travel
):
    reservation = book(registrant, court, day=SOON)
    travel(dt.datetime(2026, 6, 3, 13, 0))
    booking.reservation_mark_no_show(reservation=reservation, by=admin)
    client.post(
        "/ukiha/login/",
        {"user_number": registrant.user_number, "password": f"{registrant.birth_date:%Y%m%d}"},
    )
    response = client.post(
        f"/ukiha/reserve/{court.pk}/?date=2026-06-17",
        {
            "date": "2026-06-17",
            "slots": [f.slot(court, "am").pk],
            "party_size": 5,
            "action": "book",
        },
    )
    assert response.status_code == 409
    assert "2026年8月2日（日）まで新しい予約はできません。" in response.content.decode()


def test_used_and_no_show__are_offered_only_from_the_day_of_use(
    client, ukiha, admin, court, registrant, travel
):
    reservation = book(registrant, court, day=SOON)
    login(client, ukiha)
    assert (
        "利用済にする" not in client.get(f"/staff/reservations/{reservation.pk}/").content.decode()
    )
    travel(dt.datetime(2026, 6, 3, 13, 0))
    login(client, ukiha)  # two days later: the staff session has ended, a new one starts
    assert "利用済にする" in client.get(f"/staff/reservations/{reservation.pk}/").content.decode()
    act(client, reservation, "used")
    reservation.refresh_from_db()
    assert reservation.status == Status.USED


# — the detail page and its audit —


def test_detail__shows_the_registrant_fee_and_history_and_every_view_is_audited(
    client, ukiha, admin, room, registrant
):
    reservation = book(registrant, room)
    login(client, ukiha)
    body = client.get(f"/staff/reservations/{reservation.pk}/").content.decode()
    for text in (
        "浮羽　花子",
        "0943-75-1111",
        registrant.user_number,
        "5,000円",
        "申込み",
        "審査中",
    ):
        assert text in body
    views = AuditLog.objects.filter(action="reservation.view", target_id=str(reservation.pk))
    assert views.get().actor == admin

    client.get(f"/staff/reservations/{reservation.pk}/")
    assert views.count() == 2


def test_list__filters_by_user_number_and_status_and_audits_the_names_it_shows(
    client, ukiha, admin, court, registrant
):
    mine = book(registrant, court)
    other = book(builders.active(ukiha, by=admin), court, code="pm")
    login(client, ukiha)
    page = client.get(
        "/staff/reservations/", {"user_number": registrant.user_number, "status": "confirmed"}
    ).content.decode()
    assert mine.number in page and other.number not in page
    entry = AuditLog.objects.filter(action="reservation.view").latest("id")
    assert entry.data == {"page": "list", "reservations": [mine.pk]}


def test_queue__runs_the_same_number_of_queries_for_one_or_many_applications(
    client, ukiha, admin, room, registrant
):
    book(registrant, room)
    login(client, ukiha)
    with CaptureQueriesContext(connection) as one:
        client.get("/staff/reservations/queue/")
    book(registrant, room, code="pm")
    book(builders.active(ukiha, by=admin), room, code="night")
    with CaptureQueriesContext(connection) as three:
        client.get("/staff/reservations/queue/")
    assert len(three) == len(one)


# — least privilege —


def test_facility_staff__cannot_see_or_act_on_another_facilitys_reservation(
    client, ukiha, admin, room, hall, court, gym, registrant
):
    theirs = book(registrant, room)
    elsewhere = book(registrant, court)
    other_hall = f.FacilityFactory(municipality=ukiha, requires_approval=True)
    waiting_elsewhere = book(registrant, priced(f.slot_unit(other_hall), 800))
    facility_staff(ukiha, hall)
    login(client, ukiha, login_id="bunka")

    assert client.get(f"/staff/reservations/{theirs.pk}/").status_code == 200
    assert client.get(f"/staff/reservations/{elsewhere.pk}/").status_code == 404
    assert client.get(f"/staff/reservations/{elsewhere.pk}/permit/").status_code == 404
    assert act(client, elsewhere, "cancel", reason="誤り").status_code == 404

    queue = client.get("/staff/reservations/queue/").content.decode()
    assert theirs.number in queue and waiting_elsewhere.number not in queue
    assert act(client, waiting_elsewhere, "approve", back="queue").status_code == 404
    waiting_elsewhere.refresh_from_db()
    assert waiting_elsewhere.status == Status.AWAITING_APPROVAL
    listed = client.get("/staff/reservations/", {"date_from": "2026-06-01"}).content.decode()
    assert theirs.number in listed and elsewhere.number not in listed


def test_staff_facilities__admin_sees_the_municipality_facility_staff_their_own(ukiha, hall, gym):
    admin = f.staff_user(ukiha)
    bunka = facility_staff(ukiha, hall)
    nobody = f.staff_user(ukiha, role=User.StaffRole.FACILITY, login_id="new")
    f.FacilityFactory()  # another municipality's facility
    assert set(staff_facilities(admin)) == {hall, gym}
    assert list(staff_facilities(bunka)) == [hall]
    assert list(staff_facilities(nobody)) == []


def test_staff_of_another_municipality__cannot_open_a_reservation(client, ukiha, room, registrant):
    reservation = book(registrant, room)
    minato = f.MunicipalityFactory(slug="minato")
    f.staff_user(minato)
    login(client, minato)
    assert client.get(f"/staff/reservations/{reservation.pk}/").status_code == 404


def test_demo_facility_staff__are_assigned_their_facilities(travel):
    from yoyaku.demo.data import load_demo

    travel(dt.datetime(2026, 5, 13, 9, 0))
    load_demo()
    bunka = User.objects.get(municipality__slug="ukiha", login_id="bunka")
    hoyou = User.objects.get(municipality__slug="minato", login_id="hoyou")
    assert [fac.slug for fac in staff_facilities(bunka)] == ["bunka-kaikan"]
    assert set(staff_facilities(hoyou)) == set(Facility.objects.filter(municipality__slug="minato"))
    assert staff_facilities(hoyou).count() == 3


# — 代理申請 —


def proxy_url(registrant, unit, day) -> str:
    return (
        f"/staff/reservations/new/?user_number={registrant.user_number}&unit={unit.pk}&date={day}"
    )


def test_proxy_booking__books_by_counter_even_outside_service_hours(
    client, ukiha, admin, court, registrant, travel
):
    travel(dt.datetime(2026, 6, 1, 23, 59))
    login(client, ukiha)
    travel(dt.datetime(2026, 6, 2, 0, 20))  # within the staff session's 30 idle minutes
    citizen_request = rules.BookingRequest(
        registrant=registrant,
        unit=court,
        use_date=USE_DAY,
        slots=[f.slot(court, "am")],
        party_size=8,
    )
    assert [p.code for p in rules.check(citizen_request)] == ["service_closed"]

    form = client.get(proxy_url(registrant, court, USE_DAY)).content.decode()
    assert "浮羽　花子" in form and "0943-75-1111" in form
    response = client.post(
        proxy_url(registrant, court, USE_DAY),
        {
            "channel": "counter",
            "slots": [f.slot(court, "am").pk],
            "party_size": 8,
            "action": "book",
        },
    )

    assert response.status_code == 302
    reservation = Reservation.objects.get()
    assert response["Location"] == f"/staff/reservations/{reservation.pk}/"
    assert reservation.registrant == registrant
    assert reservation.channel == Reservation.Channel.COUNTER
    assert reservation.created_by == admin
    assert reservation.status == Status.CONFIRMED
    assert reservation.fee_total == 1200
    assert AuditLog.objects.filter(action="reservation.book", actor=admin).exists()


def test_proxy_booking__shows_the_fee_before_booking(client, ukiha, admin, court, registrant):
    login(client, ukiha)
    response = client.post(
        proxy_url(registrant, court, USE_DAY),
        {
            "channel": "phone",
            "slots": [f.slot(court, "am").pk],
            "party_size": 8,
            "action": "confirm",
        },
    )
    assert response.status_code == 200
    assert "1,200円" in response.content.decode()
    assert not Reservation.objects.exists()


def test_proxy_booking__shows_every_rule_error_at_the_top_and_keeps_the_input(
    client, ukiha, admin, court, registrant
):
    login(client, ukiha)
    past = dt.date(2026, 5, 27)
    response = client.post(
        proxy_url(registrant, court, past),
        {
            "channel": "phone",
            "slots": [f.slot(court, "am").pk],
            "party_size": 12,
            "action": "book",
        },
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "この内容では予約できません。" in body
    assert "過去の日付は予約できません。" in body
    assert 'value="12"' in body
    assert re.search(r'<input[^>]*value="phone"[^>]*checked', body)
    assert not Reservation.objects.exists()
    # A party over the capacity is said next to its field, with what was typed.
    response = client.post(
        proxy_url(registrant, court, USE_DAY),
        {"channel": "phone", "slots": [f.slot(court, "am").pk], "party_size": 31},
    )
    body = response.content.decode()
    assert 'id="id_party_size_error">利用予定人数が定員（30名）を超えています。' in body
    assert 'value="31"' in body
    assert not Reservation.objects.exists()


def test_proxy_booking__an_unknown_user_number_is_said_plainly(client, ukiha, admin, court):
    login(client, ukiha)
    response = client.get(
        "/staff/reservations/new/",
        {"user_number": "000000", "unit": court.pk, "date": "2026-06-10"},
    )
    assert "この利用者番号の登録者は見つかりません。" in response.content.decode()


def test_proxy_booking__facility_staff_choose_only_their_own_units(
    client, ukiha, admin, room, hall, court, registrant
):
    facility_staff(ukiha, hall)
    login(client, ukiha, login_id="bunka")
    response = client.post(
        proxy_url(registrant, court, USE_DAY),
        {
            "channel": "counter",
            "slots": [f.slot(court, "am").pk],
            "party_size": 8,
            "action": "book",
        },
    )
    assert response.status_code == 200  # the unit is not a choice: back to the first step
    assert not Reservation.objects.exists()


# — 利用停止 —


def test_block__makes_the_slot_unavailable_and_an_overlapping_block_is_refused(
    client, ukiha, admin, room
):
    login(client, ukiha)
    response = client.post(
        "/staff/blocks/",
        {
            "unit": room.pk,
            "start_date": "2026-06-10",
            "end_date": "2026-06-10",
            "slot": f.slot(room, "am").pk,
            "reason": "空調設備の修繕",
        },
    )
    assert response.status_code == 302
    block = UnitBlock.objects.get()
    assert block.created_by == admin
    assert not slot_free(room, USE_DAY, "am")
    assert not slot_free(room, USE_DAY, "all-day")
    assert slot_free(room, USE_DAY, "pm")
    assert "空調設備の修繕" in client.get("/staff/blocks/").content.decode()

    overlap = client.post(
        "/staff/blocks/",
        {
            "unit": room.pk,
            "start_date": "2026-06-09",
            "end_date": "2026-06-11",
            "reason": "市の行事",
        },
    )
    assert overlap.status_code == 400
    assert "指定した枠の一部はすでに予約または利用停止されています。" in overlap.content.decode()
    assert 'value="市の行事"' in overlap.content.decode()
    assert UnitBlock.objects.count() == 1

    assert client.post(f"/staff/blocks/{block.pk}/remove/").status_code == 302
    assert slot_free(room, USE_DAY, "am")
    assert not Occupancy.objects.exists()
    assert AuditLog.objects.filter(action="unit.unblock", actor=admin).exists()


def test_block__of_a_lodging_unit_takes_the_given_number_of_rooms(client, minato):
    admin = f.staff_user(minato)
    resort = f.FacilityFactory(municipality=minato, kind=Facility.Kind.RESORT)
    washitsu = f.lodging_unit(resort, rooms=4)
    login(client, minato)
    response = client.post(
        "/staff/blocks/",
        {
            "unit": washitsu.pk,
            "start_date": "2026-06-12",
            "end_date": "2026-06-13",
            "rooms": 3,
            "reason": "改修",
        },
    )
    assert response.status_code == 302
    assert Occupancy.objects.filter(block__created_by=admin).count() == 6
    unit = _units_queryset().get(pk=washitsu.pk)
    state = availability_grid(units=[unit], start=dt.date(2026, 6, 12), end=dt.date(2026, 6, 12))
    assert state[(unit.pk, dt.date(2026, 6, 12))].free_rooms == 1


def test_block__facility_staff_cannot_block_or_unblock_another_facility(
    client, ukiha, admin, room, hall, court
):
    theirs = unit_block_create(
        unit=court, by=admin, start_date=USE_DAY, end_date=USE_DAY, reason="体育館の行事"
    )
    facility_staff(ukiha, hall)
    login(client, ukiha, login_id="bunka")
    response = client.post(
        "/staff/blocks/",
        {"unit": court.pk, "start_date": "2026-06-10", "end_date": "2026-06-10", "reason": "x"},
    )
    assert response.status_code == 400
    assert UnitBlock.objects.count() == 1
    assert "体育館の行事" not in client.get("/staff/blocks/").content.decode()
    assert client.post(f"/staff/blocks/{theirs.pk}/remove/").status_code == 404
