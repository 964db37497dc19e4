"""Test settings: the real settings, read with a test environment (DATABASE_URL is kept)."""

import os

os.environ.setdefault("YOYAKU_ALLOW_INSECURE_KEY", "1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("YOYAKU_DEMO", "1")
# One connection per request, as before production kept them: the live server's threads share
# SQLite's in-memory database.
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "0")
os.environ["TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"

from yoyaku.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Local memory whatever REDIS_URL says: the tests clear the cache, which must never empty a
# shared Redis.
CACHES = cache_settings("")  # noqa: F405
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405

# A replica alias that is the test database itself (a test mirror). The router is off unless
# a test turns it on (tests/core/test_db_router.py): reads of other tests stay on "default".
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
DATABASE_ROUTERS = []

# WhiteNoise wants STATIC_ROOT to exist; tests serve static files through the finders.
import tempfile  # noqa: E402

STATIC_ROOT = tempfile.mkdtemp(prefix="yoyaku-static-")
WHITENOISE_USE_FINDERS = True
