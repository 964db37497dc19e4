"""Service hours, year-end closure and maintenance, applied to every municipality page."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils import translation

from yoyaku.core.models import Municipality
from yoyaku.core.selectors import ServiceState, service_status

# Paths that stay reachable whatever the service state: the staff console (staff end a
# maintenance from there), static files, and the language / font-size switches.
ALWAYS_OPEN_PREFIXES = ("/staff/", "/static/", "/i18n/", "/font-size/", "/healthz")
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
        if slug:
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
        from yoyaku.core.params import BadParam

        if not isinstance(exception, BadParam):
            return None
        template = (
            "staff/bad_request.html"
            if request.path.startswith("/staff/")
            else "citizen/bad_request.html"
        )
        context = {"message": exception.message}
        return render(request, template, context, status=400)
