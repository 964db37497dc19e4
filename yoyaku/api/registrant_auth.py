"""Registrant tokens on the API: the bearer auth of /api/v1/me/…, the write scope, and
their refusals as problem details (401 with ``WWW-Authenticate``, 403)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from yoyaku.api.errors import _both, problem_response
from yoyaku.api.http import AddressThrottle
from yoyaku.core.api_tokens import api_token_authenticate
from yoyaku.core.models import ApiToken, User
from yoyaku.registrants.models import Registrant

MESSAGES = {
    "unauthorized": _(
        "APIトークンがないか、正しくないか、取り消されています。"
        "マイページの「APIトークン」で確認してください。"
    ),
    "write_scope_required": _(
        "このAPIトークンは読み取り専用です。予約・変更・取消や支払いには、"
        "「読み取りと書き込み」のトークンを作成してください。"
    ),
}
S = Registrant.Status
# Registrations that still own their reservations and may act on them (the booking rules
# say which acts each allows): not rejected, merged, deregistered or deleted.
CURRENT = (S.APPLIED, S.INFO_REQUESTED, S.ACTIVE, S.EXPIRED)


class WriteScopeRequired(Exception):
    """A read-only token asked to write."""


class RegistrantToken(HttpBearer):
    """``Authorization: Bearer yoyaku_…``: a token in force of an active user who is a
    registrant with a current registration. Sets ``request.registrant``."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = api_token_authenticate(token.strip())
        if found is None or found.user.kind != User.Kind.REGISTRANT:
            return None
        registrant = (
            Registrant.objects.select_related("municipality", "user")
            .filter(user=found.user, municipality_id=found.user.municipality_id)
            .first()
        )
        if registrant is None or registrant.status not in CURRENT:
            return None
        request.registrant = registrant
        return found


class TokenThrottle(AddressThrottle):
    """Requests per token, at the same rate as per address (``YOYAKU_API_RATE``): a token
    used from many addresses is held to one allowance. Runs after the token is checked."""

    scope = "token"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        token = getattr(request, "auth", None)
        if not isinstance(token, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}


def require_write(request: HttpRequest) -> None:
    if not request.auth.can_write:
        raise WriteScopeRequired


def install(api) -> None:
    def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        detail = _both(MESSAGES["unauthorized"], {})
        response = problem_response(api, request, status=401, code="unauthorized", detail=detail)
        response["WWW-Authenticate"] = 'Bearer realm="yoyaku"'
        return response

    def write_scope(request: HttpRequest, exc: WriteScopeRequired) -> HttpResponse:
        detail = _both(MESSAGES["write_scope_required"], {})
        return problem_response(
            api, request, status=403, code="write_scope_required", detail=detail
        )

    api.add_exception_handler(AuthenticationError, unauthorized)
    api.add_exception_handler(WriteScopeRequired, write_scope)
