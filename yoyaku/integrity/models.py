"""Multiple accounts and shared IDs (多重登録・ID共有, Ukiha art. 11.4 and 11.5): the evidence.

Least data: a sighting keeps keyed hashes (HMAC, key derived from ``SECRET_KEY``) of the
browser's device cookie and of the client's network prefix (IPv4 /24, IPv6 /64), never the
raw values, and is deleted after ``services.SIGHTING_RETENTION``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yoyaku.core.models import Municipality, User
from yoyaku.lottery.models import LotteryRound
from yoyaku.registrants.models import Registrant


class Sighting(models.Model):
    """A registrant was seen doing something that counts (register, log in, apply to a
    lottery) from a device and a network, both known only by their keyed hashes."""

    class Kind(models.TextChoices):
        REGISTRATION = "registration", _("利用者登録の申請")
        LOGIN = "login", _("ログイン")
        LOTTERY_APPLY = "lottery_apply", _("抽選の申込み")

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    registrant = models.ForeignKey(Registrant, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField()
    # HMAC-SHA256 (hex) of the device cookie; blank when the request carried none (the API).
    device_hash = models.CharField(max_length=64, blank=True)
    # HMAC-SHA256 (hex) of the client's IPv4 /24 or IPv6 /64; blank when unknown.
    network_hash = models.CharField(max_length=64, blank=True)
    lottery_round = models.ForeignKey(
        LotteryRound, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("利用の記録（端末・接続元）")
        indexes = [
            # The signals group a municipality's sightings by device and by network.
            models.Index(fields=["municipality", "device_hash"], name="sighting_device"),
            models.Index(fields=["municipality", "network_hash", "at"], name="sighting_network"),
            # The nightly pruning.
            models.Index(fields=["at"], name="sighting_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} registrant#{self.registrant_id}"


class SignalDecision(models.Model):
    """What staff decided about one cluster of a signal, with the reason they gave.

    ``fingerprint`` names the evidence: the signal's kind, what matched and who matched. A
    dismissed fingerprint is not shown again; new evidence (another registrant joining, a
    different device) has another fingerprint and comes back.
    """

    class Outcome(models.TextChoices):
        DISMISSED = "dismissed", _("問題なし")
        WARNED = "warned", _("警告")
        MERGED = "merged", _("統合")
        DELETED = "deleted", _("抹消")

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30)
    fingerprint = models.CharField(max_length=64)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    registrant_ids = models.JSONField(default=list)
    reason = models.TextField()
    decided_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = _("多重登録の疑いへの対応")
        indexes = [
            models.Index(fields=["municipality", "fingerprint"], name="signal_decision_fp"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "fingerprint"],
                condition=models.Q(outcome="dismissed"),
                name="signal_decision_one_dismissal",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.outcome} {self.fingerprint[:8]}"
