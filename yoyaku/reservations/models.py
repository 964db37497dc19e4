"""Occupancy — the table that makes double booking impossible — and staff blocks.

Reservations (issue 4) and staff blocks both take capacity by writing ``Occupancy`` rows.
One row is one *atom* of one *leaf* unit on one date:

* time-slot units: the atom is a basic slot of the unit's schedule, identified by its start
  minute after midnight (午前 9:00 → 540);
* lodging units: the atom is one physical room (1 … room_count) for the night of ``date``.

A booking of a whole (アリーナ全面) writes rows for each of its leaves (半面A, 半面B), so the
unique key (unit, date, atom) refuses any overlap between a whole and its parts, and a room type
with N rooms can never be sold more than N times a night. This works the same on PostgreSQL and
SQLite; the application checks first only to give a friendly message.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yoyaku.core.models import User
from yoyaku.facilities.models import Slot, Unit


class UnitBlock(models.Model):
    """Staff take a unit out of booking for repairs or municipal events (利用停止)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="blocks")
    start_date = models.DateField()
    end_date = models.DateField()
    slot = models.ForeignKey(
        Slot, null=True, blank=True, on_delete=models.PROTECT, help_text="空欄は終日"
    )
    rooms = models.PositiveSmallIntegerField(null=True, blank=True, help_text="宿泊: 空欄は全室")
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["start_date", "id"]
        verbose_name = _("利用停止")
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__lte=models.F("end_date")), name="unit_block_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.start_date}–{self.end_date} {self.reason}"


class Occupancy(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="occupancies")
    date = models.DateField()
    atom = models.PositiveSmallIntegerField()
    block = models.ForeignKey(
        UnitBlock, null=True, blank=True, on_delete=models.CASCADE, related_name="occupancies"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "date", "atom"], name="occupancy_no_overlap"),
        ]
        indexes = [models.Index(fields=["date", "unit"], name="occupancy_date_unit")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.date} {self.atom}"
