"""受付開始直後の公平な受付: the opening hour, the fair window's tickets served in a recorded
random order, the waiting page, exactly-once processing, and the attempt limit."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import replace

import pytest
from django.test import Client

from tests import factories as f
from tests.reservations.helpers import book_slot, hall, registrant
from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.reservations import opening, rules
from yoyaku.reservations.models import (
    FirstMinuteOpening,
    FirstMinuteTicket,
    PublicLogEntry,
    Reservation,
)

pytestmark = pytest.mark.django_db

USE_DATE = dt.date(2026, 7, 15)
OPENS = dt.datetime(2026, 6, 15, 9, 0)  # one month before, at the facility's 9:00


@pytest.fixture
def arena(ukiha):
    facility, whole, half_a, _ = hall(
        ukiha, opens_months_before=1, opening_hour=9, fair_window_seconds=60
    )
    return facility, whole, half_a


def _form(unit, code="am"):
    return (
        f"/ukiha/reserve/{unit.pk}/",
        {
            "action": "book",
            "date": USE_DATE.isoformat(),
            "slots": [str(f.slot(unit, code).pk)],
            "party_size": "10",
        },
    )


def _client(person) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


def _request(person, unit, code="am"):
    return rules.BookingRequest(
        registrant=person,
        unit=unit,
        use_date=USE_DATE,
        slots=[f.slot(unit, code)],
        party_size=10,
    )


# — the opening hour —


def test_a_use_date_opens_at_the_facilitys_hour_on_its_opening_day(travel, arena):
    _, whole, _ = arena
    person = registrant(whole.facility.municipality)
    whole.facility.fair_window_seconds = 0
    whole.facility.save()
    travel(OPENS - dt.timedelta(minutes=1))
    response = _client(person).post(*_form(whole))
    assert response.status_code == 409
    assert "この日の予約の受付は2026年6月15日（月） 9:00からです。" in response.content.decode()
    travel(OPENS)
    assert _client(person).post(*_form(whole)).status_code == 302


def test_the_booking_form_tells_the_opening_hour_and_the_fair_window(travel, arena):
    _, whole, _ = arena
    travel(OPENS - dt.timedelta(days=1))
    page = _client(registrant(whole.facility.municipality)).get(
        f"/ukiha/reserve/{whole.pk}/?date={USE_DATE.isoformat()}"
    )
    body = page.content.decode()
    assert "受付開始日は9時から受け付けます。" in body
    assert "受付開始から60秒間の申込みは、締切後に無作為の順で処理します" in body


def test_without_an_opening_hour_a_date_opens_at_midnight_as_before(travel, ukiha):
    _, whole, _, _ = hall(ukiha, opens_months_before=1)
    travel(dt.datetime(2026, 6, 15, 0, 0, 5))
    request = _request(registrant(ukiha), whole)
    assert not [p for p in rules.check(request) if p.code == "window_not_open"]
    travel(dt.datetime(2026, 6, 14, 23, 59))
    assert "window_not_open" in [p.code for p in rules.check(request)]


# — the fair window —


def test_in_the_window_a_request_gets_the_waiting_page_that_refreshes_itself(travel, arena):
    _, whole, _ = arena
    person = registrant(whole.facility.municipality)
    client = _client(person)
    travel(OPENS + dt.timedelta(seconds=2))
    response = client.post(*_form(whole))
    assert response.status_code == 302
    ticket = FirstMinuteTicket.objects.get()
    assert response["Location"] == f"/ukiha/reserve/queue/{ticket.pk}/"
    assert not Reservation.objects.exists()
    page = client.get(response["Location"])
    body = page.content.decode()
    assert "抽選待ち" in body
    assert "受付開始直後の申込みは、締切後に無作為の順で処理します" in body
    assert '<meta http-equiv="refresh" content="3">' in body
    assert "<script" not in body
    stranger = _client(registrant(whole.facility.municipality))
    assert stranger.get(response["Location"]).status_code == 404

    travel(OPENS + dt.timedelta(seconds=61))
    done = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in done
    assert "予約の申込みを受け付けました" in done
    reservation = Reservation.objects.get()
    assert f"/ukiha/reservations/{reservation.pk}/" in done
    assert reservation.registrant == person


def test_many_requests_of_one_person_make_one_ticket_holding_the_latest_choice(travel, arena):
    _, whole, _ = arena
    person = registrant(whole.facility.municipality)
    travel(OPENS + dt.timedelta(seconds=1))
    for _ in range(5):
        opening.ticket_submit(
            request=_request(person, whole, "am"), moment=clock.at(OPENS.date(), OPENS.time())
        )
    opening.ticket_submit(
        request=_request(person, whole, "pm"), moment=clock.at(OPENS.date(), OPENS.time())
    )
    ticket = FirstMinuteTicket.objects.get()
    assert ticket.requests == 6
    assert ticket.choice["slots"] == [f.slot(whole, "pm").pk]
    page = _client(person).get(f"/ukiha/reserve/queue/{ticket.pk}/").content.decode()
    assert "最新の申込み内容に置き換えました（6回目の申込み）" in page


def test_tickets_are_served_in_the_recorded_random_order_and_logged(travel, arena):
    facility, whole, _ = arena
    municipality = facility.municipality
    people = [registrant(municipality) for _ in range(5)]
    travel(OPENS + dt.timedelta(seconds=5))
    for person in people:
        assert isinstance(
            opening.booking_submit(request=_request(person, whole), by=person.user),
            FirstMinuteTicket,
        )
    the_opening = FirstMinuteOpening.objects.get()
    travel(OPENS + dt.timedelta(seconds=60))
    opening.opening_process(opening_id=the_opening.pk)
    the_opening.refresh_from_db()

    seed = the_opening.seed
    expected_seed = hmac.new(
        hashlib.sha256(b"yoyaku.reservations.opening.seed" + _secret()).digest(),
        f"{facility.pk}|2026-06-15T09:00:00+09:00".encode(),
        hashlib.sha256,
    ).hexdigest()
    assert seed == expected_seed

    rows = list(
        PublicLogEntry.objects.filter(kind=PublicLogEntry.Kind.FIRST_MINUTE_ORDER).order_by(
            "detail__position"
        )
    )
    assert [r.detail["position"] for r in rows] == [1, 2, 3, 4, 5]
    assert {r.detail["seed"] for r in rows} == {seed}
    # Anyone re-derives the order from the published seed and pseudonyms alone.
    pseudonyms = [r.subject for r in rows]
    rederived = sorted(
        pseudonyms,
        key=lambda p: hmac.new(bytes.fromhex(seed), p.encode(), hashlib.sha256).hexdigest(),
    )
    assert pseudonyms == rederived
    # The first in that order got the slot, the others were told it was taken.
    assert [r.detail["result"] for r in rows] == ["booked"] + ["slot_taken"] * 4
    winner = FirstMinuteTicket.objects.get(position=1)
    assert Reservation.objects.get().registrant_id == winner.registrant_id
    loser = FirstMinuteTicket.objects.get(position=2)
    page = _client(loser.registrant).get(f"/ukiha/reserve/queue/{loser.pk}/").content.decode()
    assert "処理の順番は2番目でした。予約できませんでした。" in page
    assert "この枠はすでに予約されています" in page
    assert seed in page
    # The facility's public log shows the order, the results and the seed to anyone.
    log = Client().get(f"/ukiha/facilities/{facility.slug}/log/").content.decode()
    assert "受付開始直後の抽選順：5件中1番目：予約" in log
    assert "受付開始直後の抽選順：5件中2番目：予約できず" in log
    assert seed in log and winner.pseudonym in log


def _secret() -> bytes:
    from django.conf import settings

    return settings.SECRET_KEY.encode()


def test_a_hundred_requests_give_no_better_chance_than_one():
    """With one ticket each, whoever sent 100 requests and whoever sent 1 are first equally
    often over 200 deterministic seeds (the order depends on the seed and pseudonym only)."""
    firsts = 0
    base = dt.datetime(2026, 6, 15, 9, 0, tzinfo=clock.JST)
    for n in range(200):
        seed = opening.opening_seed(7, base + dt.timedelta(days=n))
        if opening.ticket_order(seed, ["a1b2c3d4e5", "0f9e8d7c6b"])[0] == "0f9e8d7c6b":
            firsts += 1
    assert 70 <= firsts <= 130


def test_a_hundred_requests_make_one_ticket_so_one_slot_is_a_fair_coin(travel, arena):
    facility, whole, _ = arena
    eager, calm = registrant(facility.municipality), registrant(facility.municipality)
    travel(OPENS + dt.timedelta(seconds=3))
    moment = clock.at(OPENS.date(), OPENS.time())
    for _ in range(100):
        opening.ticket_submit(request=_request(eager, whole), moment=moment)
    opening.ticket_submit(request=_request(calm, whole), moment=moment)
    assert FirstMinuteTicket.objects.count() == 2
    travel(OPENS + dt.timedelta(seconds=61))
    opening.opening_process(opening_id=FirstMinuteOpening.objects.get().pk)
    assert Reservation.objects.count() == 1
    assert FirstMinuteTicket.objects.filter(result_code="booked").count() == 1


def test_processing_happens_once_whether_task_or_page_comes_first(travel, arena):
    facility, whole, _ = arena
    people = [registrant(facility.municipality) for _ in range(3)]
    travel(OPENS + dt.timedelta(seconds=5))
    tickets = [opening.booking_submit(request=_request(p, whole), by=p.user) for p in people]
    the_opening = FirstMinuteOpening.objects.get()
    travel(OPENS + dt.timedelta(seconds=10))
    assert opening.opening_process(opening_id=the_opening.pk).state == "queueing"  # too early
    travel(OPENS + dt.timedelta(seconds=60))
    from yoyaku.reservations.tasks import first_minute_process

    assert first_minute_process.call(the_opening.pk) == "processed"
    for person, ticket in zip(people, tickets, strict=True):
        assert _client(person).get(f"/ukiha/reserve/queue/{ticket.pk}/").status_code == 200
    opening.opening_process(opening_id=the_opening.pk)
    assert Reservation.objects.count() == 1
    assert PublicLogEntry.objects.filter(kind="first_minute_order").count() == 3


def test_the_first_request_enqueues_the_processing_at_the_windows_end_once(
    travel, arena, django_capture_on_commit_callbacks, settings
):
    from django_tasks_db.models import DBTaskResult

    # The production backend, which runs a task after its run_after (the tests' immediate
    # backend cannot wait: there, the waiting page alone triggers the processing).
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}
    facility, whole, _ = arena
    first, second = registrant(facility.municipality), registrant(facility.municipality)
    travel(OPENS + dt.timedelta(seconds=5))
    with django_capture_on_commit_callbacks(execute=True):
        opening.booking_submit(request=_request(first, whole), by=first.user)
        opening.booking_submit(request=_request(second, whole), by=second.user)
    queued = DBTaskResult.objects.get(task_path=opening.PROCESS_TASK)
    assert queued.run_after == FirstMinuteOpening.objects.get().closes_at
    assert queued.run_after == clock.at(OPENS.date(), dt.time(9, 1))


def test_after_the_window_booking_is_first_come_as_before(travel, arena):
    _, whole, _ = arena
    person = registrant(whole.facility.municipality)
    travel(OPENS + dt.timedelta(seconds=60))
    response = _client(person).post(*_form(whole))
    assert response.status_code == 302
    assert response["Location"].startswith("/ukiha/reservations/")
    assert not FirstMinuteTicket.objects.exists()


def test_with_the_window_off_the_first_second_is_first_come(travel, arena):
    _, whole, _ = arena
    whole.facility.fair_window_seconds = 0
    whole.facility.save()
    person = registrant(whole.facility.municipality)
    travel(OPENS)
    assert _client(person).post(*_form(whole)).status_code == 302
    assert Reservation.objects.count() == 1
    assert not FirstMinuteTicket.objects.exists()


def test_the_api_queues_a_request_in_the_window_with_202(travel, arena):
    from tests.api.test_me import api_for

    _, whole, _ = arena
    person = registrant(whole.facility.municipality)
    travel(OPENS + dt.timedelta(seconds=5))
    body = {
        "unit_id": whole.pk,
        "use_date": USE_DATE.isoformat(),
        "slots": ["am"],
        "party_size": 10,
    }
    answer = api_for(person).post("/me/reservations", body)
    assert answer.status_code == 202, answer.content
    assert answer.json()["code"] == "first_minute_queued"
    assert FirstMinuteTicket.objects.filter(registrant=person).count() == 1


# — the attempt limit —


def test_the_eleventh_attempt_in_a_minute_gets_429_saying_when_to_try_again(travel, ukiha):
    _, whole, half_a, _ = hall(ukiha)
    person = registrant(ukiha)
    book_slot(registrant(ukiha), half_a, dt.date(2026, 6, 16), "am")
    client = _client(person)
    travel(dt.datetime(2026, 6, 1, 10, 0, 15))
    url = f"/ukiha/reserve/{whole.pk}/"
    data = {
        "action": "book",
        "date": "2026-06-16",
        "slots": [str(f.slot(whole, "am").pk)],
        "party_size": "10",
    }
    for _ in range(10):
        assert client.post(url, data).status_code == 409  # taken: refused, but counted
    response = client.post(url, data)
    assert response.status_code == 429
    assert response["Retry-After"] == "45"
    body = response.content.decode()
    assert "予約の申込みが短い時間に多すぎます。45秒後に、もう一度お申し込みください。" in body
    assert "10:01:00以降に、もう一度お申し込みください。" in body
    # Another person is not affected; the next minute the person may try again.
    assert _client(registrant(ukiha)).post(url, data).status_code == 409
    travel(dt.datetime(2026, 6, 1, 10, 1, 0))
    assert client.post(url, data).status_code == 409


def test_staff_set_the_opening_hour_and_the_window_in_the_facility_form(client, ukiha):
    from tests.staff.test_console import login
    from tests.staff.test_setup_console import facility_post
    from yoyaku.core.models import AuditLog
    from yoyaku.facilities.models import Facility

    f.staff_user(ukiha)
    login(client, ukiha)
    bad = client.post(
        "/staff/setup/facilities/new/", facility_post(opening_hour="25", fair_window_seconds="60")
    ).content.decode()
    assert re.search(r'id="id_opening_hour_error">[^<]*0から23', bad)
    assert 'value="60"' in bad  # what was typed is kept
    assert not Facility.objects.exists()
    response = client.post(
        "/staff/setup/facilities/new/", facility_post(opening_hour="9", fair_window_seconds="60")
    )
    assert response.status_code == 302
    facility = Facility.objects.get(slug="chuo-kominkan")
    assert (facility.opening_hour, facility.fair_window_seconds) == (9, 60)
    client.post(
        f"/staff/setup/facilities/{facility.pk}/",
        facility_post(opening_hour="8", fair_window_seconds="0"),
    )
    facility.refresh_from_db()
    assert (facility.opening_hour, facility.fair_window_seconds) == (8, 0)
    row = AuditLog.objects.filter(action="facility.update").latest("id")
    assert row.data["changes"]["fair_window_seconds"] == [60, 0]


def test_a_lottery_rounds_first_come_opening_is_an_opening_moment(travel, ukiha):
    from tests.lottery.test_rounds import make_round

    _, whole, _, _ = hall(ukiha, opens_months_before=3, fair_window_seconds=60)
    make_round(ukiha, [whole])  # first-come opens 2026-07-01 9:00
    person = registrant(ukiha)
    request = rules.BookingRequest(
        registrant=person,
        unit=whole,
        use_date=dt.date(2026, 8, 5),
        slots=[f.slot(whole, "am")],
        party_size=10,
    )
    travel(dt.datetime(2026, 7, 1, 9, 0, 30))
    ticket = opening.booking_submit(request=request, by=person.user)
    assert isinstance(ticket, FirstMinuteTicket)
    assert ticket.opening.opens_at == clock.at(dt.date(2026, 7, 1), dt.time(9))
    # Right after the window, a first-come request comes after the tickets: the ticket,
    # served first, has the slot; the late request is told it is taken.
    other = registrant(ukiha)
    travel(dt.datetime(2026, 7, 1, 9, 1, 0))
    with pytest.raises(DomainError) as refused:
        opening.booking_submit(request=replace(request, registrant=other), by=other.user)
    assert refused.value.code == "slot_taken"
    assert Reservation.objects.get().registrant == person
    # Later, with nothing queued, first come first served as usual.
    travel(dt.datetime(2026, 7, 1, 9, 30))
    pm = replace(request, registrant=other, slots=[f.slot(whole, "pm")])
    assert isinstance(opening.booking_submit(request=pm, by=other.user), Reservation)


def test_the_daily_job_serves_an_opening_whose_task_was_lost(travel, arena):
    from yoyaku.reservations.tasks import reservations_daily

    facility, whole, _ = arena
    person = registrant(facility.municipality)
    travel(OPENS + dt.timedelta(seconds=5))
    opening.booking_submit(request=_request(person, whole), by=person.user)
    travel(OPENS + dt.timedelta(hours=1))
    reservations_daily.call()
    assert FirstMinuteOpening.objects.get().state == FirstMinuteOpening.State.PROCESSED
    assert Reservation.objects.get().registrant == person
