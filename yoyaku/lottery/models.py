"""Lottery rounds (抽選), applications with ranked choices, and their results."""

from __future__ import annotations

import gzip
import json

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yoyaku.core.models import Municipality
from yoyaku.facilities.models import Slot, Unit
from yoyaku.registrants.models import Registrant


class LotteryRound(models.Model):
    """A lottery over some units and use dates.

    From creation until ``first_come_opens_at`` the covered unit-dates cannot be booked
    first-come; the calendars show them as 抽. The seed's SHA-256 is published before the
    application window closes; the seed itself after the drawing (see lottery.algorithm).
    """

    class Status(models.TextChoices):
        # Only whether the drawing happened is stored; before it, the phase (受付前 / 受付中 /
        # 受付終了) follows from the times (lottery.services.phase), so no job has to move it.
        SCHEDULED = "scheduled", _("抽選前")
        DRAWN = "drawn", _("抽選済み")

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
    confirm_deadline = models.DateTimeField(
        null=True, blank=True, help_text="当選者の確認（支払）期限。過ぎると当選は取消"
    )
    first_come_opens_at = models.DateTimeField()
    # Limits and settings (rules of the round).
    max_applications_per_registrant = models.PositiveSmallIntegerField(default=2)
    max_choices = models.PositiveSmallIntegerField(default=3)
    max_wins_per_registrant = models.PositiveSmallIntegerField(default=1)
    eligible_categories = models.JSONField(
        default=list,
        blank=True,
        help_text="申込みできる区分（resident / worker / other）。空は全員",
    )
    groups_first = models.BooleanField(default=False, help_text="登録団体を優先（団体を先に抽選）")
    loser_weight_rounds = models.PositiveSmallIntegerField(
        default=0, help_text="直近N回の抽選で落選した人の当選確率を2倍にする（0はしない）"
    )
    cancelled_win_release_hours = models.PositiveSmallIntegerField(
        default=0, help_text="取消された当選枠を先着受付に出すまでの時間"
    )
    # Fair and verifiable drawing.
    seed = models.CharField(max_length=64, blank=True, help_text="抽選後に公開（16進）")
    seed_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    drawn_at = models.DateTimeField(null=True, blank=True)
    # The published document (lottery.algorithm's format) as gzip-compressed JSON text, one
    # application per line: 100,000 applications are 30 MB of JSON, which PostgreSQL took
    # seconds to parse into jsonb and compress inside the drawing's transaction; gzip (level
    # 1) is 0.3 s, and the page that offers the file sends these bytes as they are.
    published_gzip = models.BinaryField(null=True, blank=True, editable=False)

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
            models.CheckConstraint(
                condition=Q(max_choices__gte=1) & Q(max_choices__lte=3),
                name="lottery_max_choices_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def published(self) -> dict | None:
        """The published document, parsed (None before the drawing)."""
        if self.published_gzip is None:
            return None
        return json.loads(gzip.decompress(self.published_gzip))

    def publish(self, document_text: str) -> None:
        """Keep ``document_text`` (``algorithm.document_dumps``) as the published document;
        the caller saves ``published_gzip``."""
        self.published_gzip = gzip.compress(document_text.encode(), compresslevel=1, mtime=0)


class LotteryApplication(models.Model):
    """抽選申込み: up to three ranked choices; at most one of them wins."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("申込み済み")
        WITHDRAWN = "withdrawn", _("取下げ")
        WON = "won", _("当選")
        LOST = "lost", _("落選")

    round = models.ForeignKey(LotteryRound, on_delete=models.CASCADE, related_name="applications")
    registrant = models.ForeignKey(
        Registrant, on_delete=models.PROTECT, related_name="lottery_applications"
    )
    pseudonym = models.CharField(max_length=24, help_text="公開データでの匿名ID")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    won_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "pseudonym"], name="lottery_pseudonym_unique")
        ]
        indexes = [models.Index(fields=["round", "status"], name="lottery_application_status")]

    def __str__(self) -> str:
        return f"{self.round} {self.pseudonym}"


class LotteryChoice(models.Model):
    application = models.ForeignKey(
        LotteryApplication, on_delete=models.CASCADE, related_name="choices"
    )
    rank = models.PositiveSmallIntegerField()
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    use_date = models.DateField()
    nights = models.PositiveSmallIntegerField(default=1)
    rooms = models.PositiveSmallIntegerField(default=1)
    adults = models.PositiveSmallIntegerField(default=0)
    children = models.PositiveSmallIntegerField(default=0)
    infants = models.PositiveSmallIntegerField(default=0)
    party_size = models.PositiveIntegerField(default=0)
    slots = models.ManyToManyField(Slot, blank=True, related_name="+")

    class Meta:
        ordering = ["application", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["application", "rank"], name="lottery_choice_rank"),
            models.CheckConstraint(
                condition=Q(rank__gte=1) & Q(rank__lte=3), name="lottery_choice_rank_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} #{self.rank} {self.unit_id} {self.use_date}"


class LotteryRoundSchedule(models.Model):
    """A round opened every month by itself (``lottery.schedules.rounds_from_schedules``).

    From the 1st of each month the round for the whole month ``months_ahead`` months later is
    created, with its times in the month of creation: applications from ``open_day`` 8:00 to
    ``close_day`` 23:59, drawing on ``draw_day`` 10:00, wins confirmed until ``confirm_days``
    days after the drawing at 23:59, first-come from the next day 9:00. Days are 1–28 so that
    every month has them. The round's name comes from ``name_template`` ({year}, {month} of
    the month of use) and is what makes the creation happen once per month.
    """

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="lottery_schedules"
    )
    name_template = models.CharField(
        max_length=100,
        help_text="抽選の名前。{year}・{month} は利用月（例：{year}年{month}月利用分）",
    )
    units = models.ManyToManyField(Unit, related_name="lottery_schedules")
    months_ahead = models.PositiveSmallIntegerField(
        default=2, help_text="作成した月のNか月後の1か月間が抽選の対象"
    )
    open_day = models.PositiveSmallIntegerField(help_text="受付開始日（8:00）")
    close_day = models.PositiveSmallIntegerField(help_text="受付終了日（23:59）")
    draw_day = models.PositiveSmallIntegerField(help_text="抽選日（10:00）")
    confirm_days = models.PositiveSmallIntegerField(
        default=5, help_text="当選の確認期限：抽選日のN日後の23:59。先着受付はその翌日9:00から"
    )
    # Copied to every round it creates.
    max_applications_per_registrant = models.PositiveSmallIntegerField(default=2)
    max_choices = models.PositiveSmallIntegerField(default=3)
    max_wins_per_registrant = models.PositiveSmallIntegerField(default=1)
    eligible_categories = models.JSONField(default=list, blank=True)
    groups_first = models.BooleanField(default=False)
    loser_weight_rounds = models.PositiveSmallIntegerField(default=0)
    cancelled_win_release_hours = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["municipality", "id"]
        verbose_name = _("定期抽選")
        constraints = [
            # Two schedules with one template would make the same round name every month.
            models.UniqueConstraint(
                fields=["municipality", "name_template"], name="lottery_schedule_name_unique"
            ),
            models.CheckConstraint(
                condition=Q(open_day__gte=1)
                & Q(open_day__lte=models.F("close_day"))
                & Q(close_day__lt=models.F("draw_day"))
                & Q(draw_day__lte=28),
                name="lottery_schedule_days_ordered",
            ),
            # First-come opens (draw_day + confirm_days days after the 1st) before the month of
            # use begins, even after a February.
            models.CheckConstraint(
                condition=Q(months_ahead__gte=1)
                & Q(draw_day__lt=models.F("months_ahead") * 28 - models.F("confirm_days")),
                name="lottery_schedule_before_use",
            ),
            models.CheckConstraint(
                condition=Q(max_choices__gte=1) & Q(max_choices__lte=3),
                name="lottery_schedule_max_choices_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name_template
