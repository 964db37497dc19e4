"""Settings for yoyaku: one file, every value from the environment.

The README lists each variable. Without any of them the project runs as an embedded,
development-only site on SQLite in ``var/``; production sets at least ``SECRET_KEY``,
``ALLOWED_HOSTS`` and ``DATABASE_URL``.
"""

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("YOYAKU_DATA_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not env_bool("YOYAKU_ALLOW_INSECURE_KEY"):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it, or set DEBUG=1 for a local development server."
        )
    SECRET_KEY = "insecure-development-key-only-for-local-use-never-in-production"

# The lottery's seeds are derived from this key and each round's public nonce (see
# yoyaku/lottery/algorithm.py): kept out of the database the applications are entered into.
# Without it a production site refuses to create or draw a round.
LOTTERY_SEED_KEY = os.environ.get("LOTTERY_SEED_KEY", "")
if not LOTTERY_SEED_KEY and (DEBUG or env_bool("YOYAKU_ALLOW_INSECURE_KEY")):
    LOTTERY_SEED_KEY = "insecure-development-lottery-key-only-for-local-use"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "pgtrigger",
    "yoyaku.core",
    "yoyaku.facilities",
    "yoyaku.registrants",
    "yoyaku.reservations",
    "yoyaku.lottery",
    "yoyaku.integrity",
    "yoyaku.waitlist",
    "yoyaku.payments",
    "yoyaku.notifications",
    "yoyaku.security",
    "yoyaku.scheduling",
    "yoyaku.citizen",
    "yoyaku.staff",
    # The API's documentation page and its Swagger UI files, served from this site.
    "ninja",
]
# Demo data (load_demo, demo_totp): installed for development and tests only.
if DEBUG or env_bool("YOYAKU_DEMO"):
    INSTALLED_APPS.append("yoyaku.demo")
# Reverse proxies in front of the site that append to X-Forwarded-For (0: none, use the
# connection's address). Log-in throttling counts by the address this yields.
YOYAKU_TRUSTED_PROXY_COUNT = int(os.environ.get("YOYAKU_TRUSTED_PROXY_COUNT", "0"))
# The networks those proxies connect from (comma-separated CIDRs). X-Forwarded-For is read only
# when the connection comes from one of them; a client reaching the site directly cannot forge
# its address. Default: loopback and private networks.
YOYAKU_TRUSTED_PROXIES = tuple(
    ipaddress.ip_network(cidr.strip(), strict=False)
    for cidr in os.environ.get(
        "YOYAKU_TRUSTED_PROXIES",
        "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7",
    ).split(",")
    if cidr.strip()
)

# Requests to the API per client address (IPv4, or IPv6 /64), e.g. "120/min"; counted in
# Django's cache (CACHES below: per process unless REDIS_URL names a shared Redis).
YOYAKU_API_RATE = os.environ.get("YOYAKU_API_RATE", "120/min")
# Requests per staff or registrant token, beside the per-address rate.
YOYAKU_API_TOKEN_RATE = os.environ.get("YOYAKU_API_TOKEN_RATE", "300/min")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "yoyaku.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "yoyaku.integrity.middleware.DeviceCookieMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "yoyaku.core.middleware.PermissionsPolicyMiddleware",
    "yoyaku.core.middleware.SessionExpiryMiddleware",
    "yoyaku.core.middleware.ServiceHoursMiddleware",
    "yoyaku.core.middleware.BadParamMiddleware",
]

# Benchmarks only (bench/rush.py), never in production. YOYAKU_BENCH_CEILING routes the rush
# benchmark's ceiling view (yoyaku/citizen/bench_views.py); YOYAKU_PROFILE_DIR writes each
# request's cProfile statistics and query count there (yoyaku/core/profiling.py).
YOYAKU_BENCH_CEILING = env_bool("YOYAKU_BENCH_CEILING")
YOYAKU_PROFILE_DIR = os.environ.get("YOYAKU_PROFILE_DIR", "")
if YOYAKU_PROFILE_DIR:
    MIDDLEWARE.insert(0, "yoyaku.core.profiling.ProfileMiddleware")

ROOT_URLCONF = "yoyaku.urls"
WSGI_APPLICATION = "yoyaku.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "yoyaku" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yoyaku.core.context_processors.site",
                "yoyaku.registrants.context_processors.account",
            ],
        },
    },
]


def cache_settings(redis_url: str, file_dir: Path | None = None) -> dict:
    """Django's cache: the API's rate limits, the log-in throttle's counts and the versioned
    caches of yoyaku/core/cache.py. Redis when a URL is given (e.g. redis://127.0.0.1:6379/0),
    so every process of the site shares one cache; otherwise files under ``file_dir``, which
    the processes of one machine share (the web server, the worker and the scheduler of
    ``make run``); with neither, local memory of one process (the tests)."""
    if redis_url:
        return {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": "yoyaku",
                "OPTIONS": {
                    # A Redis that stops answering slows no request by more than a second.
                    "SOCKET_CONNECT_TIMEOUT": 1,
                    "SOCKET_TIMEOUT": 1,
                },
            }
        }
    if file_dir is not None:
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(file_dir),
                "OPTIONS": {"MAX_ENTRIES": 20000},
            }
        }
    return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


CACHES = cache_settings(os.environ.get("REDIS_URL", ""), DATA_DIR / "cache")

# Sessions: in the database; with Redis also read through the cache (cached_db). Every request
# of a logged-in person reads its session, so the cache saves one SQL query per request, while
# every write still reaches the database: a Redis restart or eviction at 7:59 logs nobody out
# (a cache-only session would, just before first-come booking opens).
if os.environ.get("REDIS_URL"):
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# SQLite in var/ unless DATABASE_URL names another database (PostgreSQL in production and CI).
# Without DEBUG a connection is kept for 5 minutes and checked before reuse: opening a new
# PostgreSQL connection for every request costs ~8x in INSERT throughput (pgbench here: ~1,000
# single-row INSERTs/s on kept connections, ~130/s with a new one each). 0 closes it after
# every request (e.g. behind PgBouncer in session mode, when connections are scarce).
_CONN_MAX_AGE = int(os.environ.get("DATABASE_CONN_MAX_AGE") or ("0" if DEBUG else "300"))
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'yoyaku.sqlite3'}",
        conn_max_age=_CONN_MAX_AGE,
        conn_health_checks=_CONN_MAX_AGE > 0,
    )
}
# PgBouncer in transaction pooling mode hands each transaction to any server connection: a
# server-side cursor (QuerySet.iterator()) would not survive that, nor would the statements
# psycopg prepares on a connection (PgBouncer before 1.21). See deploy/pgbouncer.ini.
if env_bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS"):
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for each other instead of failing at once; IMMEDIATE transactions take the
    # write lock up front, which serialises bookings on SQLite.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )

# A read replica (e.g. a PostgreSQL streaming replica): public availability pages read from it
# for visitors not logged in; every write, transaction and logged-in request stays on the
# primary (yoyaku/core/db_router.py). Its data may be a few hundred milliseconds old.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=DATABASES["default"].get("CONN_MAX_AGE", 0),
        conn_health_checks=DATABASES["default"].get("CONN_HEALTH_CHECKS", False),
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["yoyaku.core.db_router.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["yoyaku.core.auth.LoginBackend"]
# Argon2id at OWASP's parameters (yoyaku/core/hashers.py): ~20 ms a log-in instead of ~140 ms.
PASSWORD_HASHERS = [
    "yoyaku.core.hashers.RushArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "staff:login"

LANGUAGE_CODE = "ja"
# やさしい日本語 (easy Japanese, README "やさしい日本語"): its own catalogue in locale/ja_Easy.
LANGUAGES = [("ja", "日本語"), ("ja-easy", "やさしい日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "yoyaku" / "locale"]
# Django knows no "ja-easy": without this entry get_language_info() would describe it as plain
# Japanese ("Japanese", 日本語).
LANG_INFO["ja-easy"] = {
    "bidi": False,
    "code": "ja-easy",
    "name": "Easy Japanese",
    "name_local": "やさしい日本語",
}
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "yoyaku" / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # Uploads (e.g. proofs of employment) live outside every public path.
        "OPTIONS": {"location": str(DATA_DIR / "private")},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Background work through Django's task API (the django-tasks backport).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.backend.DatabaseBackend"),
    }
}

# E-mail: SMTP when EMAIL_HOST is set, otherwise one file per message under var/mail/.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "yoyaku@localhost")
# The public address of the site, for links in e-mails (password reset, e-mail change).
YOYAKU_SITE_URL = os.environ.get("YOYAKU_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Passkeys (WebAuthn): the relying party id is the site's host name (a passkey made for it works
# on that host and its subdomains only); the browser must report one of these origins.
_SITE = urlsplit(YOYAKU_SITE_URL)
YOYAKU_PASSKEY_RP_ID = os.environ.get("YOYAKU_PASSKEY_RP_ID", "") or (_SITE.hostname or "localhost")
YOYAKU_PASSKEY_ORIGINS = env_list(
    "YOYAKU_PASSKEY_ORIGINS", f"{_SITE.scheme}://{_SITE.netloc}" if _SITE.netloc else ""
)
# Days personal data of ended registrations is kept before it is anonymised.
YOYAKU_RETENTION_DAYS = int(os.environ.get("YOYAKU_RETENTION_DAYS", str(5 * 365)))
# Proofs attached to online applications wait under pending/ until the application is sent:
# at most this many bytes in all, and this many stored per client address and hour.
YOYAKU_PENDING_UPLOADS_MAX_BYTES = int(
    os.environ.get("YOYAKU_PENDING_UPLOADS_MAX_BYTES", str(200 * 1024 * 1024))
)
YOYAKU_PENDING_UPLOADS_PER_CLIENT_HOUR = int(
    os.environ.get("YOYAKU_PENDING_UPLOADS_PER_CLIENT_HOUR", "10")
)

# Smart locks (入室コード, yoyaku/reservations/locks.py): the adapter class entry codes are
# pushed to. The fake lock keeps them in a table and is what tests and the demo use.
YOYAKU_LOCK_ADAPTER = os.environ.get("YOYAKU_LOCK_ADAPTER", "yoyaku.reservations.locks.FakeLock")

# Online payment (yoyaku/payments). The provider new online payments go to; each provider's
# keys only from the environment. The sandbox ships with the project (make run starts it).
YOYAKU_PAYMENT_PROVIDER = os.environ.get("YOYAKU_PAYMENT_PROVIDER", "sandbox")
YOYAKU_SANDBOX_URL = os.environ.get("YOYAKU_SANDBOX_URL", "http://127.0.0.1:8001")
YOYAKU_PAYMENT_PROVIDERS = {
    "sandbox": {
        "class": "yoyaku.payments.providers.sandbox.SandboxProvider",
        "options": {
            "base_url": YOYAKU_SANDBOX_URL,
            "api_key": os.environ.get("YOYAKU_SANDBOX_API_KEY", "sandbox-key"),
            "webhook_secret": os.environ.get("YOYAKU_SANDBOX_SECRET", "sandbox-secret"),
        },
    },
    "stripe": {
        "class": "yoyaku.payments.providers.stripe_provider.StripeProvider",
        "options": {
            "api_key": os.environ.get("STRIPE_SECRET_KEY", ""),
            "webhook_secret": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        },
    },
    "paypay": {
        "class": "yoyaku.payments.providers.paypay_provider.PayPayProvider",
        "options": {
            "api_key": os.environ.get("PAYPAY_API_KEY", ""),
            "api_secret": os.environ.get("PAYPAY_API_SECRET", ""),
            "merchant_id": os.environ.get("PAYPAY_MERCHANT_ID", ""),
            "production": env_bool("PAYPAY_PRODUCTION"),
            # PayPay does not sign its notifications: this token, given in the webhook
            # address registered with PayPay (…/payments/webhook/paypay/?token=…), is checked.
            "webhook_token": os.environ.get("PAYPAY_WEBHOOK_TOKEN", ""),
        },
        # PayPay has no list of payments: reconciliation asks about ours.
        "callbacks": {"known_refs": "yoyaku.payments.selectors.provider_refs_since"},
    },
}

# LINE notifications (yoyaku/notifications/line.py): each municipality's official account.
# Entries "slug:value", comma-separated; a value without "slug:" is every municipality's.
YOYAKU_LINE_CHANNEL_SECRET = os.environ.get("LINE_CHANNEL_SECRET", "")
YOYAKU_LINE_CHANNEL_ACCESS_TOKEN = os.environ.get("LINE_CHANNEL_ACCESS_TOKEN", "")
YOYAKU_LINE_BOT_ID = os.environ.get("LINE_BOT_ID", "")
YOYAKU_LINE_API_URL = os.environ.get("LINE_API_URL", "https://api.line.me")

# Security: safe defaults whenever DEBUG is off.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy on every response (django-csp): the pages run no inline script (the
# only script is a file of this site that focuses a form's error summary) and
# load styles, images and fonts only from this site; forms post only here. A response that
# sets its own policy keeps it (stored files: a sandbox). YOYAKU_CSP_FORM_ACTION adds origins a
# form may be sent to (e.g. a payment provider's hosted page).
_SELF = "'self'"
_PAYMENT_ORIGINS = {
    "sandbox": [YOYAKU_SANDBOX_URL.rstrip("/")],
    "stripe": ["https://checkout.stripe.com"],
    "paypay": ["https://*.paypay.ne.jp"],
}.get(YOYAKU_PAYMENT_PROVIDER, [])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF],
        "img-src": [_SELF, "data:"],
        "font-src": [_SELF],
        "connect-src": [_SELF],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        # 支払う posts here and is redirected to the provider's page: browsers apply
        # form-action to that redirect, so the provider's origin is allowed too.
        "form-action": [_SELF, *_PAYMENT_ORIGINS, *env_list("YOYAKU_CSP_FORM_ACTION")],
    },
}
# Browser features no page needs are switched off for this site and anything it embeds.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "midi=(), magnetometer=(), gyroscope=(), accelerometer=(), display-capture=(), "
    "browsing-topics=()"
)

# Sessions: a staff session ends 8 hours after its log-in and after 30 minutes without a
# request; a registrant's after 14 days without one (the cookie is renewed at most hourly).
SESSION_COOKIE_AGE = int(os.environ.get("YOYAKU_REGISTRANT_SESSION_IDLE_SECONDS", str(14 * 86400)))
YOYAKU_STAFF_SESSION_MAX_SECONDS = int(
    os.environ.get("YOYAKU_STAFF_SESSION_MAX_SECONDS", str(8 * 3600))
)
YOYAKU_STAFF_SESSION_IDLE_SECONDS = int(
    os.environ.get("YOYAKU_STAFF_SESSION_IDLE_SECONDS", str(30 * 60))
)
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    # A load balancer or a monitor asks the health endpoint over plain HTTP on the private
    # network: no redirect to HTTPS for it.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    if env_bool("SECURE_PROXY_SSL_HEADER"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs carry no personal data: request paths and ids only, never form contents.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
    },
}
