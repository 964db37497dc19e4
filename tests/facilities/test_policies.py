"""Cancellation tiers: one schema, sorted and checked in one place."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests import factories as f
from yoyaku.facilities.policies import CancellationTier, cancellation_percent, cancellation_tiers

pytestmark = pytest.mark.django_db

TIERS = [
    {"days_before": 0, "percent": 100},
    {"days_before": 7, "percent": 0},
    {"days_before": 2, "percent": 50},
]


def test_tiers__come_sorted_earliest_applying_first_whatever_the_stored_order():
    assert cancellation_tiers(TIERS) == [
        CancellationTier(7, 0),
        CancellationTier(2, 50),
        CancellationTier(0, 100),
    ]


@pytest.mark.parametrize(
    ("days_before", "percent"), [(10, 0), (7, 0), (6, 50), (2, 50), (1, 100), (0, 100)]
)
def test_percent__of_the_first_tier_the_cancellation_is_at_or_above(days_before, percent):
    assert cancellation_percent(TIERS, days_before) == percent


def test_no_tiers__cost_nothing():
    assert cancellation_percent([], 0) == 0
    assert cancellation_percent(None, 3) == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"days_before": 1},
        [{"days_before": "7", "percent": 0}],
        [{"days_before": 7, "percent": 150}],
        [{"days_before": -1, "percent": 10}],
        [{"days_before": 7, "percent": 10, "extra": 1}],
        [{"days_before": 3, "percent": 10}, {"days_before": 3, "percent": 20}],
        [{"days_before": 7, "percent": 50}, {"days_before": 1, "percent": 20}],
        [{"days_before": True, "percent": 0}],
        ["7:0"],
    ],
)
def test_malformed_tiers__are_refused_with_a_message(bad):
    with pytest.raises(ValidationError):
        cancellation_tiers(bad)


def test_facility_field__validates_its_tiers():
    facility = f.FacilityFactory.build(
        municipality=f.MunicipalityFactory(), cancellation_tiers=[{"days_before": 1}]
    )
    with pytest.raises(ValidationError) as caught:
        facility.full_clean()
    assert "cancellation_tiers" in caught.value.message_dict
