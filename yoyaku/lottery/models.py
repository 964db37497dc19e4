"""Lottery rounds (抽選). This issue keeps only what the calendars need to show 抽."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yoyaku.core.models import Municipality
from yoyaku.facilities.models import Unit


class LotteryRound(models.Model):
    """A lottery over some units and use dates.

    From creation until ``first_come_opens_at`` the covered unit-dates cannot be booked
    first-come; the calendars show them as 抽.
    """

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="lottery_rounds"
    )
    name = models.CharField(max_length=100)
    units = models.ManyToManyField(Unit, related_name="lottery_rounds")
    use_from = models.DateField()
    use_until = models.DateField()
    applications_open_at = models.DateTimeField()
    applications_close_at = models.DateTimeField()
    draw_at = models.DateTimeField()
    first_come_opens_at = models.DateTimeField()

    class Meta:
        ordering = ["use_from", "id"]
        verbose_name = _("抽選")
        constraints = [
            models.CheckConstraint(
                condition=Q(use_from__lte=models.F("use_until")), name="lottery_use_ordered"
            ),
            models.CheckConstraint(
                condition=Q(applications_open_at__lt=models.F("applications_close_at"))
                & Q(applications_close_at__lte=models.F("draw_at"))
                & Q(draw_at__lte=models.F("first_come_opens_at")),
                name="lottery_times_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name
