from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yoyaku.core.params import SafeTextMixin
from yoyaku.facilities.models import Slot, Unit
from yoyaku.lottery.models import LotteryRound
from yoyaku.lottery.services import ChoiceRequest
from yoyaku.reservations import rules

# Ranks 1 to 3 (the rounds' max_choices and the choice table's rank constraint).
RANK_MAX = 3
# Guests of one choice: the booking form's limit, far inside the small-integer columns.
PERSONS_MAX = 99


class ChoiceForm(SafeTextMixin, forms.Form):
    """One ranked choice (第N希望). Empty choices 2 and 3 are simply left out."""

    unit = forms.ModelChoiceField(
        label=_("室場"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("選んでください"),
    )
    use_date = forms.DateField(
        label=_("利用日（宿泊はチェックイン日）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("日付は 2026-12-05 の形式で入力してください。")},
    )
    slot = forms.ModelChoiceField(
        label=_("時間区分（ホール・コート等）"),
        queryset=Slot.objects.none(),
        required=False,
        empty_label="—",
    )
    party_size = forms.IntegerField(
        label=_("利用予定人数"),
        required=False,
        min_value=1,
        max_value=rules.PARTY_SIZE_MAX,
    )
    nights = forms.IntegerField(
        label=_("宿泊数"),
        required=False,
        min_value=1,
        max_value=7,
        initial=1,
    )
    rooms = forms.IntegerField(
        label=_("部屋数"),
        required=False,
        min_value=1,
        max_value=5,
        initial=1,
    )
    adults = forms.IntegerField(
        label=_("大人"),
        required=False,
        min_value=0,
        max_value=PERSONS_MAX,
        initial=2,
    )
    children = forms.IntegerField(
        label=_("子ども（4歳以上）"),
        required=False,
        min_value=0,
        max_value=PERSONS_MAX,
        initial=0,
    )
    infants = forms.IntegerField(
        label=_("4歳未満（無料・人数に数えません）"),
        required=False,
        min_value=0,
        max_value=PERSONS_MAX,
        initial=0,
    )

    SLOT_FIELDS = ("slot", "party_size")
    LODGING_FIELDS = ("nights", "rooms", "adults", "children", "infants")

    def __init__(self, *args, lottery: LotteryRound, rank: int, **kwargs):
        if not 1 <= rank <= RANK_MAX:
            raise ValueError(f"rank {rank} outside 1..{RANK_MAX}")
        super().__init__(*args, prefix=f"c{rank}", **kwargs)
        self.rank = rank
        self.lottery = lottery
        units = lottery.units.filter(is_active=True).select_related("facility")
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = lambda u: f"{u.facility.name} {u.name}"
        self.fields["slot"].queryset = Slot.objects.filter(schedule__units__in=units).distinct()
        # A field that applies to none of the round's units is not shown: a lodging round asks
        # nights, rooms and guests, never 時間区分 or 利用予定人数; a slot round the reverse.
        lodging = {unit.is_lodging for unit in units}
        if lodging == {True}:
            for name in self.SLOT_FIELDS:
                del self.fields[name]
        elif lodging == {False}:
            for name in self.LODGING_FIELDS:
                del self.fields[name]
        self.fields["use_date"].widget.attrs.update(
            min=f"{lottery.use_from:%Y-%m-%d}", max=f"{lottery.use_until:%Y-%m-%d}"
        )
        if rank == 1:
            self.fields["unit"].required = True
            self.fields["use_date"].required = True
            self.fields["unit"].error_messages["required"] = _("第1希望の室場を選んでください。")
            self.fields["use_date"].error_messages["required"] = _(
                "第1希望の日付を入力してください。"
            )

    def clean(self):
        data = super().clean()
        unit = data.get("unit")
        if unit and not data.get("use_date") and "use_date" not in self.errors:
            self.add_error("use_date", _("日付を入力してください。"))
        day = data.get("use_date")
        if day and not self.lottery.use_from <= day <= self.lottery.use_until:
            self.add_error("use_date", _("この抽選の対象期間内の日付を入力してください。"))
        if unit and not unit.is_lodging:
            if not data.get("slot"):
                self.add_error("slot", _("時間区分を選んでください。"))
            elif data["slot"].schedule_id != unit.slot_schedule_id:
                self.add_error("slot", _("この室場の時間区分を選んでください。"))
        counts = ("rooms", "adults", "children", "infants", "party_size")
        if unit and not any(name in self.errors for name in counts):
            # The booking rules' head counts, next to the field they concern.
            defaults = {"rooms": 1, "adults": 0, "children": 0, "infants": 0, "party_size": 0}
            problems = rules.head_count_problems(
                unit, **{name: data.get(name) or defaults[name] for name in counts}
            )
            for name, problem in problems.items():
                self.add_error(name if name in self.fields else None, problem.message)
        return data

    def choice(self) -> ChoiceRequest | None:
        data = self.cleaned_data
        unit = data.get("unit")
        if not unit:
            return None
        return ChoiceRequest(
            unit=unit,
            use_date=data["use_date"],
            nights=data.get("nights") or 1,
            rooms=data.get("rooms") or 1,
            adults=data.get("adults") or 0,
            children=data.get("children") or 0,
            infants=data.get("infants") or 0,
            party_size=data.get("party_size") or 0,
            slots=[data["slot"]] if data.get("slot") else [],
        )


def choice_forms(lottery: LotteryRound, data=None, initial=None) -> list[ChoiceForm]:
    initial = initial or {}
    return [
        ChoiceForm(data, lottery=lottery, rank=rank, initial=initial.get(rank))
        for rank in range(1, lottery.max_choices + 1)
    ]
