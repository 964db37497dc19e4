"""Personal API tokens, for registrants and staff alike: create (the secret shown once),
revoke, and authenticate a presented secret.

Only the SHA-256 of a secret is stored. A presented secret is looked up by its prefix and
compared with ``hmac.compare_digest``, so the comparison takes the same time whatever it
matches; the secret itself is never logged or audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable

from django.db import transaction

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import ApiToken, AuditAction, User
from yoyaku.core.services import audit_record

# "yoyaku_" + 43 URL-safe characters (32 random bytes); the first 16 characters are the
# prefix shown on the page and used to find the row.
SECRET_PREFIX = "yoyaku_"
SECRET_BYTES = 32
PREFIX_LENGTH = 16
NAME_MAX = 50
# Tokens in force per person: enough for a phone, a script and a spare.
TOKENS_MAX = 10
# last_used_at is written at most this often, so that reads do not each write a row.
LAST_USED_EVERY = dt.timedelta(minutes=1)


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8", "surrogatepass")).hexdigest()


def _scopes(scopes: Iterable[str]) -> list[str]:
    """Write implies read; anything else is read only."""
    wanted = set(scopes)
    if ApiToken.Scope.WRITE in wanted:
        return [ApiToken.Scope.READ.value, ApiToken.Scope.WRITE.value]
    return [ApiToken.Scope.READ.value]


READ = ApiToken.Scope.READ.value
WRITE = ApiToken.Scope.WRITE.value


def tokens_of(user: User) -> list[ApiToken]:
    """The person's tokens, those in force first."""
    tokens = list(ApiToken.objects.filter(user=user))
    return sorted(tokens, key=lambda t: t.revoked_at is not None)


def api_tokens_of(*, user: User) -> list[ApiToken]:
    return tokens_of(user)


@transaction.atomic
def api_token_create(
    *, user: User, name: str, scopes: Iterable[str] | None = None, write: bool = False
) -> tuple[ApiToken, str]:
    """A new token for ``user``: returns the row and the secret, which is shown once and
    never again. Refused without a name or beyond ``TOKENS_MAX`` tokens in force.
    Side effect: audit row ``api_token.create`` (name, prefix, scopes — never the secret)."""
    if scopes is None:
        scopes = [READ, WRITE] if write else [READ]
    name = (name or "").strip()
    if not name:
        raise DomainError("api_token_name_required", field="name")
    user = User.objects.select_for_update().get(pk=user.pk)
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= TOKENS_MAX:
        raise DomainError("api_token_limit", max=TOKENS_MAX)
    plaintext = SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    token = ApiToken.objects.create(
        user=user,
        name=name[:NAME_MAX],
        prefix=plaintext[:PREFIX_LENGTH],
        hash=_digest(plaintext),
        scopes=_scopes(scopes),
        created_at=clock.now(),
    )
    audit_record(
        action=AuditAction.API_TOKEN_CREATE,
        actor=user,
        municipality=user.municipality,
        target=token,
        data={"name": token.name, "prefix": token.prefix, "scopes": token.scopes},
    )
    return token, plaintext


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    """取消し: the token authenticates nothing from now on. Refused when already revoked.
    Side effect: audit row ``api_token.revoke``."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise DomainError("api_token_revoked")
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        action=AuditAction.API_TOKEN_REVOKE,
        actor=by,
        municipality=token.user.municipality,
        target=token,
        data={"name": token.name, "prefix": token.prefix},
    )
    return token


def api_token_authenticate(plaintext: str) -> ApiToken | None:
    """The token in force whose secret this is, or None. Its user must still be active;
    what else the user must be (a registrant, staff) is the caller's question."""
    if not plaintext.startswith(SECRET_PREFIX) or len(plaintext) > 200:
        return None
    wanted = _digest(plaintext)
    found = None
    for token in ApiToken.objects.filter(
        prefix=plaintext[:PREFIX_LENGTH], revoked_at__isnull=True
    ).select_related("user"):
        if hmac.compare_digest(token.hash, wanted):
            found = token
    if found is None or not found.user.is_active:
        return None
    now = clock.now()
    if found.last_used_at is None or now - found.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        found.last_used_at = now
    return found
