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

import pgtrigger
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yoyaku.core.models import Municipality, User
from yoyaku.facilities.models import Purpose, ReductionCategory, Slot, Unit
from yoyaku.registrants.models import Registrant


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
    # Capacity held back after a cancelled lottery win until this time (then released).
    release_at = models.DateTimeField(null=True, blank=True)

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


class ReservationBundle(models.Model):
    """予約のまとまり: several reservations booked, mailed, permitted and cancelled as one.

    ``whole``: several units at once (全館, every room of a floor, a hall with its green room);
    ``series``: one unit on several dates (定期利用, e.g. every Tuesday 夜間 for a season).
    Each item is an ordinary ``Reservation`` (its own occupancy rows, fee, ledger and state);
    the bundle only groups them (``reservations.bundles``). ``spec`` keeps what a series was
    asked for (unit, weekdays, slots, period), for the record and the pages.
    """

    class Kind(models.TextChoices):
        WHOLE = "whole", _("全館・複数室場")
        SERIES = "series", _("定期利用")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    registrant = models.ForeignKey(
        Registrant, on_delete=models.PROTECT, related_name="reservation_bundles"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    label = models.CharField(max_length=100, blank=True)
    # 優先予約: allocated by staff before the public booking window opened.
    priority = models.BooleanField(default=False)
    spec = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("予約のまとまり")

    def __str__(self) -> str:
        return f"{self.number} {self.label}"

    @property
    def number(self) -> str:
        """まとまり番号 shown to people: B, year of creation and a zero-padded id."""
        return f"B{self.created_at:%Y}-{self.pk:06d}" if self.pk else ""


class Reservation(models.Model):
    """予約: a unit for slots on a date, or rooms of a room type for nights.

    The status follows ``reservations.services.TRANSITIONS``; only services change it. The fee
    breakdown is stored as quoted, so a later change of the fee table does not alter it.
    """

    class Status(models.TextChoices):
        AWAITING_CONFIRMATION = "awaiting_confirmation", _("当選・確認待ち")
        AWAITING_APPROVAL = "awaiting_approval", _("審査中")
        AWAITING_PAYMENT = "awaiting_payment", _("支払待ち")
        CONFIRMED = "confirmed", _("予約確定")
        REJECTED = "rejected", _("不許可")
        CANCELLED = "cancelled", _("取消")
        USED = "used", _("利用済")
        NO_SHOW = "no_show", _("無断不使用")

    class Channel(models.TextChoices):
        ONLINE = "online", _("インターネット")
        LOTTERY = "lottery", _("抽選")
        COUNTER = "counter", _("窓口（代理申請）")
        PHONE = "phone", _("電話（代理申請）")

    HOLDS_CAPACITY = (
        Status.AWAITING_CONFIRMATION,
        Status.AWAITING_APPROVAL,
        Status.AWAITING_PAYMENT,
        Status.CONFIRMED,
    )

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="reservations"
    )
    registrant = models.ForeignKey(
        Registrant, on_delete=models.PROTECT, related_name="reservations"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="reservations")
    use_date = models.DateField(help_text="利用日（宿泊はチェックイン日）")
    nights = models.PositiveSmallIntegerField(default=1)
    slots = models.ManyToManyField(Slot, blank=True, related_name="reservations")
    rooms = models.PositiveSmallIntegerField(default=1)
    adults = models.PositiveSmallIntegerField(default=0)
    children = models.PositiveSmallIntegerField(default=0)
    infants = models.PositiveSmallIntegerField(default=0, help_text="4歳未満（人数に数えない）")
    party_size = models.PositiveIntegerField(default=0, help_text="時間区分: 利用予定人数")
    purpose = models.ForeignKey(Purpose, null=True, blank=True, on_delete=models.PROTECT)
    commercial = models.BooleanField(default=False, help_text="営利目的・入場料を徴収する利用")
    reduction = models.ForeignKey(
        ReductionCategory, null=True, blank=True, on_delete=models.PROTECT
    )
    status = models.CharField(max_length=24, choices=Status.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    fee_total = models.PositiveIntegerField(default=0)
    fee_breakdown = models.JSONField(default=dict)
    cancellation_fee = models.PositiveIntegerField(default=0)
    # What is owed and paid is in the payments app's ledger, never on this row.
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_reason = models.TextField(blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # 支払待ち: the reservation is cancelled when this passes unpaid (the facility's rule).
    payment_due_at = models.DateTimeField(null=True, blank=True)
    payment_reminded_at = models.DateTimeField(null=True, blank=True)
    bundle = models.ForeignKey(
        ReservationBundle,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )
    lottery_choice = models.OneToOneField(
        "lottery.LotteryChoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reservation",
    )

    class Meta:
        ordering = ["use_date", "id"]
        verbose_name = _("予約")
        indexes = [
            models.Index(fields=["registrant", "status"], name="reservation_registrant"),
            models.Index(fields=["municipality", "status", "use_date"], name="reservation_queue"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(nights__gte=1), name="reservation_nights_positive"),
            models.CheckConstraint(condition=Q(rooms__gte=1), name="reservation_rooms_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.unit} {self.use_date}"

    @property
    def number(self) -> str:
        """予約番号 shown to people: year of creation and a zero-padded id."""
        return f"{self.created_at:%Y}-{self.pk:06d}" if self.pk else ""

    @property
    def last_night(self):
        import datetime as dt

        return self.use_date + dt.timedelta(days=self.nights - 1)

    @property
    def holds_capacity(self) -> bool:
        return self.status in self.HOLDS_CAPACITY


class Penalty(models.Model):
    """Minato's practice: a late cancellation blocks new bookings for 30 days, a no-show 60."""

    class Reason(models.TextChoices):
        LATE_CANCELLATION = "late_cancellation", _("直前の取消")
        NO_SHOW = "no_show", _("無断不使用")

    class Status(models.TextChoices):
        # A stop ends by itself after ``ends_on``; staff may lift it earlier (waive).
        ACTIVE = "active", _("有効")
        WAIVED = "waived", _("解除")

    registrant = models.ForeignKey(Registrant, on_delete=models.CASCADE, related_name="penalties")
    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="penalties")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    starts_on = models.DateField()
    ends_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    waived_at = models.DateTimeField(null=True, blank=True)
    waived_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    waive_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="waived") & Q(waived_at__isnull=False))
                | (Q(status="active") & Q(waived_at__isnull=True)),
                name="penalty_waived_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.registrant} {self.reason} {self.starts_on}–{self.ends_on}"


class Occupancy(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="occupancies")
    date = models.DateField()
    atom = models.PositiveSmallIntegerField()
    block = models.ForeignKey(
        UnitBlock, null=True, blank=True, on_delete=models.CASCADE, related_name="occupancies"
    )
    reservation = models.ForeignKey(
        Reservation, null=True, blank=True, on_delete=models.CASCADE, related_name="occupancies"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "date", "atom"], name="occupancy_no_overlap"),
            # Every row belongs to exactly one holder: a staff block or a reservation.
            models.CheckConstraint(
                condition=(Q(block__isnull=False) & Q(reservation__isnull=True))
                | (Q(block__isnull=True) & Q(reservation__isnull=False)),
                name="occupancy_one_holder",
            ),
        ]
        indexes = [models.Index(fields=["date", "unit"], name="occupancy_date_unit")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.date} {self.atom}"


class CalendarFeedQuerySet(models.QuerySet):
    def active(self) -> CalendarFeedQuerySet:
        return self.filter(revoked_at__isnull=True)

    def current(self) -> CalendarFeed | None:
        """The registrant's feed in use, if any (``registrant.calendar_feeds.current``)."""
        return self.active().first()


class CalendarFeed(models.Model):
    """カレンダー連携: a private iCal address for one registrant's reservations.

    The token is the only secret (calendar apps cannot log in), so it is long and random,
    never written to the audit log, and replaced or revoked by the registrant at will. A
    revoked row is kept for the record; at most one feed per registrant is active.
    """

    registrant = models.ForeignKey(
        Registrant, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = CalendarFeedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("カレンダー連携")
        constraints = [
            models.UniqueConstraint(
                fields=["registrant"],
                condition=Q(revoked_at__isnull=True),
                name="calendar_feed_one_active",
            )
        ]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"calendar feed #{self.pk} of registrant {self.registrant_id} ({state})"


class PublicLogEntry(models.Model):
    """公開記録: what happened to freed capacity, per facility, for anyone to read.

    Every cancellation, release of held capacity, waitlist offer and first-minute order is a
    row, with its time, the unit and use date, and the registrant under a pseudonym that
    differs per facility (``reservations.public_log.pseudonym``): no name, no user number. It
    lets anyone check that freed slots went where the rules say. Rows are never changed or
    deleted (a trigger refuses it on PostgreSQL).
    """

    class Kind(models.TextChoices):
        CANCELLED = "cancelled", _("取消")
        EXPIRED = "expired", _("期限切れの取消")
        REJECTED = "rejected", _("不許可")
        HELD = "held", _("抽選の取消枠を保留")
        RELEASED = "released", _("空きとして公開")
        WAITLIST_OFFER = "waitlist_offer", _("キャンセル待ちの案内")
        WAITLIST_ACCEPTED = "waitlist_accepted", _("キャンセル待ちの受諾")
        WAITLIST_PASSED = "waitlist_passed", _("キャンセル待ちの案内期限切れ・辞退")
        FIRST_MINUTE_ORDER = "first_minute_order", _("受付開始直後の抽選順")
        RUNNER_UP = "runner_up", _("次点への繰上げ")

    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="public_log"
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    use_date = models.DateField(null=True, blank=True)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    at = models.DateTimeField()
    subject = models.CharField(max_length=16, blank=True, help_text="登録者の匿名ID（施設ごと）")
    # Plain, non-personal facts: what was freed ("午前", "2泊・1室"), an order, a seed hash.
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("公開記録")
        indexes = [models.Index(fields=["facility", "-at"], name="public_log_facility_at")]
        triggers = [
            pgtrigger.Protect(
                name="public_log_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.at:%Y-%m-%d %H:%M} {self.kind}"


class FirstMinuteOpening(models.Model):
    """受付開始直後: one opening moment of one facility whose requests are queued for
    ``fair_window_seconds`` and then served in a random order (``reservations.opening``).

    Created by the first queued request; processed once (the row is locked) by the task
    enqueued for ``closes_at`` or by the first waiting page refreshed after it, whichever
    comes first. ``seed`` is published after processing.
    """

    class State(models.TextChoices):
        QUEUEING = "queueing", _("受付中")
        PROCESSED = "processed", _("処理済み")

    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="first_minute_openings"
    )
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUEING)
    seed = models.CharField(max_length=64, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "opens_at"], name="first_minute_opening_once"
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")),
                name="first_minute_opening_closes_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.opens_at:%Y-%m-%d %H:%M}"


class FirstMinuteTicket(models.Model):
    """One registrant's place in one opening: however many requests they send in the window,
    one ticket, holding their latest choice (``choice``: plain ids and numbers)."""

    opening = models.ForeignKey(
        FirstMinuteOpening, on_delete=models.PROTECT, related_name="tickets"
    )
    registrant = models.ForeignKey(Registrant, on_delete=models.PROTECT, related_name="+")
    pseudonym = models.CharField(max_length=16)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    use_date = models.DateField()
    choice = models.JSONField(default=dict)
    requests = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # Filled when the opening is processed: the place drawn, then the reservation or refusal.
    position = models.PositiveIntegerField(null=True, blank=True)
    reservation = models.ForeignKey(
        Reservation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # "booked", or the refusal's DomainError code and its parameters (shown in the reader's
    # language on the waiting page).
    result_code = models.CharField(max_length=40, blank=True)
    result_params = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["opening", "registrant"], name="first_minute_one_ticket_per_registrant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.opening_id} {self.pseudonym}"


class EntryCode(models.Model):
    """入室コード: the 6-digit code that opens a facility's smart lock for one reservation.

    Issued and revoked only by ``reservations.entry_codes`` (on the reservation's state
    changes); a reservation has at most one live code (not revoked). The code is random, never
    derived from the reservation number, and unique among the live codes of the facility whose
    windows overlap (checked under the facility's row lock). Revoked rows are kept: what was
    valid when.
    """

    reservation = models.ForeignKey(
        Reservation, on_delete=models.CASCADE, related_name="entry_codes"
    )
    # The facility whose doors it opens (the reservation's unit's facility), for the lookups
    # of the lock and of uniqueness without a join.
    facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=6)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("入室コード")
        indexes = [models.Index(fields=["facility", "code"], name="entry_code_facility_code")]
        constraints = [
            models.UniqueConstraint(
                fields=["reservation"],
                condition=Q(revoked_at__isnull=True),
                name="entry_code_one_live",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__lt=models.F("valid_until")),
                name="entry_code_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        # Never the code itself: this may end up in logs.
        state = "revoked" if self.revoked_at else "live"
        return f"entry code #{self.pk} of reservation {self.reservation_id} ({state})"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


class FakeLockCode(models.Model):
    """What the fake smart lock (``reservations.locks.FakeLock``) has been told: the codes
    pushed to the doors of a facility, for tests and the demo. A real lock keeps these in
    its own controller; this table is only written by the fake adapter."""

    entry_code = models.OneToOneField(EntryCode, on_delete=models.CASCADE, related_name="+")
    facility = models.ForeignKey("facilities.Facility", on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=6)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    pushed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["facility", "code"], name="fake_lock_facility_code")]

    def __str__(self) -> str:
        return f"fake lock code #{self.pk} at facility {self.facility_id}"
