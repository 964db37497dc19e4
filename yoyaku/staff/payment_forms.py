"""Forms of the staff console's payment pages: the report's filters and the recalculation."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from yoyaku.core.params import SafeTextMixin
from yoyaku.facilities.models import ReductionCategory
from yoyaku.payments.models import Payment
from yoyaku.reservations.models import Reservation
from yoyaku.staff.forms import DATE_INPUT

# A report longer than this is asked for in pieces: a year of a city's payments is enough.
MAX_REPORT_DAYS = 366


class PaymentReportForm(SafeTextMixin, forms.Form):
    date_from = forms.DateField(label=_("入金日（から）"), widget=DATE_INPUT)
    date_to = forms.DateField(label=_("入金日（まで）"), widget=DATE_INPUT)
    facility = forms.ModelChoiceField(
        label=_("施設"), queryset=None, required=False, empty_label=_("すべて")
    )
    method = forms.ChoiceField(label=_("支払方法"), required=False, choices=())

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities
        self.fields["method"].choices = [("", _("すべて")), *Payment.Method.choices]

    @staticmethod
    def defaults(today: dt.date) -> dict[str, str]:
        """This month, from its first day to today."""
        return {"date_from": today.replace(day=1).isoformat(), "date_to": today.isoformat()}

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", _("終了日は開始日以降にしてください。"))
            elif (end - start).days >= MAX_REPORT_DAYS:
                self.add_error("date_to", _("期間は1年以内で指定してください。"))
        return data


class RecalculateForm(SafeTextMixin, forms.Form):
    """再計算 (Ukiha art. 10.4): the conditions as they turned out, and why."""

    adults = forms.IntegerField(label=_("大人"), min_value=0, max_value=999, required=False)
    children = forms.IntegerField(label=_("子ども"), min_value=0, max_value=999, required=False)
    party_size = forms.IntegerField(
        label=_("利用人数"), min_value=0, max_value=99999, required=False
    )
    commercial = forms.BooleanField(label=_("営利・入場料徴収"), required=False)
    reduction = forms.ModelChoiceField(
        label=_("減免"), queryset=None, required=False, empty_label=_("なし")
    )
    reason = forms.CharField(
        label=_("再計算の理由（実際の利用状況など）"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, reservation, reductions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reduction"].queryset = reductions
        if reservation.unit.is_lodging:
            del self.fields["party_size"]
        else:
            del self.fields["adults"]
            del self.fields["children"]

    def changes(self) -> dict:
        """The conditions to recalculate with, as the service takes them."""
        return {k: v for k, v in self.cleaned_data.items() if k != "reason" and v is not None} | {
            "reduction": self.cleaned_data.get("reduction")
        }


def recalculate_form(reservation: Reservation, data=None) -> RecalculateForm:
    """The form with the reservation's present conditions."""
    return RecalculateForm(
        data,
        reservation=reservation,
        reductions=ReductionCategory.objects.filter(municipality_id=reservation.municipality_id),
        initial={
            "adults": reservation.adults,
            "children": reservation.children,
            "party_size": reservation.party_size,
            "commercial": reservation.commercial,
            "reduction": reservation.reduction_id,
        },
        prefix="recalc",
    )
