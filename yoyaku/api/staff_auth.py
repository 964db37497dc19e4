"""Staff tokens on the API: the bearer auth class, the per-token rate limit and the gate that
every staff operation passes.

A token carries nobody's rights of its own: at each request the holder's current role and
facilities are asked of ``yoyaku.core.permissions`` (the table the console asks), and a write
needs both a token with the ``write`` scope and a role that may act. A token of a viewer, of a
deactivated account or of someone who is no longer staff does nothing more than they may.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle

from yoyaku.api.errors import ApiProblem
from yoyaku.core.api_tokens import WRITE, ApiToken, api_token_authenticate
from yoyaku.core.audit_channel import audit_channel
from yoyaku.core.models import AuditVia
from yoyaku.core.permissions import Perm, can, is_staff


class StaffToken(HttpBearer):
    """``Authorization: Bearer yk_…`` with a live token of an active staff member."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = api_token_authenticate(token)
        if found is None or not is_staff(found.user):
            return None
        request.user = found.user
        request.municipality = found.user.municipality
        return found


class TokenThrottle(SimpleRateThrottle):
    """Requests per token (``settings.YOYAKU_API_TOKEN_RATE``, read at each request), beside
    the per-address limit: one busy system does not use up its office's address."""

    scope = "token"

    def __init__(self) -> None:
        super().__init__(rate=settings.YOYAKU_API_TOKEN_RATE)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        token = getattr(request, "auth", None)
        if not isinstance(token, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = settings.YOYAKU_API_TOKEN_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


def check(request: HttpRequest, perm: Perm, *, write: bool = False) -> None:
    """The token may ``perm`` now: a write scope for a write, and the holder's role."""
    token: ApiToken = request.auth
    if write and not token.allows(WRITE):
        raise ApiProblem("token_read_only", 403)
    if not can(token.user, perm, write=write):
        raise ApiProblem("forbidden", 403)


def staff_operation(perm: Perm, *, write: bool = False) -> Callable:
    """An operation of the staff API: the gate first, then the body, whose audit rows (the
    services' and the views of personal data) are recorded ``via=api``."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            check(request, perm, write=write)
            with audit_channel(AuditVia.API):
                return view(request, *args, **kwargs)

        return wrapper

    return decorator
