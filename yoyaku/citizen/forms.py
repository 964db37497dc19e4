from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from yoyaku.core.models import Municipality
from yoyaku.core.params import DATE_MAX, DATE_MIN, SafeTextMixin
from yoyaku.core.text import to_half_width
from yoyaku.facilities.catalogue import directory
from yoyaku.facilities.models import Purpose


class RegistrantLoginForm(SafeTextMixin, forms.Form):
    user_number = forms.CharField(
        label=_("利用者番号"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("パスワード"),
        max_length=64,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, municipality: Municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        digits = municipality.user_number_digits
        self.fields["user_number"].help_text = _("半角数字%(digits)s桁") % {"digits": digits}

    def clean_user_number(self) -> str:
        value = to_half_width(self.cleaned_data["user_number"]).replace("-", "")
        digits = self.municipality.user_number_digits
        if not re.fullmatch(r"[0-9]+", value) or len(value) != digits:
            raise forms.ValidationError(
                _("利用者番号は%(digits)s桁の数字で入力してください。") % {"digits": digits}
            )
        return value

    def clean_password(self) -> str:
        return to_half_width(self.cleaned_data["password"])


class AvailabilitySearchForm(SafeTextMixin, forms.Form):
    date = forms.DateField(
        label=_("利用日"),
        required=False,
        input_formats=["%Y-%m-%d", "%Y/%m/%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("日付は 2026-12-05 の形式で入力してください。")},
    )
    kind = forms.ChoiceField(label=_("施設の種類"), required=False)
    purpose = forms.ChoiceField(
        label=_("利用目的"),
        required=False,
        error_messages={"invalid_choice": _("利用目的の指定が正しくありません。")},
    )

    def __init__(self, *args, municipality: Municipality, **kwargs):
        super().__init__(*args, **kwargs)
        # Kinds and purposes from the cached directory: the day view's filter costs no query,
        # and the view reads its facilities from the same value.
        self.directory = directory(municipality=municipality)
        self.fields["kind"].choices = [("", _("すべて")), *self.directory.kinds()]
        self.fields["kind"].error_messages["invalid_choice"] = _(
            "施設の種類の指定が正しくありません。"
        )
        self._purposes = {str(p.pk): p for p in self.directory.purposes}
        self.fields["purpose"].choices = [
            ("", _("すべて")),
            *((pk, str(p)) for pk, p in self._purposes.items()),
        ]

    def clean_purpose(self) -> Purpose | None:
        return self._purposes.get(self.cleaned_data.get("purpose") or "")

    def clean_date(self) -> dt.date | None:
        value = self.cleaned_data.get("date")
        if value is not None and not DATE_MIN <= value <= DATE_MAX:
            raise forms.ValidationError(_("日付の範囲が正しくありません。"))
        return value
