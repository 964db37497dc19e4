"""The API's tests: demo data at a fixed moment, and a fresh rate-limit count for each test."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from yoyaku.demo.data import load_demo
from yoyaku.wsgi import application

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


@pytest.fixture
def wsgi_application():
    """The site's WSGI application called in-process, as Django's test client does it: the
    handler must not close the test's database connection at the end of each request (on
    PostgreSQL that would end the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
