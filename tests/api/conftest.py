"""The API's tests: demo data at a fixed moment, and a fresh rate-limit count for each test."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache

from yoyaku.demo.data import load_demo

# A Wednesday in spring, away from the year-end closure and from winter-only seasons.
DEMO_MOMENT = dt.datetime(2026, 5, 13, 9, 0)


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo(travel, db):
    travel(DEMO_MOMENT)
    return load_demo()
