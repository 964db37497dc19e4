from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from yoyaku.core.params import SafeTextMixin
from yoyaku.core.text import to_half_width
from yoyaku.core.uploads import sniff_upload
from yoyaku.facilities.models import ReductionCategory
from yoyaku.registrants.forms import RegistrationForm


class PasswordChangeForm(SafeTextMixin, forms.Form):
    current = forms.CharField(
        label=_("現在のパスワード"),
        strip=False,
        help_text=_("変更していない方は生年月日（西暦8桁）"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new = forms.CharField(
        label=_("新しいパスワード"),
        strip=False,
        help_text=_("8～12桁の半角英数字（生年月日は使えません）"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_confirm = forms.CharField(
        label=_("新しいパスワード(確認)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, with_current: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_current:
            del self.fields["current"]

    def clean_new(self) -> str:
        return to_half_width(self.cleaned_data["new"])

    def clean_new_confirm(self) -> str:
        return to_half_width(self.cleaned_data["new_confirm"])

    def clean(self):
        data = super().clean()
        if data.get("new") and data.get("new_confirm") and data["new"] != data["new_confirm"]:
            self.add_error("new_confirm", _("新しいパスワードが一致しません。"))
        return data


class DetailsChangeForm(RegistrationForm):
    """登録事項の変更: the same fields and checks as registration, minus what cannot change."""

    KEEP = (
        "name_kana",
        "name",
        "name_proof",
        "phone",
        "category",
        "postal_code",
        "prefecture",
        "city",
        "street",
        "email",
        *RegistrationForm.WORKPLACE_FIELDS,
        "employment_proof",
    )
    FILES = ("employment_proof", "name_proof")

    name_proof = forms.FileField(
        label=_("氏名の変更を確認できる書類"),
        required=False,
        help_text=_("氏名を変更する方のみ。戸籍抄本など、PDF・JPEG・PNG形式、5MBまで"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )

    def __init__(self, *args, registrant, **kwargs):
        super().__init__(
            *args,
            municipality=registrant.municipality,
            kind=registrant.kind,
            channel="counter",  # the address is optional here: it changes through a link
            has_proof=True,
            **kwargs,
        )
        self.registrant = registrant
        for name in list(self.fields):
            if name not in self.KEEP:
                del self.fields[name]
        # Left blank, the name stays as registered (the form shows it filled in).
        self.fields["name_kana"].required = False
        self.fields["name"].required = False
        self.fields["email"].help_text = _(
            "新しいアドレスに確認メールを送ります。リンクを開くと変更が完了します。"
        )

    def clean_name_kana(self) -> str:
        if not self.cleaned_data["name_kana"].strip():
            return self.registrant.name_kana
        return super().clean_name_kana()

    def clean_name(self) -> str:
        if not self.cleaned_data["name"].strip():
            return self.registrant.name
        return super().clean_name()

    def clean_name_proof(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("name_proof")
        if not upload:
            return None
        self.name_proof_type = sniff_upload(upload)
        return upload

    def clean(self):
        data = forms.Form.clean(self)
        if data.get("category") == "worker":
            for name in self.WORKPLACE_FIELDS:
                if name not in self.errors and not data.get(name):
                    self.add_error(name, _("在勤の方は入力してください。"))
        return data


class ReplyForm(SafeTextMixin, forms.Form):
    reply = forms.CharField(
        label=_("回答"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    employment_proof = RegistrationForm.base_fields["employment_proof"]

    def clean_employment_proof(self):
        return RegistrationForm.clean_employment_proof(self)


class MailLanguageForm(SafeTextMixin, forms.Form):
    language = forms.ChoiceField(
        label=_("お知らせの言語"),
        help_text=_(
            "メールとLINEのお知らせの言語です。Englishを選んだ方には日本語でお送りします。"
        ),
        choices=settings.LANGUAGES,
        widget=forms.RadioSelect,
    )


class PasswordResetRequestForm(SafeTextMixin, forms.Form):
    user_number = forms.CharField(
        label=_("利用者番号"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    email = forms.EmailField(
        label=_("登録したメールアドレス"),
        error_messages={"invalid": _("メールアドレスを正しく入力してください。")},
    )

    def clean_user_number(self) -> str:
        return to_half_width(self.cleaned_data["user_number"])


class DeregisterForm(SafeTextMixin, forms.Form):
    confirm = forms.BooleanField(
        label=_("利用者登録を廃止します。廃止後はログインできません。"),
        error_messages={"required": _("確認のため、チェックを入れてください。")},
    )


class ReductionRequestForm(SafeTextMixin, forms.Form):
    category = forms.ModelChoiceField(
        label=_("減免の区分"),
        queryset=None,
        empty_label=_("選んでください"),
        error_messages={"required": _("減免の区分を選んでください。")},
    )
    employment_proof = forms.FileField(
        label=_("確認書類（PDF・JPEG・PNG、5MBまで）"),
        required=False,
        help_text=_(
            "障害者手帳・年齢の分かる書類・団体の規約など、区分ごとの書類を添付してください。"
        ),
    )

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ReductionCategory.objects.filter(
            municipality=municipality
        )

    def clean_employment_proof(self):
        return RegistrationForm.clean_employment_proof(self)
