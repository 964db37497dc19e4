"""URLs: the landing page, shared switches, the staff console, then /<municipality>/…."""

from django.conf import settings
from django.urls import include, path

from yoyaku.api.api import api
from yoyaku.citizen import bench_views, calendar_views
from yoyaku.citizen import views as citizen_views
from yoyaku.core import devmail
from yoyaku.core.health_views import healthz
from yoyaku.notifications import line_views
from yoyaku.payments import webhook_views

urlpatterns = [
    path("", citizen_views.landing, name="landing"),
    # Database, cache, scheduler and task workers as JSON: 200 or 503 (load balancers, monitors).
    path("healthz", healthz, name="healthz"),
    path("font-size/", citizen_views.font_size, name="font_size"),
    # Django's switch, which also records a logged-in registrant's choice for their mails.
    path("i18n/setlang/", citizen_views.set_language, name="set_language"),
    path("staff/", include("yoyaku.staff.urls")),
    # The REST API, its OpenAPI document (openapi.json) and documentation page (docs).
    path("api/v1/", api.urls),
    path("dev/mail/", devmail.mailbox, name="dev_mail"),
    # Payment providers' notifications (signed; no session).
    path("payments/webhook/<slug:provider>/", webhook_views.webhook, name="payment_webhook"),
    # LINE's webhook for each municipality's official account (signed; no session).
    path("line/webhook/<slug:municipality>/", line_views.line_webhook, name="line_webhook"),
    # The private iCal feed: outside /<municipality>/ (calendar apps carry no cookie or
    # session); the token alone names the registrant.
    path("calendar/<str:token>.ics", calendar_views.calendar_feed, name="calendar_feed"),
    path("", include("yoyaku.citizen.urls")),
]

if settings.YOYAKU_BENCH_CEILING:
    # The rush benchmark's ceiling (bench/rush.py): exists only on a stack started for it.
    urlpatterns.insert(
        -1, path("<slug:municipality>/bench/ceiling/", bench_views.ceiling, name="bench_ceiling")
    )
