"""``Idempotency-Key`` on the API's writes, the registrant's and the staff's: a repeated key
(same token, method and path) gets the first answer — status and body — and nothing is done
again.

The key is claimed (a row with no answer yet) before the write runs, so two requests racing
with one key cannot both act: the unique key lets one in, the other hears 409 and may retry.
The same key with another body is a client's mistake: 422. Answers of 5xx are not kept (the
write did not happen; trying again is right). Rows are kept 24 hours: older ones are purged
the next time a key is claimed, and a key older than that is new again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from functools import wraps

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from yoyaku.api.errors import PROBLEM_TYPE, _both, problem_response
from yoyaku.core import clock
from yoyaku.core.models import ApiIdempotency

KEEP = dt.timedelta(hours=24)
HEADER = "Idempotency-Key"
# Printable ASCII, as a UUID or any client's key would be.
KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
PENDING = 0
# The API instance whose renderer and exception handlers render a kept answer (set by
# install(); routers do not know their API).
_bound: dict = {}

# The header as the OpenAPI document declares it, for an operation's ``openapi_extra``.
IDEMPOTENCY = {
    "parameters": [
        {
            "in": "header",
            "name": HEADER,
            "required": False,
            "schema": {"type": "string", "maxLength": 255},
            "description": "A repeat of the key returns the first answer without acting again",
        }
    ]
}

MESSAGES = {
    "idempotency_key_invalid": _(
        "Idempotency-Key は、1文字以上255文字以内の半角英数字・記号で指定してください。"
    ),
    "idempotency_key_reused": _(
        "このIdempotency-Keyは、別の内容のリクエストにすでに使われています。"
        "新しいキーで送り直してください。"
    ),
    "idempotency_in_progress": _(
        "同じIdempotency-Keyのリクエストを処理中です。少しおいてから、もう一度お試しください。"
    ),
}


def idempotency_purge(*, now: dt.datetime | None = None) -> int:
    """Forget keys older than 24 hours (also run daily by the scheduler if wired)."""
    deleted, _rows = ApiIdempotency.objects.filter(
        created_at__lt=(now or clock.now()) - KEEP
    ).delete()
    return deleted


def install(api) -> None:
    _bound["api"] = api


def _problem(request: HttpRequest, code: str, status: int) -> HttpResponse:
    return problem_response(
        _bound["api"], request, status=status, code=code, detail=_both(MESSAGES[code], {})
    )


def _claim(request: HttpRequest, key: str, digest: str) -> ApiIdempotency | None:
    """Our new row (None if the key is taken), after forgetting expired keys."""
    idempotency_purge()
    try:
        with transaction.atomic():
            return ApiIdempotency.objects.create(
                token=request.auth,
                key=key,
                method=request.method,
                path=request.path,
                request_hash=digest,
                response_status=PENDING,
                response_body="",
                created_at=clock.now(),
            )
    except IntegrityError:
        return None


def _replay(row: ApiIdempotency) -> HttpResponse:
    content_type = PROBLEM_TYPE if row.response_status >= 400 else "application/json"
    response = HttpResponse(
        row.response_body, status=row.response_status, content_type=content_type
    )
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(view: Callable) -> Callable:
    """Decorate a write operation (under a token's auth) to honour Idempotency-Key.

    The operation returns ``(status, data)``; with a key, the answer is rendered here (so it
    can be kept) by the API's own renderer and exception handlers."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(request, *args, **kwargs)
        if not KEY.match(key):
            return _problem(request, "idempotency_key_invalid", 422)
        digest = hashlib.sha256(request.body).hexdigest()
        row = _claim(request, key, digest)
        if row is None:
            first = ApiIdempotency.objects.filter(
                token=request.auth, key=key, method=request.method, path=request.path
            ).first()
            if first is None:  # purged between the two statements: rare; ask again
                return _problem(request, "idempotency_in_progress", 409)
            if first.request_hash != digest:
                return _problem(request, "idempotency_key_reused", 422)
            if first.response_status == PENDING:
                return _problem(request, "idempotency_in_progress", 409)
            return _replay(first)
        try:
            status, data = view(request, *args, **kwargs)
            response = _bound["api"].create_response(request, data, status=status)
        except Exception as exc:  # the API's handlers render refusals; others propagate
            try:
                response = _bound["api"].on_exception(request, exc)
            except Exception:
                row.delete()
                raise
        if response.status_code >= 500:
            row.delete()
            return response
        row.response_status = response.status_code
        row.response_body = response.content.decode()
        row.save(update_fields=["response_status", "response_body"])
        return response

    return wrapper
