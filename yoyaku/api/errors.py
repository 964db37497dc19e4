"""Errors as RFC 9457 problem details (``application/problem+json``), in one place.

Every refusal of the API is one JSON object::

    {"type": "urn:yoyaku:problem:not_found", "title": "Not Found", "status": 404,
     "detail": "指定されたものは見つかりません。", "detail_en": "The requested item was not found.",
     "instance": "/api/v1/municipalities/nowhere", "code": "not_found", "errors": []}

``detail`` is the Japanese text the pages show (``DomainError.message`` for a refused rule),
``detail_en`` the English one of the same catalogue; ``errors`` names each invalid field of a
request. :data:`STATUS` maps every ``DomainError`` code to its HTTP status, and nothing else does.
"""

from __future__ import annotations

import math
from http import HTTPStatus

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from yoyaku.core.errors import DomainError

PROBLEM_TYPE = "application/problem+json"

# DomainError code → HTTP status. A code not listed is a rule refusing the action in the
# current state of things: 409 Conflict.
STATUS: dict[str, int] = {
    # Input that can never succeed as sent.
    "birth_date_invalid": 422,
    "birth_date_future": 422,
    "registration_too_young": 422,
    "registration_email_required": 422,
    "registration_proof_required": 422,
    "registration_workplace_required": 422,
    "registration_category_not_allowed": 422,
    "registration_kind_not_allowed": 422,
    "payment_amount_invalid": 422,
    "payment_more_than_owed": 422,
    "reason_required": 422,
    "reply_required": 422,
    "block_dates_order": 422,
    "block_outside_schedule": 422,
    "closure_too_long": 422,
    # Too much, too fast: try again later.
    "password_reset_throttled": 429,
    "booking_attempts_exceeded": 429,
    # Accepted, not yet done: a request of a fair window, served in random order after it.
    "first_minute_queued": 202,
    "pending_upload_throttled": 429,
    "pending_uploads_full": 503,
    # Another system is down; nothing was lost.
    "payment_provider_down": 503,
    "user_number_exhausted": 503,
}
DOMAIN_DEFAULT_STATUS = 409

# The API's own problems (not rules of the domain): their Japanese text, English by catalogue.
API_MESSAGES = {
    "not_found": _("指定されたものは見つかりません。"),
    "validation": _("指定に誤りがあります。各項目の説明をご確認ください。"),
    "throttled": _(
        "短時間に多くのリクエストがありました。%(seconds)s秒ほどおいてから、もう一度お試しください。"
    ),
    "range_too_long": _("期間は%(days)s日以内で指定してください。"),
    "range_order": _("終了日は開始日以降にしてください。"),
    "date_out_of_range": _("日付は%(first)sから%(last)sまでの範囲で指定してください。"),
    "http_error": _("リクエストを処理できませんでした。"),
    "unauthorized": _("有効なトークンを Authorization: Bearer で送ってください。"),
    "forbidden": _("この操作を行う権限がありません。"),
    "token_read_only": _(
        "このトークンは読み取り専用です。操作には書き込みのできるトークンが必要です。"
    ),
    "period_too_long": _("期間は%(days)s日以内で指定してください。"),
}

# Field messages by pydantic error type: what was wrong with one value.
FIELD_MESSAGES = {
    "missing": _("%(field)sを指定してください。"),
    "date_parsing": _("%(field)sは 2026-12-05 の形式で指定してください。"),
    "date_from_datetime_parsing": _("%(field)sは 2026-12-05 の形式で指定してください。"),
    "date_type": _("%(field)sは 2026-12-05 の形式で指定してください。"),
    "int_parsing": _("%(field)sは半角数字で指定してください。"),
    "int_type": _("%(field)sは半角数字で指定してください。"),
    "greater_than_equal": _("%(field)sは%(ge)s以上で指定してください。"),
    "less_than_equal": _("%(field)sは%(le)s以下で指定してください。"),
    "string_too_long": _("%(field)sは%(max_length)s文字以内で指定してください。"),
}
FIELD_DEFAULT = _("%(field)sの指定が正しくありません。")


class FieldProblem(Schema):
    field: str
    location: str
    message: str
    message_en: str


class Problem(Schema):
    """RFC 9457 problem details, with the Japanese and English text and the fields at fault."""

    type: str
    title: str
    status: int
    detail: str
    detail_en: str
    instance: str
    code: str
    errors: list[FieldProblem] = []


class ApiProblem(Exception):
    """A refusal of the API itself (not found, a range too long): code, status, parameters."""

    def __init__(self, code: str, status: int, **params: object) -> None:
        super().__init__(code)
        self.code, self.status, self.params = code, status, params


def _both(template, params: dict) -> tuple[str, str]:
    """The text in Japanese and in English, whatever language the request runs in."""
    texts = []
    for language in ("ja", "en"):
        with translation.override(language):
            texts.append(str(template) % params if params else str(template))
    return texts[0], texts[1]


def problem_body(
    request: HttpRequest,
    *,
    status: int,
    code: str,
    detail: tuple[str, str],
    errors: list[dict] | None = None,
) -> dict:
    return {
        "type": f"urn:yoyaku:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail[0],
        "detail_en": detail[1],
        "instance": request.path,
        "code": code,
        "errors": errors or [],
    }


def problem_response(api, request: HttpRequest, **kwargs) -> HttpResponse:
    body = problem_body(request, **kwargs)
    response = api.create_response(request, body, status=kwargs["status"])
    response["Content-Type"] = PROBLEM_TYPE
    return response


def _api_problem(request, exc: ApiProblem, api) -> HttpResponse:
    detail = _both(API_MESSAGES[exc.code], exc.params)
    return problem_response(api, request, status=exc.status, code=exc.code, detail=detail)


def _domain_error(request, exc: DomainError, api) -> HttpResponse:
    status = STATUS.get(exc.code, DOMAIN_DEFAULT_STATUS)
    texts = []
    for language in ("ja", "en"):
        with translation.override(language):
            texts.append(exc.message)
    errors = []
    if exc.field:
        errors.append(
            {"field": exc.field, "location": "body", "message": texts[0], "message_en": texts[1]}
        )
    return problem_response(
        api, request, status=status, code=exc.code, detail=(texts[0], texts[1]), errors=errors
    )


def _not_found(request, exc: Http404, api) -> HttpResponse:
    detail = _both(API_MESSAGES["not_found"], {})
    return problem_response(api, request, status=404, code="not_found", detail=detail)


def _field_problem(error: dict) -> dict:
    location, *names = (str(part) for part in error.get("loc", ()))
    name = ".".join(names) or location
    template = FIELD_MESSAGES.get(error.get("type", ""), FIELD_DEFAULT)
    params = {"field": name}
    for key, value in (error.get("ctx") or {}).items():
        params[key] = value
    try:
        message, message_en = _both(template, params)
    except (KeyError, TypeError, ValueError):
        message, message_en = _both(FIELD_DEFAULT, {"field": name})
    return {"field": name, "location": location, "message": message, "message_en": message_en}


def _validation(request, exc: ValidationError, api) -> HttpResponse:
    errors = [_field_problem(error) for error in exc.errors]
    detail = _both(API_MESSAGES["validation"], {})
    return problem_response(
        api, request, status=422, code="validation", detail=detail, errors=errors
    )


def _throttled(request, exc: Throttled, api) -> HttpResponse:
    seconds = max(1, math.ceil(exc.wait or 1))
    detail = _both(API_MESSAGES["throttled"], {"seconds": seconds})
    response = problem_response(api, request, status=429, code="throttled", detail=detail)
    response["Retry-After"] = str(seconds)
    return response


def _unauthorized(request, exc: AuthenticationError, api) -> HttpResponse:
    detail = _both(API_MESSAGES["unauthorized"], {})
    response = problem_response(api, request, status=401, code="unauthorized", detail=detail)
    response["WWW-Authenticate"] = 'Bearer realm="yoyaku"'
    return response


def _http_error(request, exc: HttpError, api) -> HttpResponse:
    detail = _both(API_MESSAGES["http_error"], {})
    return problem_response(api, request, status=exc.status_code, code="http_error", detail=detail)


def install(api) -> None:
    """Every refusal of ``api`` as problem details."""
    api.add_exception_handler(ApiProblem, lambda r, e: _api_problem(r, e, api))
    api.add_exception_handler(DomainError, lambda r, e: _domain_error(r, e, api))
    api.add_exception_handler(Http404, lambda r, e: _not_found(r, e, api))
    api.add_exception_handler(ValidationError, lambda r, e: _validation(r, e, api))
    api.add_exception_handler(Throttled, lambda r, e: _throttled(r, e, api))
    api.add_exception_handler(AuthenticationError, lambda r, e: _unauthorized(r, e, api))
    api.add_exception_handler(HttpError, lambda r, e: _http_error(r, e, api))
