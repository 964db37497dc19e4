"""The door providers knock on: one URL per provider, no session, no CSRF token (the body's
signature proves the sender), thin: the service verifies, records once and re-reads."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from yoyaku.payments import services
from yoyaku.payments.providers import registry
from yoyaku.payments.providers.base import ProviderError

MAX_BODY = 256 * 1024


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    try:
        registry.get(provider)
    except (LookupError, ProviderError):  # not a provider of ours, or one without keys
        return HttpResponse("unknown provider", status=404, content_type="text/plain")
    body = request.body
    if len(body) > MAX_BODY:
        return HttpResponse("too large", status=413, content_type="text/plain")
    headers = {key.lower(): value for key, value in request.headers.items()}
    # A provider that cannot sign (PayPay) is given a shared token in the address instead.
    token = request.GET.get("token")
    if token and "x-webhook-token" not in headers:
        headers["x-webhook-token"] = token
    try:
        outcome = services.webhook_receive(provider_name=provider, body=body, headers=headers)
    except services.WebhookRejected:
        return HttpResponse("signature", status=400, content_type="text/plain")
    except ProviderError:
        # The payment could not be read back: the provider retries the event later.
        return HttpResponse("retry", status=503, content_type="text/plain")
    return HttpResponse(outcome, content_type="text/plain")
