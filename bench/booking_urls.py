"""URLs of ``python -m bench booking``: the site's own, plus the bare baseline view."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from yoyaku.urls import urlpatterns as site


@csrf_exempt
def bare(request: HttpRequest, municipality: str) -> HttpResponse:
    """The ceiling: one INSERT behind the same middleware (session, user, municipality)."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_bare (note) VALUES (%s)", [request.method])
    return HttpResponse("ok")


urlpatterns = [path("<slug:municipality>/bench-bare/", bare), *site]
