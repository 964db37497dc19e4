"""Where notifications go besides e-mail: LINE links, link codes and LINE deliveries.

A link belongs to a log-in account (``core.User``), not to the registrant row, so this app stays
below the registrant app; a registrant has one account, and an account one municipality.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yoyaku.core.models import Municipality, User


class Kind(models.TextChoices):
    """What a message is about: decides which channels besides e-mail may carry it."""

    REMINDER = "reminder", _("リマインダー")
    LOTTERY_RESULT = "lottery_result", _("抽選結果")
    WAITLIST_OFFER = "waitlist_offer", _("キャンセル待ちの案内")
    PAYMENT_REMINDER = "payment_reminder", _("お支払いのお願い")
    CANCELLATION = "cancellation", _("取消のお知らせ")
    # Everything else (registration decisions, password resets, e-mail confirmations, …):
    # e-mail only.
    OTHER = "other", _("その他")


class LineLink(models.Model):
    """LINE通知: the LINE user of a municipality's official account that gets the account's
    notifications. Deleted on unlinking (by the registrant or an "unfollow"): nothing of the
    LINE user is kept after it."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="line_link")
    # LINE's userId for this official account (U + 32 hex digits).
    line_user_id = models.CharField(max_length=64)
    linked_at = models.DateTimeField()

    class Meta:
        verbose_name = _("LINE連携")
        indexes = [models.Index(fields=["municipality", "line_user_id"], name="line_link_by_id")]

    def __str__(self) -> str:
        return f"LINE link of user {self.user_id}"


class LineLinkCode(models.Model):
    """The one-time code shown on my page that the registrant sends to the official account:
    valid 10 minutes, used once; issuing a new one ends the previous one."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="line_link_codes")
    code = models.CharField(max_length=8)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("LINE連携コード")
        constraints = [
            # Two codes open at once in one municipality would make a sent code ambiguous.
            models.UniqueConstraint(
                fields=["municipality", "code"],
                condition=Q(used_at__isnull=True),
                name="line_link_code_open_unique",
            )
        ]

    def __str__(self) -> str:
        return f"LINE link code #{self.pk} of user {self.user_id}"


class LineDelivery(models.Model):
    """One LINE push message: created with the change that causes it, pushed by a task after
    commit, tried again after 429 / 5xx / no answer, given up after any other 4xx. The text is
    cleared once the delivery is over."""

    class Status(models.TextChoices):
        PENDING = "pending", _("送信待ち")
        SENT = "sent", _("送信済み")
        FAILED = "failed", _("送信失敗")
        CANCELLED = "cancelled", _("中止（連携解除）")

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    # Set null on unlinking: a delivery still waiting then goes nowhere.
    link = models.ForeignKey(
        LineLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    text = models.TextField(blank=True)
    # Sent as X-Line-Retry-Key: LINE accepts a retried push once (409 for a repeat).
    retry_key = models.UUIDField(default=uuid.uuid4, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("LINE送信")
        indexes = [
            # Uses: the minute job's "pending and due".
            models.Index(fields=["status", "next_attempt_at"], name="line_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"LINE delivery #{self.pk} ({self.status})"
