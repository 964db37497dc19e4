"""Forms of setup in the console (施設の設定). They only parse what staff type; the rules are
in ``yoyaku.facilities.services``, which names the field of each refusal."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from yoyaku.core.errors import DomainError
from yoyaku.core.params import SafeTextMixin
from yoyaku.core.text import to_half_width
from yoyaku.facilities import policies
from yoyaku.facilities import services as setup
from yoyaku.facilities.models import Facility, FeeRule, Purpose, SlotSchedule, Unit
from yoyaku.staff.forms import DATE_INPUT

NUMBER = forms.NumberInput(attrs={"inputmode": "numeric"})
WEEKDAYS = [
    (0, _("月曜日")),
    (1, _("火曜日")),
    (2, _("水曜日")),
    (3, _("木曜日")),
    (4, _("金曜日")),
    (5, _("土曜日")),
    (6, _("日曜日")),
]


def _int(label, *, required=True, help_text="", **kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=required, help_text=help_text, widget=NUMBER, **kwargs
    )


def _text(label, *, max_length=200, required=False, rows=0, help_text="") -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        widget=widget,
    )


class FacilityForm(SafeTextMixin, forms.Form):
    slug = forms.CharField(
        label=_("URL用の名前"),
        max_length=50,
        help_text=_("半角英小文字・数字・ハイフン（例: bunka-kaikan）。登録後は変更できません。"),
    )
    name = _text(_("施設名"), max_length=100, required=True)
    name_en = _text(_("施設名（英語）"), max_length=150)
    kind = forms.ChoiceField(label=_("種類"), choices=Facility.Kind.choices)
    postal_code = _text(_("郵便番号"), max_length=8)
    address = _text(_("所在地"))
    phone = _text(_("電話番号"), max_length=20)
    description = _text(_("施設の説明"), max_length=5000, rows=4)
    notes = _text(_("利用上の注意"), max_length=5000, rows=4)
    weekly_closed_days = forms.TypedMultipleChoiceField(
        label=_("休館日（毎週）"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    holiday_policy = forms.ChoiceField(
        label=_("祝日の扱い"), choices=Facility.HolidayPolicy.choices
    )
    closed_at_year_end = forms.BooleanField(label=_("年末年始は休館"), required=False)
    season_start_month = _int(_("営業期間の開始（月）"), required=False)
    season_start_day = _int(_("営業期間の開始（日）"), required=False)
    season_end_month = _int(_("営業期間の終了（月）"), required=False)
    season_end_day = _int(
        _("営業期間の終了（日）"),
        required=False,
        help_text=_("通年営業の施設は、営業期間の4項目をすべて空欄にします。"),
    )
    opens_months_before = _int(_("受付開始（利用日の何か月前から）"))
    closes_days_before = _int(_("受付終了（利用日の何日前まで）"), help_text=_("0は当日まで"))
    opening_hour = _int(
        _("受付開始時刻（時）"),
        required=False,
        help_text=_("受付開始日の何時から先着順の受付を始めるか（例: 8）。空欄は0時"),
    )
    fair_window_seconds = _int(
        _("受付開始直後の抽選（秒）"),
        help_text=_(
            "受付開始からこの秒数の間の申込みは、締切後に無作為の順で処理します。0は先着順のみ"
        ),
    )
    max_nights = _int(_("1回の宿泊数の上限"))
    max_rooms = _int(_("1回に予約できる部屋数の上限"))
    max_active_reservations = _int(_("1人が同時に持てる予約の数"))
    waitlist_enabled = forms.BooleanField(label=_("キャンセル待ちを受け付ける"), required=False)
    waitlist_max_per_person = _int(_("1人が同時に登録できるキャンセル待ちの数"))
    waitlist_closes_days_before = _int(
        _("キャンセル待ちの受付・案内（利用日の何日前まで）"), help_text=_("0は当日まで")
    )
    waitlist_accept_minutes = _int(_("案内を受けるまでの時間（分）"))
    waitlist_near_days = _int(_("利用日が近いとみなす日数（利用日の何日前から）"))
    waitlist_near_accept_minutes = _int(_("利用日が近いときに案内を受けるまでの時間（分）"))
    allowed_categories = forms.MultipleChoiceField(
        label=_("予約できる区分"),
        choices=policies.BOOKING_CATEGORIES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("何も選ばないと、すべての登録者が予約できます。"),
    )
    requires_approval = forms.BooleanField(
        label=_("予約の申込みを審査してから許可する"), required=False
    )
    payment_mode = forms.ChoiceField(
        label=_("オンライン決済"), choices=Facility.PaymentMode.choices
    )
    payment_methods = forms.MultipleChoiceField(
        label=_("使える支払方法"),
        choices=policies.ONLINE_PAYMENT_METHODS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("何も選ばないと、すべての方法が使えます。"),
    )
    payment_due_days = _int(_("支払期限（予約・許可から何日後）"))
    payment_due_days_before_use = _int(_("支払期限（遅くとも利用日の何日前）"))
    cancellation_tiers = forms.CharField(
        label=_("取消料の段階"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "1行に1段階、利用日の何日前からか と 取消料の割合（%）を空白で区切って入力します。"
            "例: 「7 0」「2 50」「0 100」"
        ),
    )
    undo_minutes = _int(
        _("予約直後の無料取消（分）"),
        min_value=0,
        max_value=1440,
        help_text=_(
            "予約から何分以内の取消を無料にするか。利用開始まで24時間を切る予約には適用しません。"
            "0はしない"
        ),
    )
    entry_codes = forms.BooleanField(
        label=_("予約ごとに入室コード（6桁）を発行する"),
        required=False,
        help_text=_(
            "スマートロックのある施設だけ。確定した予約に、利用開始15分前から終了まで使える"
            "コードを発行し、マイページ・使用許可書・利用日3日前のお知らせメールに表示します。"
        ),
    )
    commercial_multiplier_percent = _int(
        _("営利目的の利用の料金（%）"), help_text=_("100は割増なし、150は5割増し")
    )
    order = _int(_("表示順"))
    is_active = forms.BooleanField(label=_("公開する（予約を受け付ける）"), required=False)

    def __init__(self, *args, facility: Facility | None = None, **kwargs) -> None:
        if facility is not None:
            kwargs.setdefault("initial", self.initial_of(facility))
        else:
            kwargs.setdefault("initial", self.initial_of(None))
        super().__init__(*args, **kwargs)
        if facility is not None:
            del self.fields["slug"]  # it names public URLs and bookmarks

    @staticmethod
    def initial_of(facility: Facility | None) -> dict[str, Any]:
        defaults = setup.FacilitySettings(name="", kind=Facility.Kind.HALL)
        values = defaults.as_fields()
        if facility is not None:
            values = {name: getattr(facility, name) for name in values}
        values["cancellation_tiers"] = "\n".join(
            f"{t['days_before']} {t['percent']}" for t in values["cancellation_tiers"]
        )
        return values

    def clean_slug(self) -> str:
        return to_half_width(self.cleaned_data["slug"]).strip().lower()

    def clean_cancellation_tiers(self) -> list[dict[str, int]]:
        tiers = []
        for line in to_half_width(self.cleaned_data["cancellation_tiers"]).splitlines():
            parts = re.split(r"[\s,:%]+", line.strip().rstrip("%"))
            if parts == [""]:
                continue
            if len(parts) != 2 or not all(p.isdigit() for p in parts):
                raise forms.ValidationError(DomainError("cancellation_tiers_format").message)
            tiers.append({"days_before": int(parts[0]), "percent": int(parts[1])})
        return tiers

    def settings(self) -> setup.FacilitySettings:
        data = {k: v for k, v in self.cleaned_data.items() if k != "slug"}
        for name in ("weekly_closed_days", "allowed_categories", "payment_methods"):
            data[name] = tuple(data[name])
        data["cancellation_tiers"] = tuple(data["cancellation_tiers"])
        return setup.FacilitySettings(**data)


class UnitForm(SafeTextMixin, forms.Form):
    name = _text(_("室場名"), max_length=100, required=True)
    name_en = _text(_("室場名（英語）"), max_length=150)
    booking_kind = forms.ChoiceField(label=_("予約の方法"), choices=Unit.BookingKind.choices)
    parent = forms.ModelChoiceField(
        label=_("全体の室場"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("なし（この室場が全体）"),
        help_text=_("半面など、ほかの室場の一部のときに選びます。全体と同じ時間区分になります。"),
    )
    slot_schedule = forms.ModelChoiceField(
        label=_("時間区分"),
        queryset=SlotSchedule.objects.none(),
        required=False,
        empty_label=_("選んでください"),
        help_text=_("時間区分で予約する室場だけ。"),
    )
    capacity = _int(_("定員（人）"), required=False)
    area_m2 = _int(_("面積（㎡）"), required=False)
    room_count = _int(_("客室数"), required=False, help_text=_("宿泊の室場だけ。"))
    persons_per_room = _int(_("1室の定員"), required=False, help_text=_("宿泊の室場だけ。"))
    min_persons_per_room = _int(_("1室の最少人数"), required=False)
    description = _text(_("説明"), max_length=5000, rows=3)
    purposes = forms.ModelMultipleChoiceField(
        label=_("利用目的"),
        queryset=Purpose.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    order = _int(_("表示順"), initial=0)
    is_active = forms.BooleanField(label=_("公開する"), required=False, initial=True)

    def __init__(self, *args, facility: Facility, unit: Unit | None = None, **kwargs) -> None:
        if unit is not None:
            initial = {
                name: getattr(unit, name)
                for name in (
                    "name",
                    "name_en",
                    "booking_kind",
                    "parent",
                    "slot_schedule",
                    "capacity",
                    "area_m2",
                    "room_count",
                    "persons_per_room",
                    "min_persons_per_room",
                    "description",
                    "order",
                    "is_active",
                )
            }
            initial["purposes"] = list(unit.purposes.all())
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        parents = facility.units.filter(booking_kind=Unit.BookingKind.SLOT)
        if unit is not None:
            parents = parents.exclude(pk=unit.pk)
        self.fields["parent"].queryset = parents
        self.fields["slot_schedule"].queryset = SlotSchedule.objects.filter(
            municipality=facility.municipality
        )
        self.fields["purposes"].queryset = Purpose.objects.filter(
            municipality=facility.municipality
        )

    def settings(self) -> setup.UnitSettings:
        data = dict(self.cleaned_data)
        data["purposes"] = tuple(data["purposes"])
        return setup.UnitSettings(**data)


class SlotScheduleForm(SafeTextMixin, forms.Form):
    name = _text(_("時間区分の名前"), max_length=50, required=True, help_text=_("例: 3区分"))
    slots = forms.CharField(
        label=_("区分"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "1行に1区分、コード・名称・開始・終了を空白で区切って入力します"
            "（例: 「am 午前 9:00 12:00」）。ほかの区分を含む区分（例: 「all-day 全日 9:00 21:00」）"
            "は組み合わせの区分になります。"
        ),
    )

    def clean_slots(self) -> list[setup.SlotSpec]:
        specs = []
        lines = to_half_width(self.cleaned_data["slots"]).splitlines()
        for number, line in enumerate(lines, start=1):
            parts = line.split()
            if not parts:
                continue
            try:
                code, label, start, end = parts
                spec = setup.SlotSpec(
                    code=code.lower(),
                    label=label,
                    start=dt.datetime.strptime(start, "%H:%M").time(),
                    end=dt.datetime.strptime(end, "%H:%M").time(),
                )
            except ValueError:
                raise forms.ValidationError(
                    DomainError("slots_format", line=number).message
                ) from None
            specs.append(spec)
        return specs


ALL_DAYS = FeeRule.DayClass.ANY
SPLIT = "split"
WEEKDAY = FeeRule.DayClass.WEEKDAY
WEEKEND = FeeRule.DayClass.WEEKEND_HOLIDAY


def fee_field_name(
    slot_id: int | None, rate_class: str, person_class: str, day_class: str = ALL_DAYS
) -> str:
    """``fee_<slot or person>_<rate>`` for one price on all days, ``…__<day class>`` else."""
    name = f"fee_{slot_id or person_class}_{rate_class}"
    return name if day_class == ALL_DAYS else f"{name}__{day_class}"


def fee_days_field_name(slot_id: int | None, rate_class: str, person_class: str) -> str:
    return f"days_{slot_id or person_class}_{rate_class}"


def day_labels(unit: Unit) -> dict[str, Any]:
    """The weekend price of a lodging unit is the 休前日 price: the fee engine prices a night
    by the day after it (Friday, Saturday and the night before a holiday)."""
    if unit.is_lodging:
        return {WEEKDAY: _("平日"), WEEKEND: _("休前日")}
    return {WEEKDAY: _("平日"), WEEKEND: _("土日祝")}


@dataclass(frozen=True)
class FeeRow:
    """One row of the table of inputs: a slot (or adult / child) and a rate class."""

    header: str
    days: forms.BoundField
    all_days: forms.BoundField
    weekday: forms.BoundField
    weekend: forms.BoundField

    @property
    def fields(self) -> tuple[forms.BoundField, ...]:
        return (self.days, self.all_days, self.weekday, self.weekend)


class FeeTableForm(SafeTextMixin, forms.Form):
    """A new table: per slot (or adult / child) and rate class, one price for all days, or a
    weekday and a weekend-holiday (休前日 for lodging) price, from a date."""

    effective_from = forms.DateField(
        label=_("適用開始日"),
        widget=DATE_INPUT,
        help_text=_("この日以降の利用に新しい料金が適用されます。今日以降の日付にしてください。"),
    )

    def __init__(self, *args, unit: Unit, current: list[FeeRule], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.unit = unit
        slots = {s.pk: s for s in unit.slot_schedule.slots.all()} if unit.slot_schedule else {}
        amounts = {
            (r.slot_id, r.rate_class, r.person_class, r.day_class): r.amount_yen for r in current
        }
        self.day_labels = day_labels(unit)
        choices = [
            (ALL_DAYS, _("全日同額")),
            (
                SPLIT,
                _("平日と休前日で分ける") if unit.is_lodging else _("平日と土日祝で分ける"),
            ),
        ]
        self.keys = setup.fee_table_required_keys(unit)
        self.headers: dict[tuple[int | None, str, str], str] = {}
        for slot_id, rate, person in self.keys:
            what = (
                f"{slots[slot_id].label}（{slots[slot_id].time_label}）"
                if slot_id
                else str(FeeRule.PersonClass(person).label)
            )
            header = f"{what} {FeeRule.RateClass(rate).label}"
            self.headers[(slot_id, rate, person)] = header
            split = any((slot_id, rate, person, d) in amounts for d in (WEEKDAY, WEEKEND))
            self.fields[fee_days_field_name(slot_id, rate, person)] = forms.ChoiceField(
                label=format_lazy("{} {}", header, _("料金の分け方")),
                choices=choices,
                required=False,
                initial=SPLIT if split else ALL_DAYS,
            )
            for day, day_label in ((ALL_DAYS, _("全日")), *self.day_labels.items()):
                self.fields[fee_field_name(slot_id, rate, person, day)] = _int(
                    format_lazy(_("{what} {day}（円）"), what=header, day=day_label),
                    required=False,
                    min_value=0,
                    max_value=10_000_000,
                    initial=amounts.get((slot_id, rate, person, day)),
                )
        self.slots = slots

    def rows(self) -> list[FeeRow]:
        return [
            FeeRow(
                header=self.headers[(slot_id, rate, person)],
                days=self[fee_days_field_name(slot_id, rate, person)],
                all_days=self[fee_field_name(slot_id, rate, person)],
                weekday=self[fee_field_name(slot_id, rate, person, WEEKDAY)],
                weekend=self[fee_field_name(slot_id, rate, person, WEEKEND)],
            )
            for slot_id, rate, person in self.keys
        ]

    def _days(self, slot_id: int | None, rate: str, person: str) -> list[str]:
        """The day classes of one row: the prices of the other columns are not used."""
        if self.cleaned_data.get(fee_days_field_name(slot_id, rate, person)) == SPLIT:
            return [WEEKDAY, WEEKEND]
        return [ALL_DAYS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for slot_id, rate, person in self.keys:
            for day in self._days(slot_id, rate, person):
                name = fee_field_name(slot_id, rate, person, day)
                if name in self.errors or cleaned.get(name) is not None:
                    continue
                what = self.headers[(slot_id, rate, person)]
                if day != ALL_DAYS:
                    what = f"{what} {self.day_labels[day]}"
                self.add_error(name, DomainError("fee_table_incomplete", what=what).message)
        return cleaned

    def lines(self) -> list[setup.FeeLineSpec]:
        return [
            setup.FeeLineSpec(
                rate_class=rate,
                person_class=person,
                day_class=day,
                slot=self.slots.get(slot_id) if slot_id else None,
                amount_yen=self.cleaned_data[fee_field_name(slot_id, rate, person, day)],
            )
            for slot_id, rate, person in self.keys
            for day in self._days(slot_id, rate, person)
        ]


class ClosureForm(SafeTextMixin, forms.Form):
    unit = forms.ModelChoiceField(
        label=_("室場"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("施設全体"),
    )
    start_date = forms.DateField(label=_("開始日"), widget=DATE_INPUT)
    end_date = forms.DateField(label=_("終了日"), widget=DATE_INPUT)
    reason = _text(_("理由"), required=True, help_text=_("例: 施設点検、選挙の投票所"))

    def __init__(self, *args, facility: Facility, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = facility.units.all()


class ReductionCategoryForm(SafeTextMixin, forms.Form):
    name = _text(_("減免の区分名"), max_length=100, required=True)
    name_en = _text(_("減免の区分名（英語）"), max_length=150)
    percent = _int(_("減額の割合（%）"), help_text=_("100は全額免除"))
    requires_approval = forms.BooleanField(
        label=_("証明書を職員が確認して承認する"), required=False, initial=True
    )
    proof_description = _text(_("必要な証明書"))
    annual_night_limit = _int(
        _("年度あたりの減免泊数の上限"), required=False, help_text=_("空欄は上限なし")
    )
    min_age = _int(_("対象の年齢（何歳以上）"), required=False)
    order = _int(_("表示順"), initial=0)

    def settings(self) -> setup.ReductionSettings:
        return setup.ReductionSettings(**self.cleaned_data)
