"""The ceiling of the rush benchmark (``python -m bench rush``): what the same stack serves
when a request does nothing but one INSERT behind the same middleware, session and registrant
check as the booking page. Routed only when ``YOYAKU_BENCH_CEILING`` is set (yoyaku/urls.py);
the benchmark creates the table with raw SQL (no model, no migration)."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from yoyaku.citizen.account_views import registrant_required
from yoyaku.core import clock
from yoyaku.core.middleware import changes_data

CEILING_TABLE = "bench_ceiling"


@require_POST
@changes_data
@registrant_required
def ceiling(request: HttpRequest, municipality: str) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CEILING_TABLE} (registrant_id, at) VALUES (%s, %s)",
            [request.registrant.pk, clock.now()],
        )
    return HttpResponse("ok", content_type="text/plain", status=201)
