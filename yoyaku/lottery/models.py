"""Lottery rounds (抽選), applications with ranked choices, and their results."""

from __future__ import annotations

import gzip
import json

import pgtrigger
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yoyaku.core.models import AppendOnly, Municipality, User
from yoyaku.facilities.models import Slot, Unit
from yoyaku.lottery.public_value import drand_url
from yoyaku.registrants.models import Registrant


class LotteryRound(models.Model):
    """A lottery over some units and use dates.

    From creation until ``first_come_opens_at`` the covered unit-dates cannot be booked
    first-come; the calendars show them as 抽. The seed's SHA-256 is published before the
    application window closes; the seed itself after the drawing (see lottery.algorithm).

    Rounds of ``yoyaku-lottery-2`` never store their seed before the drawing: it is derived
    from the operator's secret key (``LOTTERY_SEED_KEY``, outside this database) and the
    public ``seed_nonce``. They name a public value's source before applications open; the
    value is entered by one staff member and confirmed by another before the drawing.
    Rounds made before (``yoyaku-lottery-1``) keep their stored seed and draw with it.
    """

    ALGORITHM_1 = "yoyaku-lottery-1"
    ALGORITHM_2 = "yoyaku-lottery-2"

    class PublicSource(models.TextChoices):
        DRAND = "drand", _("drand（公開乱数ビーコン）")
        NAMED_DRAW = "named_draw", _("公開の抽せん（宝くじの当せん番号など）")

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
    algorithm = models.CharField(max_length=20, default=ALGORITHM_1, editable=False)
    # Public and random, made with the round: with the secret key it gives the seed.
    seed_nonce = models.CharField(max_length=64, blank=True, editable=False)
    # The public value (RFC 3797 style): its source is fixed before applications open.
    public_source_kind = models.CharField(max_length=12, choices=PublicSource.choices, blank=True)
    public_source_text = models.CharField(
        max_length=200, blank=True, help_text="公開乱数の出典（例：第1234回ロト6の本数字）"
    )
    public_source_round = models.PositiveBigIntegerField(null=True, blank=True)
    public_value_at = models.DateTimeField(
        null=True, blank=True, help_text="公開乱数が決まる日時（受付終了より後）"
    )
    public_value = models.CharField(max_length=200, blank=True)
    public_value_entered_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    public_value_entered_at = models.DateTimeField(null=True, blank=True)
    public_value_confirmed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    public_value_confirmed_at = models.DateTimeField(null=True, blank=True)
    # The applications frozen when the window closed: their canonical lines (algorithm),
    # gzip-compressed, and the SHA-256 published from then on.
    applications_sha256 = models.CharField(max_length=64, blank=True)
    applications_frozen_at = models.DateTimeField(null=True, blank=True)
    applications_gzip = models.BinaryField(null=True, blank=True, editable=False)
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
            # Four eyes: the value is confirmed by someone else than who entered it.
            models.CheckConstraint(
                condition=Q(public_value_confirmed_by__isnull=True)
                | (
                    Q(public_value_entered_by__isnull=False)
                    & ~Q(public_value_confirmed_by=models.F("public_value_entered_by"))
                ),
                name="lottery_public_value_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(public_value_at__isnull=True)
                | Q(public_value_at__gt=models.F("applications_close_at")),
                name="lottery_public_value_after_close",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def uses_public_value(self) -> bool:
        return self.algorithm == self.ALGORITHM_2

    @property
    def public_value_confirmed(self) -> bool:
        return bool(self.public_value) and self.public_value_confirmed_at is not None

    @property
    def public_source(self) -> dict:
        """The source as published (lottery.algorithm's ``public_value.source``)."""
        if not self.public_source_kind:
            return {}
        source: dict = {"kind": self.public_source_kind, "description": self.public_source_text}
        if self.public_source_round is not None:
            source["round"] = self.public_source_round
        if self.public_value_at is not None:
            source["produced_at"] = self.public_value_at.isoformat()
        if self.public_source_kind == self.PublicSource.DRAND and self.public_source_round:
            source["url"] = drand_url(self.public_source_round)
        return source

    @property
    def published(self) -> dict | None:
        """The published document, parsed (None before the drawing)."""
        if self.published_gzip is None:
            return None
        return json.loads(gzip.decompress(self.published_gzip))

    def publish(self, document_text: str) -> None:
        """Keep ``document_text`` (``publication.document_dumps``) as the published document;
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
    # A runner-up's win (次点の繰り上げ) has its own confirmation deadline; others use the
    # round's.
    confirm_by = models.DateTimeField(null=True, blank=True)
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


class LotteryCommitmentQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("lottery commitments cannot be changed")

    def delete(self):
        raise AppendOnly("lottery commitments cannot be deleted")


class LotteryCommitment(models.Model):
    """The public log of what a round committed to, and when (append-only).

    The model refuses to save an existing row or delete one, its query set refuses
    ``update()`` and ``delete()``, and on PostgreSQL a trigger refuses UPDATE and DELETE."""

    class Kind(models.TextChoices):
        SEED_COMMITTED = "seed", _("乱数の種（シード）のハッシュを公開")
        SOURCE_FIXED = "source", _("公開乱数の出典を決定")
        VALUE_ENTERED = "value_entered", _("公開乱数の値を入力")
        VALUE_CONFIRMED = "value_confirmed", _("公開乱数の値を別の職員が確認")
        APPLICATIONS_FROZEN = "frozen", _("申込みの一覧を確定（ハッシュを公開）")
        DRAWN = "drawn", _("抽選を実施・結果を公開")

    round = models.ForeignKey(LotteryRound, on_delete=models.PROTECT, related_name="commitments")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField()
    # What was committed to, as shown publicly: a hash, the source, the value.
    value = models.TextField(blank=True)

    objects = LotteryCommitmentQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("抽選の公開記録")
        triggers = [
            pgtrigger.Protect(
                name="lottery_commitment_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("lottery commitments cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("lottery commitments cannot be deleted")
