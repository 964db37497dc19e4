from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }


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
