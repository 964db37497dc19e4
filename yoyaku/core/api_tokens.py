"""Personal API tokens: one generic model for every holder (a registrant on their page, a staff
member in the console), with its services.

A token is shown in plain text once, when it is created; the database keeps its ``prefix`` (to
find it and to show it in lists) and the SHA-256 ``hash`` of the whole token (the secret has 256
bits of chance, so a plain hash is enough: nothing to guess from it). A token acts as its user,
never more: what the user may do is asked again at every request, by whatever face receives it.
``scopes`` is ``read`` or ``read write``: a read token never changes anything.

The model lives here, beside its services, and is registered by ``CoreConfig.ready()``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, AuditVia, User
from yoyaku.core.services import audit_record

READ = "read"
WRITE = "write"
SCOPES = (READ, WRITE)
TOKEN_PREFIX = "yk"
NAME_MAX = 50
# How many live tokens one person may hold: enough for a few systems, not a stockpile.
LIVE_MAX = 10


class ApiToken(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名前"), max_length=NAME_MAX)
    prefix = models.CharField(max_length=16, unique=True)
    hash = models.CharField(max_length=64)
    # "read" or "read write".
    scopes = models.CharField(max_length=20, default=READ)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "core"
        ordering = ["-created_at", "-id"]
        verbose_name = _("APIトークン")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def allows(self, scope: str) -> bool:
        return scope in self.scope_list

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: User, name: str, write: bool = False, via: AuditVia | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user``: (the token, its plain text — shown once, never stored).

    Refuses an empty or too long name and more than LIVE_MAX live tokens. Audited."""
    name = (name or "").strip()
    if not name:
        raise DomainError("api_token_name_required", field="name")
    if len(name) > NAME_MAX:
        raise DomainError("api_token_name_too_long", field="name", max=NAME_MAX)
    live = ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
    if len(live) >= LIVE_MAX:
        raise DomainError("api_token_too_many", max=LIVE_MAX)
    prefix = secrets.token_hex(6)
    plaintext = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        hash=_digest(plaintext),
        scopes=f"{READ} {WRITE}" if write else READ,
        created_at=clock.now(),
    )
    audit_record(
        action=AuditAction.API_TOKEN_CREATE,
        actor=user,
        municipality=user.municipality,
        target=token,
        data={"name": name, "scopes": token.scopes, "prefix": prefix},
        via=via,
    )
    return token, plaintext


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User, via: AuditVia | None = None) -> ApiToken:
    """Revokes ``token`` at once (a revoked token authenticates nothing). Only its holder
    revokes it here; revoking twice changes nothing more. Audited."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.user_id != by.pk:
        raise DomainError("api_token_not_yours")
    if token.revoked_at is not None:
        return token
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        action=AuditAction.API_TOKEN_REVOKE,
        actor=by,
        municipality=by.municipality,
        target=token,
        data={"name": token.name, "prefix": token.prefix},
        via=via,
    )
    return token


def api_token_authenticate(plaintext: str) -> ApiToken | None:
    """The live token of an active user that ``plaintext`` is, or None. Marks it used."""
    parts = (plaintext or "").split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != 12:
        return None
    token = (
        ApiToken.objects.select_related("user__municipality")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.hash, _digest(plaintext)):
        return None
    if not token.user.is_active:
        return None
    now = clock.now()
    # One write a minute at most: a busy client does not turn every read into a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_tokens_of(*, user: User) -> list[ApiToken]:
    """The holder's tokens, live ones first, newest first."""
    return sorted(
        ApiToken.objects.filter(user=user), key=lambda t: (t.revoked_at is not None, -t.pk)
    )
