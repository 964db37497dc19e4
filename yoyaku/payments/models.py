"""Money: an append-only ledger, payments taken by providers, refunds, webhook events.

The ledger is the truth about money. Every charge (使用料), change of fee on recalculation,
cancellation fee, payment, refund and adjustment is one immutable ``LedgerEntry`` in integer
yen, signed from the registrant's side: positive entries are owed by the registrant, negative
ones settle or reduce what is owed. A reservation's balance is the sum of its entries: above
zero it is still to be paid, below zero the municipality owes a refund. Nothing is updated in
place; a mistake is corrected by another entry.

``Payment`` and ``Refund`` rows follow the money at a provider (or the counter) and are the
only rows here whose status changes, each through its service.
"""

from __future__ import annotations

import pgtrigger
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yoyaku.core.models import AppendOnly, AuditVia, Municipality, User
from yoyaku.registrants.models import Registrant
from yoyaku.reservations.models import Reservation


class LedgerQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("ledger entries cannot be changed")

    def delete(self):
        raise AppendOnly("ledger entries cannot be deleted")


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        CHARGE = "charge", _("使用料")
        FEE_CHANGE = "fee_change", _("使用料の再計算")
        CHARGE_CANCELLED = "charge_cancelled", _("使用料の取消")
        CANCELLATION_FEE = "cancellation_fee", _("取消料")
        PAYMENT = "payment", _("入金")
        REFUND = "refund", _("返金")
        ADJUSTMENT = "adjustment", _("調整")

    # Kinds that say what is owed (the rest say what was paid or given back).
    CHARGES = (Kind.CHARGE, Kind.FEE_CHANGE, Kind.CHARGE_CANCELLED, Kind.CANCELLATION_FEE)

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    registrant = models.ForeignKey(
        Registrant, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    reservation = models.ForeignKey(
        Reservation, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.IntegerField(help_text="円。正は利用者の負担、負は入金・減額")
    payment = models.ForeignKey(
        "Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    refund = models.ForeignKey(
        "Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    at = models.DateTimeField()
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    via = models.CharField(max_length=10, choices=AuditVia.choices)
    note = models.CharField(max_length=200, blank=True)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("会計記録")
        indexes = [models.Index(fields=["registrant", "reservation"], name="ledger_owner")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_amount_not_zero"),
            models.CheckConstraint(
                condition=~Q(kind="payment") | (Q(amount__lt=0) & Q(payment__isnull=False)),
                name="ledger_payment_settles",
            ),
            models.CheckConstraint(
                condition=~Q(kind="refund") | (Q(amount__gt=0) & Q(refund__isnull=False)),
                name="ledger_refund_returns",
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="ledger_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount:+,}円"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("ledger entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("ledger entries cannot be deleted")


class Payment(models.Model):
    """One attempt to take money for a reservation: online at a provider, or at the counter."""

    class Status(models.TextChoices):
        CREATED = "created", _("手続き中")
        PENDING = "pending", _("支払待ち")
        SUCCEEDED = "succeeded", _("支払済み")
        FAILED = "failed", _("失敗")
        EXPIRED = "expired", _("期限切れ")
        CANCELED = "canceled", _("中止")

    OPEN = (Status.CREATED, Status.PENDING)

    class Method(models.TextChoices):
        CARD = "card", _("クレジットカード")
        KONBINI = "konbini", _("コンビニ払い")
        PAYPAY = "paypay", _("PayPay")
        COUNTER = "counter", _("窓口払い")
        TRANSFER = "transfer", _("銀行振込")

    ONLINE_METHODS = (Method.CARD, Method.KONBINI, Method.PAYPAY)

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    registrant = models.ForeignKey(Registrant, on_delete=models.PROTECT, related_name="payments")
    reservation = models.ForeignKey(Reservation, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=20, help_text="sandbox / stripe / paypay / counter")
    method = models.CharField(max_length=10, choices=Method.choices)
    amount = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CREATED)
    # Our idempotency key: the provider sees it on every call that could take money.
    key = models.CharField(max_length=64, unique=True)
    ref = models.CharField(max_length=100, blank=True, help_text="決済事業者の番号")
    redirect_url = models.URLField(max_length=1000, blank=True)
    code = models.CharField(max_length=40, blank=True, help_text="コンビニ払込番号")
    receipt_number = models.CharField(max_length=40, blank=True, help_text="窓口・振込の受付番号")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()
    # A payment that arrived for a reservation no longer to be paid (e.g. after its deadline):
    # refunded automatically and shown to staff.
    late = models.BooleanField(default=False)
    # まとめて支払う: the payments of one checkout for several reservations of a bundle share
    # this key (sent to the provider as the idempotency key of the checkout) and the
    # provider's ref; each row is one reservation's share of the one charge.
    group = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("支払い")
        constraints = [
            # Double clicks, two tabs, the back button: one open payment per reservation.
            models.UniqueConstraint(
                fields=["reservation"],
                condition=Q(status__in=["created", "pending"]),
                name="payment_one_open_per_reservation",
            ),
            # A provider's payment is ours once, or shared by the rows of one checkout group.
            models.UniqueConstraint(
                fields=["provider", "ref"],
                condition=~Q(ref="") & Q(group=""),
                name="payment_provider_ref",
            ),
            models.UniqueConstraint(
                fields=["group", "reservation"],
                condition=~Q(group=""),
                name="payment_group_one_per_reservation",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount:,}円 {self.get_status_display()}"


class Refund(models.Model):
    """Money given back through the provider that took it (or in cash at the counter)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("返金手続き中")
        SUCCEEDED = "succeeded", _("返金済み")
        FAILED = "failed", _("返金できませんでした")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    key = models.CharField(max_length=64, unique=True)
    ref = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("返金")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.amount:,}円 {self.get_status_display()}"


class WebhookEvent(models.Model):
    """Each provider event once: a duplicate is recognised by (provider, event_id)."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=60, blank=True)
    payment_ref = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    # "applied", "no change", "unknown payment" (kept for staff), "error: …"
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("決済通知")
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id} {self.outcome}"
