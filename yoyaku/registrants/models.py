"""Registrants (登録者): people and groups who may book. Registration itself is issue 3."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yoyaku.core.models import Municipality, User


class Registrant(models.Model):
    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("個人")
        GROUP = "group", _("団体")

    class Category(models.TextChoices):
        RESIDENT = "resident", _("在住")
        WORKER = "worker", _("在勤")
        OTHER = "other", _("区域外")

    class Status(models.TextChoices):
        APPLIED = "applied", _("審査中")
        ACTIVE = "active", _("登録済")
        EXPIRED = "expired", _("有効期限切れ")
        DEREGISTERED = "deregistered", _("廃止")
        DELETED = "deleted", _("抹消")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="registrants"
    )
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="registrant")
    user_number = models.CharField(max_length=10)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.INDIVIDUAL)
    category = models.CharField(max_length=20, choices=Category.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPLIED)
    name_kana = models.CharField(max_length=100)
    name = models.CharField(max_length=100)
    group_name = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField()
    phone = models.CharField(max_length=20)
    email = models.EmailField(blank=True)
    postal_code = models.CharField(max_length=8)
    prefecture = models.CharField(max_length=10)
    city = models.CharField(max_length=50)
    street = models.CharField(max_length=200)
    registered_at = models.DateTimeField()
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("登録者")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "user_number"], name="registrant_user_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality.slug}:{self.user_number}"
