"""キャンセル待ち: a registrant waits for a full slot or full nights; freed capacity is held
for one waiter at a time (an ``Offer``), drawn at random among the waiters of that need.

A wait is for exactly what a booking would be (unit, date, slots, or nights and rooms, and the
party), so that accepting an offer is a normal booking of it. An offer holds the capacity with a
``UnitBlock`` (its occupancy rows: the unique key still guarantees no double booking) until it
is accepted, declined or its deadline passes.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yoyaku.facilities.models import Facility, Purpose, Slot, Unit
from yoyaku.registrants.models import Registrant
from yoyaku.reservations.models import Reservation, UnitBlock


class Wait(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("キャンセル待ち中")
        OFFERED = "offered", _("案内中")
        ACCEPTED = "accepted", _("予約済み")
        DECLINED = "declined", _("辞退")
        EXPIRED = "expired", _("案内の期限切れ")
        WITHDRAWN = "withdrawn", _("取下げ")
        CLOSED = "closed", _("受付終了")

    ACTIVE = (Status.WAITING, Status.OFFERED)

    registrant = models.ForeignKey(Registrant, on_delete=models.PROTECT, related_name="waits")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    use_date = models.DateField()
    nights = models.PositiveSmallIntegerField(default=1)
    rooms = models.PositiveSmallIntegerField(default=1)
    slots = models.ManyToManyField(Slot, blank=True, related_name="+")
    adults = models.PositiveSmallIntegerField(default=0)
    children = models.PositiveSmallIntegerField(default=0)
    infants = models.PositiveSmallIntegerField(default=0)
    party_size = models.PositiveIntegerField(default=0)
    purpose = models.ForeignKey(Purpose, null=True, blank=True, on_delete=models.PROTECT)
    commercial = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["use_date", "created_at", "id"]
        verbose_name = _("キャンセル待ち")
        indexes = [
            models.Index(fields=["facility", "status", "use_date"], name="wait_facility_status"),
            models.Index(fields=["registrant", "status"], name="wait_registrant_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(nights__gte=1), name="wait_nights_positive"),
            models.CheckConstraint(condition=Q(rooms__gte=1), name="wait_rooms_positive"),
        ]

    def __str__(self) -> str:
        return f"wait #{self.pk} {self.unit_id} {self.use_date} {self.status}"

    @property
    def last_date(self) -> dt.date:
        return self.use_date + dt.timedelta(days=(self.nights if self.unit.is_lodging else 1) - 1)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class Offer(models.Model):
    """The capacity held for one waiter until ``deadline``."""

    class Status(models.TextChoices):
        OPEN = "open", _("回答待ち")
        ACCEPTED = "accepted", _("受諾")
        DECLINED = "declined", _("辞退")
        EXPIRED = "expired", _("期限切れ")

    wait = models.ForeignKey(Wait, on_delete=models.PROTECT, related_name="offers")
    # The hold: a block whose occupancy rows keep the capacity for this offer (and, declined or
    # expired, for the next waiter's offer). Gone once accepted or given back to first-come.
    block = models.ForeignKey(
        UnitBlock, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The first offer of a hold; the offers that passed it on point to it (one chain).
    chain = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    offered_at = models.DateTimeField()
    deadline = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    reservation = models.ForeignKey(
        Reservation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The draw: the seed and the waiters' pseudonyms in drawn order (also in the public log).
    seed = models.CharField(max_length=64)
    order = models.JSONField(default=list)

    class Meta:
        ordering = ["-offered_at", "-id"]
        verbose_name = _("キャンセル待ちの案内")
        indexes = [models.Index(fields=["status", "deadline"], name="offer_status_deadline")]
        constraints = [
            models.UniqueConstraint(
                fields=["wait"], condition=Q(status="open"), name="offer_one_open_per_wait"
            ),
            models.UniqueConstraint(
                fields=["block"], condition=Q(status="open"), name="offer_one_open_per_block"
            ),
        ]

    def __str__(self) -> str:
        return f"offer #{self.pk} of wait {self.wait_id} {self.status}"
