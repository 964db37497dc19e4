"""Service hours, year-end closure and maintenance, applied to every municipality page."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

from yoyaku.core import clock
from yoyaku.core.models import Municipality, User
from yoyaku.core.params import BadParam
from yoyaku.core.selectors import ServiceState, service_status

# Paths that stay reachable whatever the service state: the staff console (staff end a
# maintenance from there), static files, and the language / font-size switches.
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,50}")

# Payment providers notify at any hour: their webhooks are never closed.
ALWAYS_OPEN_PREFIXES = (
    "/staff/",
    "/static/",
    "/i18n/",
    "/font-size/",
    "/healthz",
    "/payments/webhook/",
)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def changes_data(view):
    """Mark a view as a page that changes data: closed outside service hours even for GET."""
    view.changes_data = True
    return view


class ServiceHoursMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        request.municipality = None
        slug = view_kwargs.get("municipality")
        # Only a well-formed slug is looked up: the API's path parameters reach here before
        # their own validation, and PostgreSQL refuses a NUL in a query.
        if isinstance(slug, str) and SLUG.fullmatch(slug):
            request.municipality = Municipality.objects.filter(slug=slug).first()
        if request.path.startswith(ALWAYS_OPEN_PREFIXES):
            return None
        status = service_status(municipality=request.municipality)
        request.service_status = status
        if status.state is ServiceState.SITE_CLOSED:
            return render(request, "core/site_closed.html", {"status": status}, status=503)
        writes = request.method not in SAFE_METHODS or getattr(view_func, "changes_data", False)
        if writes and not status.accepts_changes and not getattr(view_func, "always_open", False):
            return render(request, "core/service_closed.html", {"status": status}, status=503)
        return None


class LanguageMiddleware:
    """Japanese first: English only when the person chose it with the language switch.

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language, so a citizen
    whose phone is set to English still sees the municipality's Japanese pages until they ask.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch = response.headers.get("Vary", "")
        if "Cookie" not in patch:
            response.headers["Vary"] = f"{patch}, Cookie" if patch else "Cookie"
        translation.deactivate()
        return response


class BadParamMiddleware:
    """A request value a view could not parse (`yoyaku.core.params.BadParam`) → 400 with its
    Japanese message, never a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, BadParam):
            return None
        template = (
            "staff/bad_request.html"
            if request.path.startswith("/staff/")
            else "citizen/bad_request.html"
        )
        context = {"message": exception.message}
        return render(request, template, context, status=400)


class PermissionsPolicyMiddleware:
    """Switch off browser features no page of the site uses (``settings.PERMISSIONS_POLICY``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


# Session keys: when the log-in happened and when the session was last seen (epoch seconds of
# the system clock, so tests can travel).
SESSION_STARTED = "yoyaku_started"
SESSION_SEEN = "yoyaku_seen"
# How often "last seen" is written: often enough for the idle limit, rarely enough that an
# ordinary request does not write the session.
STAFF_SEEN_EVERY = 60
REGISTRANT_SEEN_EVERY = 3600


@receiver(user_logged_in)
def _stamp_session(sender, request, user, **kwargs):
    moment = clock.now().timestamp()
    request.session[SESSION_STARTED] = moment
    request.session[SESSION_SEEN] = moment
    if user.kind == User.Kind.STAFF:
        request.session.set_expiry(settings.YOYAKU_STAFF_SESSION_MAX_SECONDS)


class SessionExpiryMiddleware:
    """End sessions past their limits, whatever the cookie says.

    Staff: 8 hours after the log-in and 30 minutes without a request
    (``YOYAKU_STAFF_SESSION_MAX_SECONDS``, ``YOYAKU_STAFF_SESSION_IDLE_SECONDS``).
    Registrants: ``SESSION_COOKIE_AGE`` (14 days) without a request. The person is logged out
    and told why; the page then asks for a log-in as for anyone else.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request, user)
        return self.get_response(request)

    def _check(self, request, user) -> None:
        session = request.session
        now = clock.now().timestamp()
        staff = user.kind == User.Kind.STAFF
        idle = settings.YOYAKU_STAFF_SESSION_IDLE_SECONDS if staff else settings.SESSION_COOKIE_AGE
        longest = settings.YOYAKU_STAFF_SESSION_MAX_SECONDS if staff else None
        started = session.get(SESSION_STARTED)
        seen = session.get(SESSION_SEEN)
        if not isinstance(started, (int, float)) or not isinstance(seen, (int, float)):
            # A session from before these limits: it starts counting now.
            started = seen = now
            session[SESSION_STARTED] = session[SESSION_SEEN] = now
        expired = now - seen > idle or (longest is not None and now - started > longest)
        if expired:
            logout(request)
            messages.info(
                request,
                _("一定時間が過ぎたため、ログアウトしました。もう一度ログインしてください。"),
            )
            return
        if now - seen >= (STAFF_SEEN_EVERY if staff else REGISTRANT_SEEN_EVERY):
            session[SESSION_SEEN] = now
