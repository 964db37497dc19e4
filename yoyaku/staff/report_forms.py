"""Forms of the reports and of the audit log search: a period, and the search filters."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from yoyaku.core import clock
from yoyaku.core.models import AuditAction, User
from yoyaku.core.params import SafeTextMixin
from yoyaku.core.text import to_half_width
from yoyaku.staff.forms import DATE_INPUT

# A year and a bit: enough for a fiscal year beside the one before, small enough for a page.
MAX_PERIOD_DAYS = 731


def fiscal_year_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The Japanese fiscal year (4/1 – 3/31) that holds ``day``."""
    year = day.year if day.month >= 4 else day.year - 1
    return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)


class PeriodMixin:
    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", _("終了日は開始日以降にしてください。"))
            elif (end - start).days >= MAX_PERIOD_DAYS:
                self.add_error("date_to", _("期間は2年以内で指定してください。"))
        return data


class ReportPeriodForm(PeriodMixin, SafeTextMixin, forms.Form):
    date_from = forms.DateField(label=_("期間（から）"), widget=DATE_INPUT)
    date_to = forms.DateField(label=_("期間（まで）"), widget=DATE_INPUT)
    facility = forms.ModelChoiceField(
        label=_("施設"), queryset=None, required=False, empty_label=_("すべて")
    )

    def __init__(self, data=None, *, facilities, with_facility: bool = True):
        if not data:
            start, end = fiscal_year_of(clock.today())
            data = {"date_from": start.isoformat(), "date_to": end.isoformat()}
        super().__init__(data)
        self.fields["facility"].queryset = facilities
        if not with_facility:
            del self.fields["facility"]


AUDIT_ACTIONS = sorted(AuditAction.choices, key=lambda choice: choice[0])


class AuditSearchForm(PeriodMixin, SafeTextMixin, forms.Form):
    date_from = forms.DateField(label=_("日付（から）"), required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label=_("日付（まで）"), required=False, widget=DATE_INPUT)
    action = forms.ChoiceField(label=_("操作"), required=False, choices=())
    staff = forms.ModelChoiceField(
        label=_("操作した職員"), queryset=None, required=False, empty_label=_("すべて")
    )
    user_number = forms.CharField(
        label=_("登録者（利用者番号）"),
        required=False,
        max_length=20,
        help_text=_("その登録者が操作した記録と、その登録者・予約・申込みへの操作の記録"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 10}),
    )
    target_type = forms.CharField(
        label=_("対象の種類"),
        required=False,
        max_length=80,
        help_text=_("例: reservations.reservation"),
    )
    target_id = forms.CharField(label=_("対象の番号"), required=False, max_length=64)
    ip_address = forms.GenericIPAddressField(label=_("接続元IPアドレス"), required=False)

    def __init__(self, data=None, *, municipality):
        super().__init__(data)
        self.fields["action"].choices = [
            ("", _("すべて")),
            *[(value, f"{label}（{value}）") for value, label in AUDIT_ACTIONS],
        ]
        self.fields["staff"].queryset = User.objects.filter(
            municipality=municipality, kind=User.Kind.STAFF
        ).order_by("login_id")
        self.fields["staff"].label_from_instance = lambda u: (
            f"{u.login_id} {u.display_name}".strip()
        )

    def clean_user_number(self) -> str:
        return to_half_width(self.cleaned_data["user_number"]).strip()

    def clean_target_type(self) -> str:
        return self.cleaned_data["target_type"].strip().lower()

    def clean_target_id(self) -> str:
        return to_half_width(self.cleaned_data["target_id"]).strip()
