"""Where the API's rate limits count: Django's cache, Redis when ``REDIS_URL`` is set, so all
the site's processes share one count."""

from __future__ import annotations

import importlib
import uuid

import pytest
import redis
from django.core.cache.backends.redis import RedisCache
from django.test import RequestFactory

import yoyaku.settings
from yoyaku.api.http import AddressThrottle

LOCAL_REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def reloaded_settings(monkeypatch):
    """The settings module read again under the environment the test sets, then restored."""

    def read():
        return importlib.reload(yoyaku.settings)

    yield read
    monkeypatch.undo()
    importlib.reload(yoyaku.settings)


def test_with_redis_url_set__the_settings_use_a_redis_cache(monkeypatch, reloaded_settings):
    monkeypatch.setenv("REDIS_URL", LOCAL_REDIS)
    default = reloaded_settings().CACHES["default"]
    assert default["BACKEND"] == "django_redis.cache.RedisCache"
    assert default["LOCATION"] == LOCAL_REDIS


def test_without_redis_url__the_processes_of_one_machine_share_files(
    monkeypatch, reloaded_settings
):
    monkeypatch.delenv("REDIS_URL", raising=False)
    settings = reloaded_settings()
    default = settings.CACHES["default"]
    assert default["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert default["LOCATION"] == str(settings.DATA_DIR / "cache")


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(LOCAL_REDIS, socket_connect_timeout=0.5).ping()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis answers on 127.0.0.1:6379")


def test_through_redis__two_processes_caches_share_one_count_per_address(settings):
    _redis_or_skip()
    settings.YOYAKU_API_RATE = "1/min"
    # Two cache objects, each with its own client and connections, as two processes have;
    # a prefix of this test's own keeps others' counts (and a parallel run) apart.
    prefix = f"yoyaku-test-{uuid.uuid4().hex}"
    first_process, second_process = (
        RedisCache(LOCAL_REDIS, {"KEY_PREFIX": prefix}) for _ in range(2)
    )
    assert first_process._cache is not second_process._cache
    request = RequestFactory().get("/api/v1/municipalities", REMOTE_ADDR="203.0.113.7")
    here, there = AddressThrottle(), AddressThrottle()
    here.cache, there.cache = first_process, second_process
    try:
        assert here.allow_request(request)
        assert not there.allow_request(request)
        assert there.wait() > 0
    finally:
        first_process.delete(here.get_cache_key(request))
        first_process.close()
        second_process.close()
