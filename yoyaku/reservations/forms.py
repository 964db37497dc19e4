from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from yoyaku.core import params
from yoyaku.core.errors import DomainError
from yoyaku.core.params import SafeTextMixin
from yoyaku.facilities.models import ReductionCategory, Slot, Unit
from yoyaku.registrants import selectors as registrant_selectors
from yoyaku.registrants.models import Registrant
from yoyaku.reservations import rules, series
from yoyaku.reservations.models import Reservation


def _number(label, *, min_value=0, max_value=999, initial=None) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=min_value,
        max_value=max_value,
        initial=initial,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )  # messages naming the field: core.forms


class _ListChoiceField(forms.ModelChoiceField):
    """A model choice among a list already loaded (a unit's purposes from the setup cache):
    validating a posted id reads no database."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.objects: list = []

    def to_python(self, value):
        if value in self.empty_values:
            return None
        for obj in self.objects:
            if str(obj.pk) == str(value):
                return obj
        raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")


class BookingForm(SafeTextMixin, forms.Form):
    """The booking form of one unit on one date; which fields show depends on the unit."""

    slots = forms.MultipleChoiceField(
        label=_("時間区分"), required=False, widget=forms.CheckboxSelectMultiple
    )
    party_size = _number(_("利用予定人数"), min_value=1, max_value=10000)
    nights = forms.TypedChoiceField(label=_("宿泊数"), coerce=int)
    rooms = forms.TypedChoiceField(label=_("部屋数"), coerce=int)
    adults = _number(_("大人"), min_value=1, max_value=99, initial=2)
    children = _number(_("子ども（4歳以上）"), max_value=99, initial=0)
    infants = _number(_("4歳未満（無料・人数に数えません）"), max_value=99, initial=0)
    purpose = _ListChoiceField(
        label=_("利用目的"), queryset=None, empty_label=_("選んでください"), required=False
    )
    commercial = forms.BooleanField(
        label=_("営利目的の利用、または入場料を徴収する催し"), required=False
    )
    reduction = forms.ModelChoiceField(
        label=_("減免"),
        queryset=ReductionCategory.objects.none(),
        required=False,
        empty_label=_("適用しない"),
    )

    def __init__(
        self,
        *args,
        unit: Unit,
        registrant: Registrant,
        slot_states=None,
        for_booking: bool = False,
        **kwargs,
    ):
        """``slot_states``: the day's availability of each slot, for the page; without it
        (a POST to book, which never builds the availability) every slot of the schedule is a
        choice and the capacity says whether it is free. ``for_booking``: only validate, never
        render (the reduction field is kept whether or not the registrant has any)."""
        super().__init__(*args, **kwargs)
        self.unit = unit
        facility = unit.facility
        if unit.is_lodging:
            for name in ("slots", "party_size", "commercial"):
                del self.fields[name]
            self.fields["nights"].choices = [
                (n, _("%(n)s泊") % {"n": n}) for n in range(1, facility.max_nights + 1)
            ]
            rooms = min(facility.max_rooms, unit.room_count or 1)
            self.fields["rooms"].choices = [
                (n, _("%(n)s室") % {"n": n}) for n in range(1, rooms + 1)
            ]
        else:
            for name in ("nights", "rooms", "adults", "children", "infants"):
                del self.fields[name]
            if slot_states is None:
                slots = list(unit.slot_schedule.slots.all()) if unit.slot_schedule else []
                self.taken = set()
            else:
                slots = [state.slot for state in slot_states]
                self.taken = {str(state.slot.pk) for state in slot_states if not state.free}
            self.fields["slots"].choices = [
                (str(slot.pk), f"{slot.display_label}（{slot.time_label}）") for slot in slots
            ]
        # Prefetched with a unit of the setup cache: no query then.
        purposes = list(unit.purposes.all())
        field = self.fields["purpose"]
        field.queryset = unit.purposes.all()
        field.objects = purposes
        if len(purposes) == 1:
            field.initial = purposes[0]
        field.required = bool(purposes)
        # Not shown when the unit has no purposes: whatever is sent for it is ignored, so that
        # no message can stand for a field the person cannot see.
        field.disabled = not purposes
        field.error_messages["required"] = _("利用目的を選んでください。")
        if for_booking and not self.data.get("reduction"):
            # None asked for: nothing to validate, and the registrant's grants stay unread.
            del self.fields["reduction"]
            return
        self.fields["reduction"].queryset = registrant_selectors.reductions_offered(registrant)
        if not for_booking and not self.fields["reduction"].queryset.exists():
            del self.fields["reduction"]

    def booking_request(self, *, registrant: Registrant, use_date) -> rules.BookingRequest:
        """The cleaned form as the request the booking rules and services take."""
        data = self.cleaned_data
        slots: list[Slot] = []
        if not self.unit.is_lodging:
            chosen = {int(pk) for pk in data.get("slots") or []}
            schedule = self.unit.slot_schedule.slots.all() if self.unit.slot_schedule else []
            slots = [slot for slot in schedule if slot.pk in chosen]
        return rules.BookingRequest(
            registrant=registrant,
            unit=self.unit,
            use_date=use_date,
            nights=data.get("nights") or 1,
            slots=slots,
            rooms=data.get("rooms") or 1,
            adults=data.get("adults") or 0,
            children=data.get("children") or 0,
            infants=data.get("infants") or 0,
            party_size=data.get("party_size") or 0,
            purpose=data.get("purpose"),
            commercial=bool(data.get("commercial")),
            reduction=data.get("reduction"),
        )

    def clean(self):
        data = super().clean()
        counts = ("rooms", "adults", "children", "infants", "party_size")
        if any(name in self.errors for name in counts):
            return data
        # The same rule the booking service applies, shown next to the field it concerns.
        problems = rules.head_count_problems(
            self.unit, **{name: data.get(name) or (1 if name == "rooms" else 0) for name in counts}
        )
        for name, problem in problems.items():
            self.add_error(name if name in self.fields else None, problem.message)
        return data

    def clean_slots(self):
        chosen = self.cleaned_data.get("slots") or []
        if not self.unit.is_lodging and not chosen:
            raise forms.ValidationError(_("利用する時間区分を選んでください。"))
        return chosen


class _UnitField(forms.ModelChoiceField):
    """Units named with their facility: 「うきは市文化会館 大ホール」."""

    def label_from_instance(self, obj) -> str:
        return f"{obj.facility.display_name} {obj.display_name}"


class _SlotField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.display_label}（{obj.time_label}）"


WEEKDAY_CHOICES = [
    ("0", _("月曜日")),
    ("1", _("火曜日")),
    ("2", _("水曜日")),
    ("3", _("木曜日")),
    ("4", _("金曜日")),
    ("5", _("土曜日")),
    ("6", _("日曜日")),
]
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SeriesForm(SafeTextMixin, forms.Form):
    """定期利用: a unit, weekdays, slots and a period (the citizen's and the staff's form)."""

    unit = _UnitField(
        label=_("室場"), queryset=Unit.objects.none(), empty_label=_("選んでください")
    )
    weekdays = forms.MultipleChoiceField(
        label=_("曜日"), choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    slots = _SlotField(
        label=_("時間区分"), queryset=Slot.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    start = forms.DateField(label=_("開始日"), widget=DATE_WIDGET)
    end = forms.DateField(label=_("終了日"), widget=DATE_WIDGET)
    party_size = _number(_("利用予定人数"), min_value=1, max_value=10000)
    purpose = forms.ModelChoiceField(
        label=_("利用目的"), queryset=None, required=False, empty_label=_("選んでください")
    )
    label = forms.CharField(
        label=_("名称（任意）"),
        max_length=100,
        required=False,
        help_text=_("例：卓球クラブ 夜間練習"),
    )

    def __init__(self, *args, units, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        units = units.filter(booking_kind=Unit.BookingKind.SLOT).select_related("facility")
        self.fields["unit"].queryset = units
        self.fields["slots"].queryset = (
            Slot.objects.filter(schedule__units__in=units)
            .distinct()
            .order_by("schedule_id", "start", "end")
        )
        self.fields["purpose"].queryset = municipality.purposes.all()
        self.fields["weekdays"].error_messages["required"] = _("曜日を選んでください。")
        self.fields["slots"].error_messages["required"] = _("利用する時間区分を選んでください。")

    def clean(self):
        data = super().clean()
        unit, slots = data.get("unit"), data.get("slots")
        if (
            unit is not None
            and slots
            and any(s.schedule_id != unit.slot_schedule_id for s in slots)
        ):
            self.add_error("slots", _("この室場の時間区分から選んでください。"))
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("終了日は開始日以降にしてください。"))
        return data

    def spec(self, registrant: Registrant):
        data = self.cleaned_data
        return series.SeriesSpec(
            registrant=registrant,
            unit=data["unit"],
            weekdays=[int(d) for d in data["weekdays"]],
            slots=sorted(data["slots"], key=lambda s: s.start),
            start=data["start"],
            end=data["end"],
            party_size=data["party_size"],
            purpose=data.get("purpose"),
        )


# Refusals of a series' period, shown next to the end date.
PERIOD_CODES = {
    "series_period_order",
    "series_too_long",
    "series_no_dates",
    "series_too_many_dates",
}


def series_page(
    form: SeriesForm,
    *,
    registrant: Registrant,
    channel: str = Reservation.Channel.ONLINE,
    priority: bool = False,
    extra: dict | None = None,
) -> tuple[dict, int]:
    """The form, and below it the preview of every date when the form is valid (shared by
    the citizen's page and the staff allocation page). Returns (context, status)."""
    context = {"form": form, **(extra or {})}
    if not form.is_valid():
        return context, 400 if form.is_bound else 200
    spec = form.spec(registrant)
    try:
        preview = series.series_preview(
            spec, by_staff=channel != Reservation.Channel.ONLINE, priority=priority
        )
    except DomainError as error:
        if error.code in PERIOD_CODES:
            form.add_error("end", error.message)
        else:
            context["problems"] = [error]
        return context, 400
    context.update(preview=preview, spec=spec)
    if preview.problems:  # refusals of the whole series (the registrant, the party …)
        context["problems"] = preview.problems
        return context, 400
    return context, 200


def posted_dates(post) -> list[dt.date]:
    """The free dates the preview listed (hidden fields), at most a series' worth."""
    days = []
    for value in post.getlist("dates")[: series.SERIES_MAX_DATES]:
        day = params.date_param(value)
        if day is not None:
            days.append(day)
    return days


class _UnitsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class WholeForm(SafeTextMixin, forms.Form):
    """全館・複数室場: several units of one facility on one date, the same slots for each."""

    units = _UnitsField(
        label=_("室場"), queryset=Unit.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    date = forms.DateField(label=_("利用日"), widget=DATE_WIDGET)
    slots = forms.MultipleChoiceField(label=_("時間区分"), widget=forms.CheckboxSelectMultiple)
    party_size = _number(_("利用予定人数"), min_value=1, max_value=10000)
    purpose = forms.ModelChoiceField(
        label=_("利用目的"), queryset=None, required=False, empty_label=_("選んでください")
    )
    label = forms.CharField(
        label=_("名称（任意）"), max_length=100, required=False, help_text=_("例：市民体育大会")
    )

    def __init__(self, *args, facility, **kwargs):
        super().__init__(*args, **kwargs)
        units = list(
            facility.units.filter(is_active=True, booking_kind=Unit.BookingKind.SLOT)
            .select_related("slot_schedule")
            .prefetch_related("slot_schedule__slots")
            .order_by("order", "id")
        )
        self.fields["units"].queryset = facility.units.filter(pk__in=[u.pk for u in units])
        seen: dict[str, str] = {}
        for unit in units:
            for slot in unit.slot_schedule.slots.all() if unit.slot_schedule else []:
                seen.setdefault(slot.code, f"{slot.display_label}（{slot.time_label}）")
        self.fields["slots"].choices = list(seen.items())
        self.fields["purpose"].queryset = facility.municipality.purposes.all()
        self.fields["units"].error_messages["required"] = _("室場を選んでください。")
        self.fields["slots"].error_messages["required"] = _("利用する時間区分を選んでください。")
