"""The device cookie of citizen pages: a long-lived random id the signals know a browser by.

It carries nothing about the person; the database stores only its keyed hash, with the
registrant, when they register, log in or apply to a lottery (``services.sighting_record``).
"""

from __future__ import annotations

from django.conf import settings

from yoyaku.integrity import evidence

# Not citizen pages: the console, the API (tokens, no browser), files and probes.
SKIPPED_PREFIXES = ("/staff/", "/api/", "/static/", "/healthz", "/dev/", "/admin/")


class DeviceCookieMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(SKIPPED_PREFIXES):
            request.device_id = None
            return self.get_response(request)
        known = evidence.valid_device_id(request.COOKIES.get(evidence.DEVICE_COOKIE))
        # A first visit gets its id at once, so a registration sent in the same request as the
        # cookie is first set is recorded with it.
        request.device_id = known or evidence.new_device_id()
        response = self.get_response(request)
        if known is None:
            response.set_cookie(
                evidence.DEVICE_COOKIE,
                request.device_id,
                max_age=evidence.DEVICE_COOKIE_MAX_AGE,
                httponly=True,
                secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
                samesite="Lax",
            )
        return response


def device_id(request) -> str | None:
    """The device id of this request (set by the middleware), or None off citizen pages."""
    return getattr(request, "device_id", None)
