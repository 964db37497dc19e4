"""The bulk closure (一括休館) form: a facility, optionally one of its units, a period, a reason."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yoyaku.core.params import SafeTextMixin
from yoyaku.staff.forms import DATE_INPUT, UnitChoiceField, _units_of


class BulkClosureForm(SafeTextMixin, forms.Form):
    facility = forms.ModelChoiceField(
        label=_("施設"), queryset=None, empty_label=_("選んでください")
    )
    unit = UnitChoiceField(
        label=_("室場"),
        queryset=None,
        required=False,
        empty_label=_("施設全体"),
        help_text=_("空欄は施設全体を休館します。"),
    )
    start_date = forms.DateField(label=_("開始日"), widget=DATE_INPUT)
    end_date = forms.DateField(label=_("終了日"), widget=DATE_INPUT)
    reason = forms.CharField(
        label=_("理由"),
        max_length=200,
        help_text=_("利用者へのメールに載ります。例：改修工事、選挙の投票所"),
    )

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities
        self.fields["unit"].queryset = _units_of(facilities)

    def clean(self):
        data = super().clean()
        facility, unit = data.get("facility"), data.get("unit")
        if facility is not None and unit is not None and unit.facility_id != facility.pk:
            self.add_error("unit", _("選んだ室場はこの施設のものではありません。"))
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("終了日は開始日以降にしてください。"))
        return data
