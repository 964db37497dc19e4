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


class OneTimeCodeForm(forms.Form):
    """The 6-digit code of the staff member's authenticator app (second log-in step)."""

    code = forms.CharField(
        label=_("確認コード"),
        # Room for "123 456" or full-width digits typed with a Japanese input method.
        max_length=20,
        help_text=_("認証アプリに表示されている6桁の数字を入力してください。"),
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "autofocus": True,
                "size": 8,
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(to_half_width(self.cleaned_data["code"]).split()).replace("-", "")
        if not (len(code) == 6 and code.isdigit()):
            raise forms.ValidationError(_("確認コードが正しくありません。"), code="invalid")
        return code


class DecisionForm(forms.Form):
    message = forms.CharField(
        label=_("本人への連絡事項・理由"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("取消し・追加確認の依頼では必須です。本人にメールで届きます。"),
    )


class DeletionForm(forms.Form):
    reason = forms.ChoiceField(label=_("抹消の理由"), choices=())
    note = forms.CharField(
        label=_("補足（記録用）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        from yoyaku.registrants.models import Registrant

        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [
            ("", _("選んでください")),
            *Registrant.DeletionReason.choices,
        ]


class MergeForm(forms.Form):
    into = forms.ChoiceField(label=_("統合先（既存の登録）"), choices=())

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].choices = [
            (r.pk, f"{r.user_number} {r.name}（{r.get_status_display()}）") for r in candidates
        ]


class CounterChannelForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("受付方法"),
        choices=[("counter", _("窓口（申請書）")), ("post", _("郵送（専用はがき）"))],
        initial="counter",
    )
    kind = forms.ChoiceField(
        label=_("申請者の種類"),
        choices=[("individual", _("個人")), ("group", _("団体"))],
        initial="individual",
    )
