"""Facilities, their bookable units, slot schedules, closures, purposes and fee tables."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yoyaku.core.models import LocalizedNameMixin, Municipality
from yoyaku.facilities import policies


class Purpose(LocalizedNameMixin, models.Model):
    """利用目的: what a unit may be used for (会議, 卓球, 宿泊 …); used in search."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="purposes"
    )
    name = models.CharField(max_length=50)
    name_en = models.CharField(max_length=80, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="purpose_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Facility(LocalizedNameMixin, models.Model):
    class Kind(models.TextChoices):
        HALL = "hall", _("ホール・会議室")
        SPORTS = "sports", _("体育館・屋内スポーツ")
        OUTDOOR = "outdoor", _("運動公園・屋外スポーツ")
        CULTURE = "culture", _("文化・展示施設")
        RESORT = "resort", _("保養施設（宿泊）")

    class HolidayPolicy(models.TextChoices):
        OPEN = "open", _("祝日も開館")
        CLOSED = "closed", _("祝日は休館")
        # Common municipal rule: when the weekly closing day is a holiday, the facility opens
        # that day and closes on the next day that is neither a holiday nor a closing day.
        SHIFT = "shift", _("休館日が祝日の場合は開館し、翌平日を休館")

    class PaymentMode(models.TextChoices):
        OFF = "off", _("オンライン決済なし（窓口払い）")
        OPTIONAL = "optional", _("オンライン決済または窓口払い")
        REQUIRED = "required", _("オンライン決済で予約確定")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="facilities"
    )
    slug = models.SlugField()
    name = models.CharField(max_length=100)
    name_en = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    postal_code = models.CharField(max_length=8, blank=True)
    address = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    description = models.TextField(blank=True)
    notes = models.TextField(blank=True, help_text="利用上の注意")
    # Weekly closing days, 0 = Monday … 6 = Sunday (Python's weekday()).
    weekly_closed_days = models.JSONField(default=list, blank=True)
    holiday_policy = models.CharField(
        max_length=10, choices=HolidayPolicy.choices, default=HolidayPolicy.OPEN
    )
    closed_at_year_end = models.BooleanField(
        default=True, help_text="自治体の年末年始（例: 12/29～1/3）は休館"
    )
    # Seasonal operation (e.g. a winter facility): open only between these month/days.
    season_start_month = models.PositiveSmallIntegerField(null=True, blank=True)
    season_start_day = models.PositiveSmallIntegerField(null=True, blank=True)
    season_end_month = models.PositiveSmallIntegerField(null=True, blank=True)
    season_end_day = models.PositiveSmallIntegerField(null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # Booking rules (予約の受付条件), checked in reservations.rules and shown before booking.
    opens_months_before = models.PositiveSmallIntegerField(
        default=6, help_text="利用日のNか月前の同日から受付"
    )
    closes_days_before = models.PositiveSmallIntegerField(
        default=1, help_text="利用日のN日前まで受付（0は当日まで）"
    )
    # The hour first-come booking of a use date starts on its opening day (None: 0:00), and
    # the seconds after an opening in which requests are queued and served in a random order
    # (0: off); see reservations.opening.
    opening_hour = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="受付開始日の受付開始時刻（時）。空欄は0時"
    )
    fair_window_seconds = models.PositiveIntegerField(
        default=0, help_text="受付開始から何秒間の申込みを無作為の順で処理するか（0は先着順のみ）"
    )
    max_nights = models.PositiveSmallIntegerField(default=2, help_text="1回の宿泊数の上限")
    max_rooms = models.PositiveSmallIntegerField(default=3, help_text="1回に予約できる部屋数の上限")
    max_active_reservations = models.PositiveSmallIntegerField(
        default=5, help_text="1人が同時に持てる予約の数（この施設）"
    )
    # キャンセル待ち (yoyaku.waitlist): freed capacity is offered to one waiter at a time.
    waitlist_enabled = models.BooleanField(default=True, help_text="キャンセル待ちを受け付ける")
    waitlist_max_per_person = models.PositiveSmallIntegerField(
        default=3, help_text="1人が同時に登録できるキャンセル待ちの数（この施設）"
    )
    waitlist_closes_days_before = models.PositiveSmallIntegerField(
        default=1, help_text="利用日のN日前までキャンセル待ち・案内を行う"
    )
    waitlist_accept_minutes = models.PositiveSmallIntegerField(
        default=120, help_text="案内を受けるまでの時間（分）"
    )
    waitlist_near_days = models.PositiveSmallIntegerField(
        default=2, help_text="利用日のN日前からは短い時間で案内する"
    )
    waitlist_near_accept_minutes = models.PositiveSmallIntegerField(
        default=30, help_text="利用日が近いときに案内を受けるまでの時間（分）"
    )
    allowed_categories = models.JSONField(
        default=list, blank=True, help_text="予約できる区分（resident / worker / other）。空は全員"
    )
    undo_minutes = models.PositiveSmallIntegerField(
        default=30,
        help_text="予約からN分以内の取消は無料（利用開始まで24時間を切る予約は除く。0はしない）",
    )
    requires_approval = models.BooleanField(
        default=False, help_text="予約の申込みを審査してから許可する（うきは要綱第9条第2項）"
    )
    # 入室コード: each confirmed reservation gets a 6-digit code for the smart lock
    # (yoyaku.reservations.entry_codes); off unless the facility has such locks.
    entry_codes = models.BooleanField(
        default=False, help_text="予約ごとに入室コード（6桁）を発行する（スマートロック）"
    )
    # Cancellation fee tiers: [{"days_before": 7, "percent": 0}, {"days_before": 2, "percent": 50},
    # {"days_before": 0, "percent": 100}] — the first tier whose days_before the cancellation
    # is at or above applies.
    cancellation_tiers = models.JSONField(
        default=list, blank=True, validators=[policies.validate_cancellation_tiers]
    )
    commercial_multiplier_percent = models.PositiveSmallIntegerField(
        default=100, help_text="営利・入場料を徴収する利用の割増（%）"
    )
    # Online payment (Ukiha art. 10): off, optional or required per facility (art. 10.2), the
    # methods it accepts, and when a reservation must be paid: N days after it becomes payable
    # and at the latest M days before the day of use.
    payment_mode = models.CharField(
        max_length=10, choices=PaymentMode.choices, default=PaymentMode.OFF
    )
    payment_methods = models.JSONField(
        default=list, blank=True, help_text="card / konbini / paypay。空はすべて"
    )
    payment_due_days = models.PositiveSmallIntegerField(
        default=7, help_text="支払期限: 予約（許可）からN日後"
    )
    payment_due_days_before_use = models.PositiveSmallIntegerField(
        default=3, help_text="支払期限: 遅くとも利用日のN日前"
    )

    class Meta:
        ordering = ["municipality", "order", "id"]
        verbose_name = _("施設")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "slug"], name="facility_slug_unique"),
            models.CheckConstraint(
                condition=(
                    Q(season_start_month__isnull=True)
                    & Q(season_start_day__isnull=True)
                    & Q(season_end_month__isnull=True)
                    & Q(season_end_day__isnull=True)
                )
                | (
                    Q(season_start_month__isnull=False)
                    & Q(season_start_day__isnull=False)
                    & Q(season_end_month__isnull=False)
                    & Q(season_end_day__isnull=False)
                ),
                name="facility_season_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def tiers(self) -> list[policies.CancellationTier]:
        """The cancellation tiers, earliest-applying first (the field's validator checks them)."""
        return policies.cancellation_tiers(self.cancellation_tiers)

    @property
    def is_seasonal(self) -> bool:
        return self.season_start_month is not None

    def in_season(self, day: dt.date) -> bool:
        if not self.is_seasonal:
            return True
        start = (self.season_start_month, self.season_start_day)
        end = (self.season_end_month, self.season_end_day)
        md = (day.month, day.day)
        if start <= end:
            return start <= md <= end
        return md >= start or md <= end  # a winter season wraps over New Year

    @property
    def season_label(self) -> str:
        if not self.is_seasonal:
            return ""
        return (
            f"{self.season_start_month}/{self.season_start_day}"
            f"～{self.season_end_month}/{self.season_end_day}"
        )


class SlotSchedule(models.Model):
    """The time slots a time-slot unit is booked in (区分).

    Basic slots are the atoms (午前 9–12, 午後 13–17, 夜間 18–21, or each hour); combined
    slots (午前・午後, 全日 …) cover several basic slots and are booked as one.
    """

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="slot_schedules"
    )
    name = models.CharField(max_length=50)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="slot_schedule_name")
        ]

    def __str__(self) -> str:
        return self.name


class Slot(models.Model):
    schedule = models.ForeignKey(SlotSchedule, on_delete=models.CASCADE, related_name="slots")
    code = models.SlugField(max_length=30)
    label = models.CharField(max_length=30)
    label_en = models.CharField(max_length=40, blank=True)
    start = models.TimeField()
    end = models.TimeField()
    is_basic = models.BooleanField(default=True)

    class Meta:
        ordering = ["start", "end"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "code"], name="slot_code_unique"),
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="slot_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.time_label}"

    @property
    def display_label(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "ja").startswith("en") and self.label_en:
            return self.label_en
        return self.label

    @property
    def time_label(self) -> str:
        return f"{self.start.hour}:{self.start.minute:02d}～{self.end.hour}:{self.end.minute:02d}"

    @property
    def start_minute(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minute(self) -> int:
        return self.end.hour * 60 + self.end.minute


class Unit(LocalizedNameMixin, models.Model):
    """A bookable unit (室場): a hall, a court, or a room type of a resort.

    Units form a hierarchy: a whole (アリーナ全面) contains parts (半面A, 半面B). Bookings are
    recorded on the leaves, so booking the whole takes every part and booking a part makes the
    whole unavailable.
    """

    class BookingKind(models.TextChoices):
        SLOT = "slot", _("時間区分")
        LODGING = "lodging", _("宿泊")

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="units")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(max_length=100)
    name_en = models.CharField(max_length=150, blank=True)
    booking_kind = models.CharField(max_length=10, choices=BookingKind.choices)
    slot_schedule = models.ForeignKey(
        SlotSchedule, null=True, blank=True, on_delete=models.PROTECT, related_name="units"
    )
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="定員（人）")
    area_m2 = models.PositiveIntegerField(null=True, blank=True)
    room_count = models.PositiveSmallIntegerField(null=True, blank=True, help_text="客室数")
    persons_per_room = models.PositiveSmallIntegerField(null=True, blank=True)
    min_persons_per_room = models.PositiveSmallIntegerField(null=True, blank=True)
    description = models.TextField(blank=True)
    purposes = models.ManyToManyField(Purpose, blank=True, related_name="units")
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["facility", "order", "id"]
        verbose_name = _("室場")
        constraints = [
            models.CheckConstraint(
                condition=(Q(booking_kind="slot") & Q(slot_schedule__isnull=False))
                | (
                    Q(booking_kind="lodging")
                    & Q(slot_schedule__isnull=True)
                    & Q(room_count__gt=0)
                    & Q(persons_per_room__gt=0)
                ),
                name="unit_kind_fields",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility.name} {self.name}"

    @property
    def is_lodging(self) -> bool:
        return self.booking_kind == self.BookingKind.LODGING


class Closure(models.Model):
    """A dated closure (臨時休館, 施設点検): the whole facility or one unit, inclusive dates."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="closures")
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="closures"
    )
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__lte=models.F("end_date")), name="closure_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.facility.name} {self.start_date}–{self.end_date} {self.reason}"


class FeeRule(models.Model):
    """One line of a fee table (使用料), valid from ``effective_from`` until ``effective_until``.

    Amounts are integer yen, consumption tax included.
    """

    class Basis(models.TextChoices):
        PER_SLOT = "per_slot", _("1区分あたり")
        PER_PERSON_NIGHT = "per_person_night", _("1人1泊あたり")

    class RateClass(models.TextChoices):
        RESIDENT = "resident", _("区域内（在住・在勤）")
        NON_RESIDENT = "non_resident", _("区域外")

    class PersonClass(models.TextChoices):
        ANY = "any", _("—")
        ADULT = "adult", _("大人")
        CHILD = "child", _("子ども")

    class DayClass(models.TextChoices):
        ANY = "any", _("全日")
        WEEKDAY = "weekday", _("平日")
        WEEKEND_HOLIDAY = "weekend_holiday", _("土日祝・休前日")

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="fee_rules")
    effective_from = models.DateField()
    effective_until = models.DateField(null=True, blank=True)
    basis = models.CharField(max_length=20, choices=Basis.choices)
    slot = models.ForeignKey(Slot, null=True, blank=True, on_delete=models.PROTECT)
    rate_class = models.CharField(max_length=20, choices=RateClass.choices)
    person_class = models.CharField(max_length=10, choices=PersonClass.choices, default="any")
    day_class = models.CharField(max_length=20, choices=DayClass.choices, default="any")
    amount_yen = models.PositiveIntegerField()

    class Meta:
        ordering = ["unit", "effective_from", "slot__start", "rate_class", "person_class"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_until__isnull=True)
                | Q(effective_from__lte=models.F("effective_until")),
                name="fee_rule_period_ordered",
            ),
            models.CheckConstraint(
                condition=(Q(basis="per_slot") & Q(slot__isnull=False))
                | (Q(basis="per_person_night") & Q(slot__isnull=True)),
                name="fee_rule_basis_fields",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.basis} {self.amount_yen}円"

    def applies_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (
            self.effective_until is None or day <= self.effective_until
        )


class ReductionCategory(LocalizedNameMixin, models.Model):
    """減免の区分: e.g. 65歳以上 (50 %), 障害者手帳 (100 %), 公益団体 (50 %).

    ``annual_night_limit`` limits discounted nights per fiscal year (April–March), as Minato
    does for its resorts (2 nights).
    """

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="reduction_categories"
    )
    name = models.CharField(max_length=100)
    name_en = models.CharField(max_length=150, blank=True)
    percent = models.PositiveSmallIntegerField(help_text="減額の割合（%）。100は全額免除")
    requires_approval = models.BooleanField(default=True, help_text="証明書を職員が確認して承認")
    proof_description = models.CharField(max_length=200, blank=True)
    annual_night_limit = models.PositiveSmallIntegerField(null=True, blank=True)
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gte=1) & Q(percent__lte=100), name="reduction_percent_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.percent}%）"
