from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f


@pytest.fixture
def city(travel):
    travel(dt.datetime(2026, 6, 1, 10, 0))  # a Monday, within service hours
    return f.MunicipalityFactory(slug="ukiha")
