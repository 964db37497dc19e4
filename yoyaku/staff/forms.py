from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yoyaku.citizen.forms import to_half_width
from yoyaku.core.models import MaintenanceWindow, Municipality

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class StaffLoginForm(forms.Form):
    municipality = forms.ModelChoiceField(
        label=_("自治体"), queryset=Municipality.objects.all(), empty_label=None
    )
    login_id = forms.CharField(
        label=_("職員ID"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label=_("パスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_login_id(self) -> str:
        return to_half_width(self.cleaned_data["login_id"])


class NoticeForm(forms.Form):
    title = forms.CharField(label=_("件名"), max_length=200)
    body = forms.CharField(
        label=_("本文"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "使えるタグ: p, br, strong, em, ul, ol, li, a, h3, h4。その他は取り除かれます。"
        ),
    )
    published_at = forms.DateTimeField(
        label=_("掲載開始"),
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    expires_at = forms.DateTimeField(
        label=_("掲載終了"),
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    is_important = forms.BooleanField(label=_("重要なお知らせ（先頭に表示）"), required=False)


class MaintenanceForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("開始日時"),
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = forms.DateTimeField(
        label=_("終了日時"),
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    scope = forms.ChoiceField(
        label=_("停止の範囲"),
        choices=MaintenanceWindow.Scope.choices,
        widget=forms.RadioSelect,
        initial=MaintenanceWindow.Scope.WRITES,
    )
    message = forms.CharField(
        label=_("利用者へのメッセージ"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
