"""Report figures against the hand-counted June of tests/reports/fixture.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.reports.fixture import JUNE_END, JUNE_START, build_june
from tests.reports.fixture_lottery import applications_for
from yoyaku.core.permissions import staff_facilities
from yoyaku.reports import selectors
from yoyaku.reports.utilisation import utilisation

pytestmark = pytest.mark.django_db

JUNE = dt.date(2026, 6, 1)


@pytest.fixture
def june(ukiha, travel):
    return build_june(ukiha, travel)


def test_the_fixture_is_what_the_hand_count_assumes(june):
    r = june.reservations
    assert [r[k].status for k in ("R1", "R2", "R4", "R5")] == [
        "confirmed",
        "no_show",
        "cancelled",
        "cancelled",
    ]
    assert r["R3"].fee_total == 500 and r["R4"].cancellation_fee == 500


def test_utilisation__booked_over_bookable_per_unit_facility_and_time_block(june):
    report = utilisation(facilities=staff_facilities(june.admin), start=JUNE_START, end=JUNE_END)

    per_unit = {(row.unit.name, row.month): (row.booked, row.bookable) for row in report.units}
    # 会議室: 23 open days × 3 slots, less the blocked 午前 of the 12th; R1, R2 (no-show), R3.
    assert per_unit[("会議室", JUNE)] == (3, 68)
    # The arena on its two halves: 23 × 3 × 2; the whole's 午前 takes both halves, R7 one.
    assert per_unit[("アリーナ全面", JUNE)] == (3, 138)
    assert len(report.units) == 2  # the halves are counted inside the whole
    assert [(row.booked, row.bookable, row.percent) for row in report.facilities] == [(6, 206, 2.9)]
    assert [(b.label, b.booked, b.bookable) for b in report.blocks] == [
        ("午前", 3, 68),
        ("午後", 2, 69),
        ("夜間", 1, 69),
    ]
    assert report.units[0].percent == 4.4  # 3 / 68 = 4.41 %
    assert (report.total.booked, report.total.bookable) == (6, 206)


def test_utilisation__a_month_split_and_nothing_bookable_gives_no_percentage(june):
    report = utilisation(
        facilities=staff_facilities(june.admin), start=dt.date(2026, 5, 30), end=dt.date(2026, 6, 2)
    )
    rows = {(row.unit.name, row.month): (row.booked, row.bookable) for row in report.units}
    # 5/30 Sat, 5/31 Sun open; 6/1 Monday closed; 6/2 open.
    assert rows[("会議室", dt.date(2026, 5, 1))] == (0, 6)
    assert rows[("会議室", JUNE)] == (0, 3)
    closed = utilisation(
        facilities=staff_facilities(june.admin), start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 1)
    )
    assert closed.units == [] and closed.total.percent is None


def test_utilisation__runs_a_fixed_number_of_queries(june):
    facilities = staff_facilities(june.admin)
    with CaptureQueriesContext(connection) as one_day:
        utilisation(facilities=facilities, start=JUNE_START, end=JUNE_START)
    with CaptureQueriesContext(connection) as a_year:
        utilisation(facilities=facilities, start=JUNE_START, end=dt.date(2027, 5, 31))
    assert len(one_day) == len(a_year) <= 5


def test_money__charges_payments_refunds_and_reductions_per_facility_and_month(june):
    [row] = selectors.money(facilities=staff_facilities(june.admin), start=JUNE_START, end=JUNE_END)
    # R1 1,000 + R2 1,000 + R3 500 + R4's fee taken back and 500 charged + R5 taken back
    # + R6 2,000 + R7 1,000.
    assert row.charged == 6000
    assert row.received == 2000  # R1 and R5 at the counter
    assert row.refunded == 1000  # R5, cancelled by staff
    assert row.net == 1000
    assert (row.reductions, row.reduced_count) == (500, 1)  # R3
    assert row.facility == june.gym and row.month == JUNE


def test_money__a_period_before_the_entries_is_empty(june):
    assert (
        selectors.money(
            facilities=staff_facilities(june.admin),
            start=dt.date(2026, 5, 1),
            end=dt.date(2026, 5, 31),
        )
        == []
    )


def test_cancellations_and_no_shows_per_facility_and_month(june):
    [row] = selectors.cancellations(
        facilities=staff_facilities(june.admin), start=JUNE_START, end=JUNE_END
    )
    assert (row.reservations, row.by_registrant, row.by_staff, row.automatic) == (7, 1, 1, 0)
    assert row.no_shows == 1
    assert row.rate(row.cancelled) == 28.6  # 2 / 7
    assert row.rate(row.no_shows) == 14.3  # 1 / 7


def test_registrations_by_category(june, ukiha):
    [row] = selectors.registrations(municipality=ukiha, start=JUNE_START, end=JUNE_END)
    assert row.month == JUNE
    assert row.by_category == {"resident": 2, "worker": 0, "other": 1}
    assert (row.total, row.groups) == (3, 0)


def test_lottery_demand_counts_applications_per_date_and_the_odds(june, ukiha):
    applications_for(ukiha, june)
    demand = selectors.lottery_demand(
        facilities=staff_facilities(june.admin), start=JUNE_START, end=dt.date(2026, 8, 31)
    )
    figures = [
        (d.unit.name, d.date, d.applications, d.first_choices, d.capacity, d.odds) for d in demand
    ]
    assert figures == [
        ("会議室", dt.date(2026, 7, 15), 4, 3, 3, 1.33),
        ("会議室", dt.date(2026, 7, 16), 2, 1, 3, 0.67),
    ]
    assert selectors.demand_per_date(demand) == [
        (dt.date(2026, 7, 15), 4),
        (dt.date(2026, 7, 16), 2),
    ]


def test_report_selectors_run_a_fixed_number_of_queries(june, ukiha):
    facilities = staff_facilities(june.admin)
    for call, limit in [
        (lambda s, e: selectors.money(facilities=facilities, start=s, end=e), 3),
        (lambda s, e: selectors.cancellations(facilities=facilities, start=s, end=e), 2),
        (lambda s, e: selectors.registrations(municipality=ukiha, start=s, end=e), 1),
        (lambda s, e: selectors.lottery_demand(facilities=facilities, start=s, end=e), 3),
    ]:
        with CaptureQueriesContext(connection) as short:
            call(JUNE_START, JUNE_START)
        with CaptureQueriesContext(connection) as long:
            call(dt.date(2025, 4, 1), dt.date(2027, 3, 31))
        assert len(long) <= limit and len(short) <= limit
