"""カレンダー連携: a reservation as .ics, and the private, revocable iCal feed."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
import pytest
from django.db import IntegrityError, transaction

from tests import factories as f
from tests.reservations.helpers import book_slot, book_stay, hall, registrant, resort
from yoyaku.core import clock
from yoyaku.core.models import AuditLog
from yoyaku.reservations import booking
from yoyaku.reservations import calendar as ical
from yoyaku.reservations.models import CalendarFeed

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 16)  # a Tuesday, two weeks after "now" (2026-06-01 10:00)
JST = clock.JST


def parse(body: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(body)


def only_event(body: bytes) -> icalendar.Event:
    (event,) = parse(body).walk("VEVENT")
    return event


def feed_path(feed: CalendarFeed) -> str:
    return f"/calendar/{feed.token}.ics"


@pytest.fixture
def person(ukiha):
    return registrant(ukiha)


@pytest.fixture
def signed_in(client, person):
    client.force_login(person.user)
    return client


# — the .ics of one reservation —


class TestReservationEvent:
    def test_a_slot_booking_runs_from_the_first_start_to_the_last_end_in_tokyo_time(
        self, ukiha, person
    ):
        facility, whole, *_ = hall(ukiha)
        reservation = book_slot(person, whole, DAY, "am", "pm")

        event = only_event(ical.reservations_ics([reservation], name="test"))

        assert event.decoded("dtstart") == dt.datetime(2026, 6, 16, 9, 0, tzinfo=JST)
        assert event.decoded("dtend") == dt.datetime(2026, 6, 16, 17, 0, tzinfo=JST)
        assert event["dtstart"].params["TZID"] == "Asia/Tokyo"
        assert str(event["summary"]) == f"{facility.name} アリーナ全面"
        assert str(event["location"]) == facility.address
        assert str(event["uid"]) == f"reservation-{reservation.pk}@ukiha.yoyaku"
        assert str(event["status"]) == "CONFIRMED"
        assert event["sequence"] == 0
        assert reservation.number in str(event["description"])
        assert "4,600円" in str(event["description"])  # 2,000 + 2,600

    def test_the_calendar_names_its_time_zone_and_product(self, ukiha, person):
        _, whole, *_ = hall(ukiha)
        calendar = parse(ical.reservations_ics([book_slot(person, whole, DAY, "am")], name="x"))
        assert str(calendar["prodid"]) == "-//yoyaku//JA"
        assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Tokyo"]
        assert only_event(calendar.to_ical()).decoded("dtstamp") == clock.now()

    def test_a_stay_is_all_day_until_the_check_out_day(self, ukiha, person):
        _, room_type = resort(ukiha)
        reservation = book_stay(person, room_type, DAY, nights=2)

        event = only_event(ical.reservations_ics([reservation], name="test"))

        assert event.decoded("dtstart") == dt.date(2026, 6, 16)
        assert event.decoded("dtend") == dt.date(2026, 6, 18)  # exclusive: check-out
        assert event["dtstart"].params["VALUE"] == "DATE"
        assert str(event["summary"]) == f"{room_type.facility.name} {room_type.name}"

    def test_awaiting_approval_is_tentative_and_approval_raises_the_sequence(self, ukiha, person):
        _, whole, *_ = hall(ukiha, requires_approval=True)
        reservation = book_slot(person, whole, DAY, "am")
        before = only_event(ical.reservations_ics([reservation], name="x"))

        booking.reservation_approve(reservation=reservation, by=f.staff_user(ukiha, login_id="s"))
        reservation.refresh_from_db()
        after = only_event(ical.reservations_ics([reservation], name="x"))

        assert (str(before["status"]), before["sequence"]) == ("TENTATIVE", 0)
        assert (str(after["status"]), after["sequence"]) == ("CONFIRMED", 1)
        assert after["uid"] == before["uid"]

    def test_a_cancelled_reservation_is_cancelled(self, ukiha, person):
        _, whole, *_ = hall(ukiha)
        reservation = book_slot(person, whole, DAY, "am")
        booking.reservation_cancel(reservation=reservation, by=person.user)
        reservation.refresh_from_db()

        event = only_event(ical.reservations_ics([reservation], name="x"))

        assert str(event["status"]) == "CANCELLED"
        assert event["sequence"] == 1


class TestDownload:
    def test_the_registrant_downloads_their_reservation(self, ukiha, person, signed_in):
        _, whole, *_ = hall(ukiha)
        reservation = book_slot(person, whole, DAY, "am")

        response = signed_in.get(f"/ukiha/reservations/{reservation.pk}/calendar.ics")

        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert response["Content-Disposition"] == (
            f'attachment; filename="reservation-{reservation.number}.ics"'
        )
        event = only_event(response.content)
        assert str(event["uid"]) == f"reservation-{reservation.pk}@ukiha.yoyaku"
        assert str(event["url"]).endswith(f"/ukiha/reservations/{reservation.pk}/")

    def test_another_registrants_reservation_is_not_found(self, ukiha, signed_in):
        _, whole, *_ = hall(ukiha)
        theirs = book_slot(registrant(ukiha), whole, DAY, "am")

        response = signed_in.get(f"/ukiha/reservations/{theirs.pk}/calendar.ics")

        assert response.status_code == 404

    def test_without_log_in_it_asks_to_log_in(self, ukiha, person, client):
        _, whole, *_ = hall(ukiha)
        reservation = book_slot(person, whole, DAY, "am")
        response = client.get(f"/ukiha/reservations/{reservation.pk}/calendar.ics")
        assert response.status_code == 302
        assert response["Location"].startswith("/ukiha/login/")

    def test_the_detail_page_links_to_it(self, ukiha, person, signed_in):
        _, whole, *_ = hall(ukiha)
        reservation = book_slot(person, whole, DAY, "am")
        page = signed_in.get(f"/ukiha/reservations/{reservation.pk}/").content.decode()
        assert f"/ukiha/reservations/{reservation.pk}/calendar.ics" in page


# — the private feed —


def manage(client, action: str):
    return client.post("/ukiha/mypage/calendar/", {"action": action})


class TestFeedManagement:
    def test_create_shows_the_absolute_address_on_my_page_and_is_audited(self, person, signed_in):
        assert "カレンダー連携" in signed_in.get("/ukiha/mypage/").content.decode()

        response = manage(signed_in, "create")

        assert response.status_code == 302
        feed = CalendarFeed.objects.get(registrant=person)
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", feed.token)
        page = signed_in.get("/ukiha/mypage/", secure=True).content.decode()
        assert f'value="https://testserver/calendar/{feed.token}.ics"' in page
        row = AuditLog.objects.get(action="calendar_feed.create")
        assert (row.target_id, row.actor, row.municipality) == (
            str(feed.pk),
            person.user,
            person.municipality,
        )
        assert feed.token not in str(row.data)

    def test_create_twice_keeps_the_address(self, person, signed_in):
        manage(signed_in, "create")
        manage(signed_in, "create")
        assert CalendarFeed.objects.filter(registrant=person).count() == 1
        assert AuditLog.objects.filter(action="calendar_feed.create").count() == 1

    def test_regenerate_replaces_the_address_and_the_old_one_stops(self, ukiha, person, signed_in):
        manage(signed_in, "create")
        old = CalendarFeed.objects.get(registrant=person)

        manage(signed_in, "regenerate")

        new = CalendarFeed.objects.active().get(registrant=person)
        assert new.token != old.token
        signed_in.logout()
        assert signed_in.get(feed_path(new)).status_code == 200
        assert signed_in.get(feed_path(old)).status_code == 404
        row = AuditLog.objects.get(action="calendar_feed.regenerate")
        assert (row.target_id, row.data) == (str(new.pk), {"revoked_feed_id": old.pk})

    def test_revoke_stops_the_feed_and_is_audited(self, person, signed_in):
        manage(signed_in, "create")
        feed = CalendarFeed.objects.get(registrant=person)

        manage(signed_in, "revoke")

        assert signed_in.get(feed_path(feed)).status_code == 404
        assert AuditLog.objects.filter(
            action="calendar_feed.revoke", target_id=str(feed.pk)
        ).exists()
        assert "作成" in signed_in.get("/ukiha/mypage/").content.decode()

    def test_an_unknown_action_is_refused(self, signed_in):
        assert manage(signed_in, "steal").status_code == 400

    def test_only_one_feed_per_registrant_is_active_in_the_database(self, person):
        ical.calendar_feed_create(registrant=person, by=person.user)
        with pytest.raises(IntegrityError), transaction.atomic():
            CalendarFeed.objects.create(registrant=person, token="x" * 43, created_at=clock.now())


class TestFeed:
    def test_the_token_works_without_log_in_and_lists_only_that_registrants_reservations(
        self, ukiha, person, client, django_assert_num_queries
    ):
        _, whole, *_ = hall(ukiha)
        _, room_type = resort(ukiha)
        mine = [
            book_slot(person, whole, DAY, "am"),
            book_stay(person, room_type, DAY + dt.timedelta(days=7)),
        ]
        theirs = book_slot(registrant(ukiha), whole, DAY, "pm")
        feed = ical.calendar_feed_create(registrant=person, by=person.user)

        # Maintenance windows (middleware), the feed, the reservations, their slots and their
        # sequences — whatever the number of reservations.
        with django_assert_num_queries(5):
            response = client.get(feed_path(feed))

        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert response["Cache-Control"] == "private, max-age=300"
        uids = [str(e["uid"]) for e in parse(response.content).walk("VEVENT")]
        assert uids == [f"reservation-{r.pk}@ukiha.yoyaku" for r in mine]
        assert f"reservation-{theirs.pk}@ukiha.yoyaku" not in uids

    def test_a_cancelled_reservation_stays_in_the_feed_as_cancelled(self, ukiha, person, client):
        _, whole, *_ = hall(ukiha)
        kept = book_slot(person, whole, DAY, "am")
        cancelled = book_slot(person, whole, DAY, "pm")
        booking.reservation_cancel(reservation=cancelled, by=person.user)
        feed = ical.calendar_feed_create(registrant=person, by=person.user)

        events = parse(client.get(feed_path(feed)).content).walk("VEVENT")

        status = {str(e["uid"]): str(e["status"]) for e in events}
        assert status == {
            f"reservation-{kept.pk}@ukiha.yoyaku": "CONFIRMED",
            f"reservation-{cancelled.pk}@ukiha.yoyaku": "CANCELLED",
        }

    def test_reservations_older_than_30_days_are_left_out(self, ukiha, person, client, travel):
        _, whole, *_ = hall(ukiha)
        book_slot(person, whole, DAY, "am")
        feed = ical.calendar_feed_create(registrant=person, by=person.user)

        travel(dt.datetime(2026, 7, 16, 10, 0))  # DAY + 30: still listed
        assert len(parse(client.get(feed_path(feed)).content).walk("VEVENT")) == 1
        travel(dt.datetime(2026, 7, 17, 10, 0))
        assert parse(client.get(feed_path(feed)).content).walk("VEVENT") == []

    def test_unknown_and_malformed_tokens_are_not_found(self, client):
        assert client.get("/calendar/" + "A" * 43 + ".ics").status_code == 404
        assert client.get("/calendar/short.ics").status_code == 404

    def test_a_revoked_token_is_not_found(self, person, client):
        feed = ical.calendar_feed_create(registrant=person, by=person.user)
        ical.calendar_feed_revoke(registrant=person, by=person.user)
        assert client.get(feed_path(feed)).status_code == 404

    def test_the_feed_of_a_deactivated_account_is_not_found(self, person, client):
        feed = ical.calendar_feed_create(registrant=person, by=person.user)
        person.user.is_active = False
        person.user.save(update_fields=["is_active"])
        assert client.get(feed_path(feed)).status_code == 404
