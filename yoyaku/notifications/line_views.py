"""The door LINE knocks on: one URL per municipality's official account, no session, no CSRF
token (X-Line-Signature proves the sender), thin: the service verifies and acts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from yoyaku.core.models import Municipality
from yoyaku.notifications import line, line_services, services

MAX_BODY = 256 * 1024


@csrf_exempt
@require_POST
def line_webhook(request: HttpRequest, municipality: str) -> HttpResponse:
    muni = Municipality.objects.filter(slug=municipality).first()
    if muni is None or line.channel_for(muni.slug) is None:
        return HttpResponse("unknown channel", status=404, content_type="text/plain")
    body = request.body
    if len(body) > MAX_BODY:
        return HttpResponse("too large", status=413, content_type="text/plain")
    try:
        services.line_webhook(
            municipality=muni,
            body=body,
            signature=request.headers.get("X-Line-Signature", ""),
        )
    except line_services.SignatureRefused:
        return HttpResponse("signature", status=400, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
