"""The registration form of 000's 必要事項入力画面, shared by the citizen pages and the counter.

Every field is normalised before it is checked, so that what a person types on a Japanese
keyboard (half-width kana, full-width digits, any dash) is accepted and stored cleanly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yoyaku.core.errors import DomainError
from yoyaku.core.models import Municipality
from yoyaku.core.params import SafeTextMixin
from yoyaku.core.uploads import extension_of, sniff_upload
from yoyaku.registrants import normalize, rules
from yoyaku.registrants.models import Registrant, TermsOfUse


def text(label, *, max_length=100, help_text="", required=True, **attrs) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs=attrs),
    )


class RegistrationForm(SafeTextMixin, forms.Form):
    """利用者登録情報. ``kind`` is individual or group; ``channel`` online, counter or post."""

    group_name = text(_("団体名"), autocomplete="organization")
    group_name_kana = text(_("団体名カタカナ"), help_text=_("全角カタカナで入力"))
    member_count = forms.IntegerField(
        label=_("構成員数"),
        min_value=2,
        max_value=10000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    activity = text(
        _("主な活動内容"), max_length=200, help_text=_("例：卓球の練習、地域の清掃活動")
    )

    name_kana = text(
        _("氏名カタカナ"),
        autocomplete="off",
    )
    name = text(
        _("氏名漢字"),
        autocomplete="name",
    )
    phone = text(
        _("電話番号"),
        max_length=20,
        autocomplete="tel",
        inputmode="tel",
    )
    category = forms.ChoiceField(label=_("在住・在勤区分"), widget=forms.RadioSelect)
    postal_code = text(
        _("郵便番号"),
        max_length=10,
        help_text=_("半角数字で入力 例 123-4567"),
        autocomplete="postal-code",
        inputmode="numeric",
    )
    prefecture = text(
        _("都道府県"), max_length=10, help_text=_("全角文字で入力"), autocomplete="address-level1"
    )
    city = text(
        _("市区郡"), max_length=50, help_text=_("全角文字で入力"), autocomplete="address-level2"
    )
    street = text(
        _("町村番地"), max_length=200, help_text=_("全角文字で入力"), autocomplete="address-line1"
    )
    birth_year = forms.IntegerField(
        label=pgettext_lazy("birth date", "年"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "bday-year"}),
    )
    birth_month = forms.IntegerField(
        label=pgettext_lazy("birth date", "月"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "bday-month"}),
    )
    birth_day = forms.IntegerField(
        label=pgettext_lazy("birth date", "日"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "bday-day"}),
    )
    email = forms.CharField(
        label=_("メールアドレス"),
        max_length=254,
        required=False,
        help_text=_("半角英数字記号で入力"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    email_confirm = forms.CharField(
        label=_("メールアドレス(確認)"),
        max_length=254,
        required=False,
        help_text=_("確認のため、もう一度入力してください"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    workplace_name = text(_("勤務先名称(在勤の方)"), required=False, help_text=_("全角文字で入力"))
    workplace_postal_code = text(
        _("郵便番号"),
        max_length=10,
        required=False,
        help_text=_("半角数字で入力 例 123-4567"),
        inputmode="numeric",
    )
    workplace_prefecture = text(
        _("都道府県"), max_length=10, required=False, help_text=_("全角文字で入力")
    )
    workplace_city = text(_("市区郡"), max_length=50, required=False, help_text=_("全角文字で入力"))
    workplace_street = text(
        _("町村番地"), max_length=200, required=False, help_text=_("全角文字で入力")
    )
    workplace_phone = text(
        _("勤務先電話番号(在勤の方)"),
        max_length=20,
        required=False,
        inputmode="tel",
    )
    employment_proof = forms.FileField(
        label=_("在勤証明書(在勤の方)"),
        required=False,
        help_text=_("PDF・JPEG・PNG形式、5MBまで"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )

    GROUP_FIELDS = ("group_name", "group_name_kana", "member_count", "activity")
    WORKPLACE_FIELDS = rules.WORKPLACE_FIELDS

    def __init__(
        self,
        *args,
        municipality: Municipality,
        kind: str = Registrant.Kind.INDIVIDUAL,
        channel: str = Registrant.Channel.ONLINE,
        has_proof: bool = False,
        terms: TermsOfUse | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.terms = terms  # the terms in force, shown with the form; None: no terms to agree
        self.kind = kind
        self.channel = channel
        self.has_proof = has_proof  # a proof kept from an earlier step of the same application
        self.fields["category"].choices = [
            (category, Registrant.category_label_for(municipality, category))
            for category in rules.allowed_categories(municipality)
        ]
        # The examples are this municipality's: another's name or area code would mislead.
        self.examples = municipality.form_examples
        name_help = _(
            "全角文字で入力 例：%(example)s（氏と名の間に全角スペースを入力してください）"
        )
        phone_help = _("半角数字で入力 例 %(example)s")
        for name, message, key in (
            ("name_kana", name_help, "name_kana"),
            ("name", name_help, "name"),
            ("phone", phone_help, "phone"),
            ("workplace_phone", phone_help, "phone"),
        ):
            self.fields[name].help_text = message % {"example": self.examples[key]}
        if kind != Registrant.Kind.GROUP:
            for name in self.GROUP_FIELDS:
                del self.fields[name]
        else:
            self.fields["name_kana"].label = _("代表者氏名カタカナ")
            self.fields["name"].label = _("代表者氏名漢字")
        if channel == Registrant.Channel.ONLINE:
            self.fields["email"].required = True
            self.fields["email_confirm"].required = True
        for field in self.fields.values():
            field.error_messages["required"] = _("入力してください。")
            if isinstance(field, forms.IntegerField):
                field.error_messages["invalid"] = _("半角数字で入力してください。")
        self.fields["email"].error_messages["required"] = _(
            "メールアドレスの入力がない場合は、インターネットでの利用者登録はできません。"
            "専用はがき又は窓口でお申し込みください。"
        )
        self.fields["email"].error_messages["invalid"] = _(
            "メールアドレスを正しく入力してください。"
        )
        if terms is not None:
            # Online the person ticks it; at the counter staff confirm the paper's signature.
            label = (
                _("利用規約に同意します")
                if channel == Registrant.Channel.ONLINE
                else _("申請書で利用規約への同意を確認した")
            )
            missing = (
                DomainError("terms_agreement_required").message
                if channel == Registrant.Channel.ONLINE
                else _("申請書の同意欄を確認してから、チェックを入れてください。")
            )
            self.fields["agree_terms"] = forms.BooleanField(
                label=label, required=True, error_messages={"required": missing}
            )

    @property
    def terms_version(self) -> int | None:
        """The version the person agreed to (``registration_apply``'s ``terms_version``)."""
        if self.terms is None or not self.cleaned_data.get("agree_terms"):
            return None
        return self.terms.version

    # — normalisation —

    def clean_group_name_kana(self) -> str:
        value = normalize.katakana_name(self.cleaned_data["group_name_kana"]).replace("\u3000", "")
        if not all("ァ" <= ch <= "ヶ" or ch in "ー・" for ch in value):
            raise forms.ValidationError(_("団体名カタカナは全角カタカナで入力してください。"))
        return value

    def clean_name_kana(self) -> str:
        value = normalize.katakana_name(self.cleaned_data["name_kana"])
        if not normalize.is_katakana_name(value):
            raise forms.ValidationError(
                _(
                    "全角カタカナで、氏と名の間に全角スペースを入れて入力してください（例：%(example)s）。"
                )
                % {"example": self.examples["name_kana"]}
            )
        return value

    def clean_name(self) -> str:
        value = normalize.kanji_name(self.cleaned_data["name"])
        if not normalize.is_spaced_name(value):
            raise forms.ValidationError(
                _("氏と名の間に全角スペースを入れて入力してください（例：%(example)s）。")
                % {"example": self.examples["name"]}
            )
        return value

    def _phone(self, value: str) -> str:
        value = normalize.phone(value)
        if value and not normalize.is_phone(value):
            raise forms.ValidationError(
                _("電話番号は市外局番から半角数字で入力してください（例 %(example)s）。")
                % {"example": self.examples["phone"]}
            )
        return value

    def clean_phone(self) -> str:
        return self._phone(self.cleaned_data["phone"])

    def clean_workplace_phone(self) -> str:
        return self._phone(self.cleaned_data["workplace_phone"])

    def _postal(self, value: str) -> str:
        value = normalize.postal_code(value)
        if value and not normalize.is_postal_code(value):
            raise forms.ValidationError(
                _("郵便番号は7桁の半角数字で入力してください（例 123-4567）。")
            )
        return value

    def clean_postal_code(self) -> str:
        return self._postal(self.cleaned_data["postal_code"])

    def clean_workplace_postal_code(self) -> str:
        return self._postal(self.cleaned_data["workplace_postal_code"])

    def _prefecture(self, value: str) -> str:
        value = normalize.address_text(value)
        if value and value not in normalize.PREFECTURES:
            candidates = [p for p in normalize.PREFECTURES if p.startswith(value)]
            if len(candidates) == 1:
                return candidates[0]  # 東京 → 東京都, 福岡 → 福岡県
            raise forms.ValidationError(_("都道府県名を正しく入力してください（例：東京都）。"))
        return value

    def clean_prefecture(self) -> str:
        return self._prefecture(self.cleaned_data["prefecture"])

    def clean_workplace_prefecture(self) -> str:
        return self._prefecture(self.cleaned_data["workplace_prefecture"])

    def clean_city(self) -> str:
        return normalize.address_text(self.cleaned_data["city"])

    def clean_street(self) -> str:
        return normalize.address_text(self.cleaned_data["street"])

    def clean_workplace_city(self) -> str:
        return normalize.address_text(self.cleaned_data["workplace_city"])

    def clean_workplace_street(self) -> str:
        return normalize.address_text(self.cleaned_data["workplace_street"])

    def clean_workplace_name(self) -> str:
        return normalize.kanji_name(self.cleaned_data["workplace_name"])

    def clean_email(self) -> str:
        value = normalize.email(self.cleaned_data["email"])
        if value:
            try:
                forms.EmailField().clean(value)
            except forms.ValidationError as exc:
                raise forms.ValidationError(_("メールアドレスを正しく入力してください。")) from exc
        return value

    def clean_email_confirm(self) -> str:
        return normalize.email(self.cleaned_data["email_confirm"])

    def clean_employment_proof(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("employment_proof")
        if not upload:
            return None
        self.proof_type = sniff_upload(upload)
        self.proof_extension = extension_of(self.proof_type)
        return upload

    # — checks across fields —

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._clean_birth_date(data)
        email, confirm = data.get("email"), data.get("email_confirm")
        if email and "email_confirm" not in self.errors and email != confirm:
            self.add_error(
                "email_confirm", _("メールアドレスが一致しません。もう一度入力してください。")
            )
        self.add_rule_errors(data)
        return data

    def add_rule_errors(self, data: dict[str, Any]) -> None:
        """The service's own rules (``rules.registration_problems``), each next to its field."""
        problems = rules.registration_problems(
            municipality=self.municipality,
            data={**data, "kind": self.kind},
            channel=self.channel,
            has_proof=self.has_proof or bool(data.get("employment_proof")),
        )
        for problem in problems:
            self.add_service_error(problem)
        if any(problem.field == "birth_date" for problem in problems):
            data.pop("birth_date", None)

    def add_service_error(self, error: DomainError) -> None:
        """A refusal of the registration service, next to the field it names (the birth
        date's three fields show it at the year), unless that field already has an error."""
        name = "birth_year" if error.field == "birth_date" else error.field
        if name not in self.fields:
            name = None
        if name is None or name not in self.errors:
            self.add_error(name, error.message)

    def _clean_birth_date(self, data: dict[str, Any]) -> None:
        """Builds ``birth_date`` from the three fields; :meth:`add_rule_errors` checks it."""
        year, month, day = data.get("birth_year"), data.get("birth_month"), data.get("birth_day")
        if None in (year, month, day):
            return
        try:
            data["birth_date"] = dt.date(year, month, day)
        except (ValueError, OverflowError):
            self.add_error("birth_year", DomainError("birth_date_invalid").message)

    def registrant_data(self) -> dict[str, Any]:
        """The cleaned values in the shape ``registration_apply`` takes."""
        data = {
            k: v
            for k, v in self.cleaned_data.items()
            if k not in {"email_confirm", "employment_proof", "agree_terms"}
        }
        for name in ("birth_year", "birth_month", "birth_day"):
            data.pop(name, None)
        data["kind"] = self.kind
        if data.get("category") != Registrant.Category.WORKER:
            for name in self.WORKPLACE_FIELDS:
                data[name] = ""
        return data


def data_to_session(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in data.items()}


def data_from_session(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    data["birth_date"] = dt.date.fromisoformat(data["birth_date"])
    return data


def form_initial_from_data(data: dict[str, Any]) -> dict[str, Any]:
    """What to put back into the form when the person chooses 修正する on the confirmation."""
    initial = {k: v for k, v in data.items() if k != "birth_date"}
    birth = (
        dt.date.fromisoformat(data["birth_date"])
        if isinstance(data.get("birth_date"), str)
        else data.get("birth_date")
    )
    if birth:
        initial.update(birth_year=birth.year, birth_month=birth.month, birth_day=birth.day)
    initial["email_confirm"] = data.get("email", "")
    return initial
