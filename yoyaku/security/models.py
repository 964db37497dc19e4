"""The record of every log-in attempt, which throttling and the staff signals read."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yoyaku.core.models import Municipality, User


class LoginAttempt(models.Model):
    """One log-in attempt: what was typed (never the password), from where, and the outcome.

    ``network`` is the key throttling counts by: the IPv4 address itself, or the /64 of an
    IPv6 address, because one IPv6 client usually controls a whole /64 and could otherwise
    start afresh with every address in it. The user agent is kept only as a SHA-256 hash: it
    tells devices apart for the shared-ID signal without storing what the browser sent.

    ``throttled`` attempts were refused before the password was checked: they count for the
    staff signals but not towards the delays (else a client retrying while blocked would
    keep extending its own block).

    ``pending`` attempts are on record while their password is being checked: they are not
    failures (30 people logging in at once from one address are not an attack), but their
    number is bounded, and one left pending by a request that died counts as a failure after
    ``yoyaku.security.services.PENDING_TIMEOUT``.
    """

    at = models.DateTimeField()
    municipality = models.ForeignKey(
        Municipality, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=User.Kind.choices)
    login_id = models.CharField(max_length=50)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    network = models.CharField(max_length=50, blank=True)
    user_agent_hash = models.CharField(max_length=64, blank=True)
    succeeded = models.BooleanField()
    throttled = models.BooleanField(default=False)
    pending = models.BooleanField(default=False)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("ログイン試行")
        indexes = [
            # Throttle check: one client's counted (not throttled) attempts in the window; the
            # (client, login id) pair's attempts are a subset of these few rows.
            models.Index(fields=["network", "throttled", "at"], name="login_attempt_network"),
            # Staff signals: a municipality's attempts in the last hour, day and week.
            models.Index(fields=["municipality", "at"], name="login_attempt_municipality"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(succeeded=True, throttled=True),
                name="login_attempt_throttled_not_succeeded",
            )
        ]

    def __str__(self) -> str:
        outcome = (
            "ok"
            if self.succeeded
            else "throttled"
            if self.throttled
            else "pending"
            if self.pending
            else "failed"
        )
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind}:{self.login_id} {self.network} {outcome}"


class ActionAttempt(models.Model):
    """One attempt of an anonymous action limited per client, e.g. storing an attachment.

    Counted like log-in attempts: by ``network`` (the IPv4 address, or the IPv6 /64) over a
    sliding window. Refused attempts (``allowed`` false) are kept for the record but do not
    count towards the limit, so a client retrying while refused does not extend its own wait.
    """

    at = models.DateTimeField()
    action = models.CharField(max_length=50)
    network = models.CharField(max_length=50, blank=True)
    allowed = models.BooleanField(default=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("操作の試行")
        indexes = [
            # The limit check: one client's allowed attempts of one action in the window.
            models.Index(
                fields=["action", "network", "allowed", "at"], name="action_attempt_client"
            ),
        ]

    def __str__(self) -> str:
        outcome = "ok" if self.allowed else "refused"
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.network} {outcome}"


class Passkey(models.Model):
    """A passkey (WebAuthn public-key credential) of a person: a registrant logs in with it
    instead of a password, a staff member uses it as the second factor instead of a TOTP code.

    Only the public key is stored; the private key never leaves the person's device.
    ``credential_id`` is the authenticator's id in base64url (at most 1023 bytes, RFC 4648
    without padding). ``sign_count`` is the authenticator's counter at the last use: a lower or
    equal value later (when the authenticator counts at all) means a cloned key and is refused.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="passkeys")
    credential_id = models.CharField(max_length=1400, unique=True)
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    name = models.CharField(max_length=60)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("パスキー")

    def __str__(self) -> str:
        return f"{self.user_id}:{self.name}"
