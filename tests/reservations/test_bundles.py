"""予約のまとまり: whole-facility and series bookings in one step, all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from tests import factories as f
from tests.reservations.helpers import book_slot, group, hall, registrant
from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditLog
from yoyaku.facilities.models import Closure
from yoyaku.reservations import bundles, rules, series
from yoyaku.reservations.bundle_permit import bundle_permit_pdf
from yoyaku.reservations.models import Occupancy, Reservation, ReservationBundle

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2026, 6, 16)  # a Tuesday; "now" is Monday 2026-06-01 10:00


def request(person, unit, day, *codes, party=10):
    return rules.BookingRequest(
        registrant=person,
        unit=unit,
        use_date=day,
        slots=[f.slot(unit, c) for c in codes],
        party_size=party,
    )


def whole_building(ukiha):
    """A hall with its arena halves and a green room (控室)."""
    facility, whole, half_a, half_b = hall(ukiha)
    green = f.slot_unit(facility, "控室")
    f.fee(green, 500, slot=f.slot(green, "night"))
    return facility, whole, half_a, half_b, green


class TestWholeBundle:
    def test_several_units_book_as_one_with_one_mail_and_one_total(self, ukiha):
        _facility, _whole, half_a, half_b, green = whole_building(ukiha)
        person = registrant(ukiha)
        mail.outbox.clear()
        bundle = bundles.bundle_book(
            registrant=person,
            requests=[
                request(person, half_a, DAY, "night"),
                request(person, half_b, DAY, "night"),
                request(person, green, DAY, "night"),
            ],
            kind=ReservationBundle.Kind.WHOLE,
            label="市民体育大会",
            by=person.user,
        )
        items = list(bundle.items.order_by("id"))
        assert [i.status for i in items] == [Reservation.Status.CONFIRMED] * 3
        assert bundles.bundle_summary(bundle).total == 1300 + 1300 + 500
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert "3件" in message.subject
        for item in items:
            assert item.number in message.body
        assert "合計：3,100円" in message.body
        assert AuditLog.objects.filter(action="bundle.book").count() == 1

    def test_one_taken_item_books_nothing_and_names_the_item(self, ukiha):
        _facility, _whole, half_a, half_b, green = whole_building(ukiha)
        book_slot(registrant(ukiha), half_b, DAY, "night")
        person = registrant(ukiha)
        mail.outbox.clear()
        before = Occupancy.objects.count()
        with pytest.raises(DomainError) as refused:
            bundles.bundle_book(
                registrant=person,
                requests=[
                    request(person, half_a, DAY, "night"),
                    request(person, half_b, DAY, "night"),
                    request(person, green, DAY, "night"),
                ],
                kind=ReservationBundle.Kind.WHOLE,
                by=person.user,
            )
        assert refused.value.code == "bundle_item_refused"
        assert "アリーナ半面B" in refused.value.message
        assert "すでに予約されています" in refused.value.message
        assert not Reservation.objects.filter(registrant=person).exists()
        assert not ReservationBundle.objects.exists()
        assert Occupancy.objects.count() == before
        assert mail.outbox == []

    def test_an_item_refused_by_a_rule_rolls_back_the_items_before_it(self, ukiha):
        facility, whole, *_ = whole_building(ukiha)
        Closure.objects.create(facility=facility, start_date=DAY, end_date=DAY, reason="施設点検")
        person = registrant(ukiha)
        with pytest.raises(DomainError) as refused:
            bundles.bundle_book(
                registrant=person,
                requests=[
                    request(person, whole, DAY - dt.timedelta(days=1), "am"),
                    request(person, whole, DAY, "am"),
                ],
                kind=ReservationBundle.Kind.SERIES,
                by=person.user,
            )
        assert refused.value.index == 1
        assert "施設点検" in refused.value.message
        assert not Reservation.objects.filter(registrant=person).exists()

    def test_two_items_on_the_same_capacity_are_refused(self, ukiha):
        _facility, whole, half_a, *_ = whole_building(ukiha)
        person = registrant(ukiha)
        with pytest.raises(DomainError) as refused:
            bundles.bundle_book(
                registrant=person,
                requests=[request(person, whole, DAY, "am"), request(person, half_a, DAY, "am")],
                kind=ReservationBundle.Kind.WHOLE,
                by=person.user,
            )
        assert "同じ枠が二度" in refused.value.message
        assert not Reservation.objects.exists()

    def test_the_permit_lists_every_item(self, ukiha):
        _facility, _whole, half_a, half_b, green = whole_building(ukiha)
        person = registrant(ukiha)
        bundle = bundles.bundle_book(
            registrant=person,
            requests=[
                request(person, half_a, DAY, "night"),
                request(person, half_b, DAY, "night"),
                request(person, green, DAY, "night"),
            ],
            kind=ReservationBundle.Kind.WHOLE,
            by=person.user,
        )
        pdf = bundle_permit_pdf(bundle=bundle)
        assert pdf.startswith(b"%PDF")
        text = bundles_permit_text(bundle)
        for item in bundle.items.all():
            assert item.number in text
        assert "アリーナ半面A" in text and "控室" in text


def bundles_permit_text(bundle) -> str:
    """The text the permit draws (the PDF's strings are encoded by the font)."""
    from yoyaku.reservations.bundle_permit import permit_lines

    return "\n".join(permit_lines(bundle))


class TestLimit:
    def test_a_series_counts_once_toward_the_limit(self, ukiha):
        facility, whole, *_ = whole_building(ukiha)
        facility.max_active_reservations = 2
        facility.save()
        club = group(ukiha)
        spec = series.SeriesSpec(
            registrant=club,
            unit=whole,
            weekdays=[1],
            slots=[f.slot(whole, "night")],
            start=dt.date(2026, 6, 2),
            end=dt.date(2026, 7, 28),
            party_size=12,
        )
        bundle = series.series_book(spec=spec, by=club.user)
        assert bundle.items.count() == 9
        # One more booking is allowed (the series is one), the next is not.
        book_slot(club, whole, DAY, "am")
        with pytest.raises(DomainError) as refused:
            book_slot(club, whole, DAY, "pm")
        assert refused.value.code == "too_many_reservations"


@pytest.fixture
def season(ukiha):
    """Tuesdays and Thursdays 夜間 from 4 June to 7 July, with one of each conflict."""
    from yoyaku.lottery import services as lottery

    facility, whole, *_ = whole_building(ukiha)
    facility.opens_months_before = 1  # 2 and 7 July open for booking after today
    facility.save()
    Closure.objects.create(
        facility=facility,
        start_date=dt.date(2026, 6, 23),
        end_date=dt.date(2026, 6, 23),
        reason="施設点検",
    )
    book_slot(registrant(ukiha), whole, DAY, "night")
    lottery.round_create(
        municipality=ukiha,
        by=None,
        units=[whole],
        name="6月30日の抽選",
        use_from=dt.date(2026, 6, 30),
        use_until=dt.date(2026, 6, 30),
        applications_open_at=clock.at(dt.date(2026, 6, 1), dt.time(8)),
        applications_close_at=clock.at(dt.date(2026, 6, 10), dt.time(23, 59)),
        draw_at=clock.at(dt.date(2026, 6, 12), dt.time(10)),
        confirm_deadline=clock.at(dt.date(2026, 6, 15), dt.time(23, 59)),
        first_come_opens_at=clock.at(dt.date(2026, 6, 20), dt.time(9)),
    )
    club = group(ukiha)
    spec = series.SeriesSpec(
        registrant=club,
        unit=whole,
        weekdays=[1, 3],
        slots=[f.slot(whole, "night")],
        start=dt.date(2026, 6, 4),
        end=dt.date(2026, 7, 7),
        party_size=12,
    )
    return club, whole, spec


class TestSeries:
    def test_the_preview_marks_every_conflict(self, season):
        _club, _whole, spec = season
        preview = series.series_preview(spec)
        states = {d.day.isoformat(): d.state for d in preview.days}
        assert states == {
            "2026-06-04": "free",
            "2026-06-09": "free",
            "2026-06-11": "free",
            "2026-06-16": "taken",
            "2026-06-18": "free",
            "2026-06-23": "closed",
            "2026-06-25": "free",
            "2026-06-30": "lottery",
            "2026-07-02": "outside",
            "2026-07-07": "outside",
        }
        assert preview.problems == []
        assert preview.total == 5 * 2600

    def test_booking_the_free_dates_makes_one_bundle_and_one_mail(self, season):
        club, _whole, spec = season
        mail.outbox.clear()
        bundle = series.series_book(spec=spec, by=club.user)
        days = sorted(r.use_date.isoformat() for r in bundle.items.all())
        assert days == ["2026-06-04", "2026-06-09", "2026-06-11", "2026-06-18", "2026-06-25"]
        assert bundle.kind == "series"
        assert len(mail.outbox) == 1
        assert "毎週火・木曜 夜間" in mail.outbox[0].body

    def test_a_date_taken_after_the_preview_books_nothing_and_names_it(self, season, ukiha):
        club, whole, spec = season
        seen = [d.day for d in series.series_preview(spec).free_days]
        book_slot(registrant(ukiha), whole, dt.date(2026, 6, 18), "night")
        with pytest.raises(DomainError) as refused:
            series.series_book(spec=spec, by=club.user, dates=seen)
        assert "2026年6月18日" in refused.value.message
        assert not Reservation.objects.filter(registrant=club).exists()

    def test_only_groups_book_a_series(self, season, ukiha):
        _club, _whole, spec = season
        spec.registrant = registrant(ukiha)
        with pytest.raises(DomainError) as refused:
            series.series_preview(spec)
        assert refused.value.code == "series_groups_only"

    def test_cancel_the_whole_series_in_one_mail_fees_by_the_tiers(self, season, travel):
        club, _whole, spec = season
        bundle = series.series_book(spec=spec, by=club.user)
        travel(dt.datetime(2026, 6, 3, 12, 0))  # after the free undo window
        mail.outbox.clear()
        terms = bundles.bundle_cancel_terms(bundle)
        # 4 June is tomorrow (100%), 9 June in six days (50%), the rest a week ahead (free).
        assert [t.percent for _i, t in terms.items] == [100, 50, 0, 0, 0]
        result = bundles.bundle_cancel(bundle=bundle, by=club.user)
        assert result.total == 2600 + 1300
        assert not bundle.items.filter(status__in=Reservation.HOLDS_CAPACITY).exists()
        assert len(mail.outbox) == 1
        assert "取消料の合計：3,900円" in mail.outbox[0].body
        assert Occupancy.objects.filter(reservation__bundle=bundle).count() == 0

    def test_cancel_one_date_keeps_the_others(self, season):
        from yoyaku.reservations import booking

        club, _whole, spec = season
        bundle = series.series_book(spec=spec, by=club.user)
        item = bundle.items.get(use_date=dt.date(2026, 6, 18))
        booking.reservation_cancel(reservation=item, by=club.user)
        assert bundles.bundle_summary(bundle).active == 4

    def test_change_one_date_moves_it_when_free(self, season):
        club, _whole, spec = season
        bundle = series.series_book(spec=spec, by=club.user)
        item = bundle.items.get(use_date=dt.date(2026, 6, 18))
        with pytest.raises(DomainError) as refused:
            series.bundle_item_change_date(
                reservation=item, use_date=dt.date(2026, 6, 16), by=club.user
            )
        assert refused.value.code == "slot_taken"
        moved, difference = series.bundle_item_change_date(
            reservation=item, use_date=dt.date(2026, 6, 19), by=club.user
        )
        assert moved.use_date == dt.date(2026, 6, 19) and difference == 0
        assert moved.bundle_id == bundle.pk


class TestSeriesChange:
    def test_change_every_upcoming_date_to_another_slot_in_one_mail(self, season, client):
        club, whole, spec = season
        bundle = series.series_book(spec=spec, by=club.user)
        mail.outbox.clear()
        done = series.series_change(
            bundle=bundle, slots=[f.slot(whole, "am")], party_size=None, by=club.user
        )
        assert len(done) == 5 and sum(r.difference for r in done) == 5 * (2000 - 2600)
        for item in bundle.items.all():
            assert [s.code for s in item.slots.all()] == ["am"]
            assert item.fee_total == 2000
        # The evening is free again, the morning taken, on every date of the series.
        atoms = set(
            Occupancy.objects.filter(reservation__bundle=bundle).values_list("atom", flat=True)
        )
        assert atoms == {f.slot(whole, "am").start_minute}
        assert len(mail.outbox) == 1 and "まとめて変更しました" in mail.outbox[0].subject
        assert AuditLog.objects.filter(action="bundle.change").count() == 1

    def test_one_date_that_cannot_take_the_change_changes_nothing_and_is_named(self, season, ukiha):
        club, whole, spec = season
        bundle = series.series_book(spec=spec, by=club.user)
        book_slot(registrant(ukiha), whole, dt.date(2026, 6, 18), "am")
        rows = series.series_change_preview(
            bundle=bundle, slots=[f.slot(whole, "am")], party_size=None
        )
        assert [r.item.use_date for r in rows if r.problems] == [dt.date(2026, 6, 18)]
        with pytest.raises(DomainError) as refused:
            series.series_change(
                bundle=bundle, slots=[f.slot(whole, "am")], party_size=None, by=club.user
            )
        assert "2026年6月18日" in refused.value.message
        assert {s.code for i in bundle.items.all() for s in i.slots.all()} == {"night"}

    def test_the_group_changes_the_party_of_the_whole_series_on_its_page(self, season, client):
        club, whole, spec = season
        bundle = series.series_book(spec=spec, by=club.user)
        client.force_login(club.user)
        page = client.get(f"/ukiha/bundles/{bundle.pk}/").content.decode()
        assert "これからの予約をまとめて変更" in page
        night = f.slot(whole, "night").pk
        url = f"/ukiha/bundles/{bundle.pk}/change/"
        preview = client.post(url, {"slots": [night], "party_size": "20", "action": "preview"})
        assert preview.status_code == 200 and "変更できます" in preview.content.decode()
        done = client.post(url, {"slots": [night], "party_size": "20", "action": "apply"})
        assert done.status_code == 302
        assert set(bundle.items.values_list("party_size", flat=True)) == {20}
        bad = client.post(url, {"slots": ["999999"], "party_size": "20", "action": "preview"})
        assert bad.status_code == 400 and "時間区分" in bad.content.decode()


class TestStaffAllocation:
    def test_staff_allocate_a_season_before_the_window_opens(self, season, ukiha):
        _club, _whole, spec = season
        staff = f.staff_user(ukiha, login_id="alloc")
        preview = series.series_preview(spec, by_staff=True, priority=True)
        states = {d.day.isoformat(): d.state for d in preview.days}
        assert states["2026-07-02"] == "free" and states["2026-07-07"] == "free"
        bundle = series.series_book(
            spec=spec, by=staff, channel=Reservation.Channel.COUNTER, priority=True
        )
        assert bundle.priority and bundle.items.count() == 7
        assert {r.channel for r in bundle.items.all()} == {"counter"}
        row = AuditLog.objects.get(action="bundle.book")
        assert row.actor == staff and row.data["priority"] is True

    def test_staff_cancel_a_whole_bundle_free_with_a_reason(self, season, ukiha, travel):
        club, _whole, spec = season
        bundle = series.series_book(spec=spec, by=club.user)
        staff = f.staff_user(ukiha, login_id="cancel")
        travel(dt.datetime(2026, 6, 3, 12, 0))
        with pytest.raises(DomainError):
            bundles.bundle_cancel(bundle=bundle, by=staff, by_staff=True, reason=" ")
        result = bundles.bundle_cancel(
            bundle=bundle, by=staff, by_staff=True, reason="体育館の改修工事のため"
        )
        assert result.total == 0
        assert (
            AuditLog.objects.get(action="bundle.cancel").data["reason"] == "体育館の改修工事のため"
        )
