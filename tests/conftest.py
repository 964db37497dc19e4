from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from yoyaku.core.models import Municipality

NOW = dt.datetime(2026, 6, 1, 10, 0)


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the versioned caches (yoyaku/core/cache.py) key
    values by row ids, which SQLite hands out again after a test's rollback."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def travel():
    """travel(datetime) freezes the system clock; naive values are Japan time."""
    from yoyaku.core import clock

    stack = []

    def _travel(moment: dt.datetime):
        ctx = clock.travel(moment)
        ctx.__enter__()
        stack.append(ctx)

    yield _travel
    while stack:
        stack.pop().__exit__(None, None, None)


@pytest.fixture
def ukiha(travel):
    travel(NOW)
    return f.MunicipalityFactory(
        slug="ukiha",
        name="うきは市",
        system_name="うきは市公共施設予約システム",
        registration_mode=Municipality.RegistrationMode.REVIEW_BEFORE_BOOKING,
        resident_label="うきは市内在住の方",
        worker_label="うきは市内在勤の方",
        example_name_kana="ウキハ　タロウ",
        example_name="浮羽　太郎",
        example_phone="0943-12-3456",
    )


@pytest.fixture
def minato(travel):
    travel(NOW)
    return f.MunicipalityFactory(
        slug="minato",
        name="港区",
        system_name="港区区民保養施設予約システム",
        registration_mode=Municipality.RegistrationMode.BOOK_BEFORE_REVIEW,
        resident_label="港区内在住の方",
        worker_label="港区内在勤の方",
        allows_groups=False,
        example_name_kana="ミナト　タロウ",
        example_name="港　太郎",
        example_phone="03-1234-5678",
    )
