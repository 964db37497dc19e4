"""Forms of the municipality's settings (自治体の設定). Built from the table of policies in
``yoyaku.core.municipality_services``, which checks every value and names the field of each
refusal; the forms only parse what the administrator types."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yoyaku.core import municipality_services as ms
from yoyaku.core.models import Municipality
from yoyaku.core.params import SafeTextMixin
from yoyaku.core.text import to_half_width
from yoyaku.registrants.card import KEEP_NOTE
from yoyaku.reservations.permit import CONDITIONS, standard_issuer

NUMBER = forms.NumberInput(attrs={"inputmode": "numeric"})
TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")

HELP = {
    "registration_mode": _(
        "「審査完了後に予約可」では、申請した方は職員の審査が終わるまで予約・抽選の申込みが"
        "できません。切り替えは、まだ審査の終わっていない申請者にもすぐ適用されます。"
    ),
    "system_name": _("公開ページの見出しやメールに表示します。"),
    "non_resident_label": _("空欄のときは「市外の方」と表示します。"),
    "example_name": _(
        "申請フォームの入力例です（例: 浮羽　太郎）。空欄のときは一般的な例を表示します。"
    ),
    "example_name_kana": _("例: ウキハ　タロウ"),
    "example_phone": _("例: 0943-12-3456"),
    "contact_text": _("許可書・登録証・メールの問合せ先に表示します（一行ずつ）。"),
    "about_text": _("トップページに表示する説明文です（プレーンテキスト）。"),
    "user_number_digits": _("利用者が登録された後は変更できません。"),
    "free_child_age": _("宿泊施設で、この年齢未満の子どもは無料で人数に数えません。"),
    "minimum_age": _("この年齢未満の方は利用者登録できません。"),
    "service_open_minute": _("予約システムで申込みを受け付ける時間です（例: 8:00）。"),
    "service_close_minute": _("真夜中までのときは 24:00 と入力してください。"),
    "year_end_start_month": _("例: 12月29日から1月3日まで"),
}


def minutes_label(minute: int) -> str:
    return f"{minute // 60}:{minute % 60:02d}"


class TimeOfDayField(forms.Field):
    """A time of day typed as 8:00 or 24:00, as minutes after midnight (the service checks
    the range). Anything but digits and one colon is refused, control characters included."""

    widget = forms.TextInput(attrs={"maxlength": 5, "inputmode": "numeric"})

    def prepare_value(self, value: Any) -> Any:
        return minutes_label(value) if isinstance(value, int) else value

    def to_python(self, value: Any) -> int | None:
        value = to_half_width(str(value or "")).strip()
        if not value:
            return None
        match = TIME.fullmatch(value)
        if not match or int(match.group(2)) >= 60:
            raise forms.ValidationError(
                _("「%(label)s」は 8:00 のように時:分で入力してください。"),
                code="time",
                params={"label": self.label},
            )
        return int(match.group(1)) * 60 + int(match.group(2))


def _field(name: str) -> forms.Field:
    help_text = HELP.get(name, "")
    if name == "registration_mode":
        return forms.ChoiceField(
            label=_("利用者登録の方式"),
            choices=Municipality.RegistrationMode.choices,
            widget=forms.RadioSelect,
            help_text=help_text,
        )
    if name in ("service_open_minute", "service_close_minute"):
        return TimeOfDayField(label=ms.POLICY_NUMBERS[name].label, help_text=help_text)
    if name in ms.POLICY_TEXTS:
        spec = ms.POLICY_TEXTS[name]
        widget = forms.Textarea(attrs={"rows": 5}) if spec.max_length > 200 else None
        # The length is the service's rule; the form lets a long text through to its message.
        return forms.CharField(
            label=spec.label, required=spec.required, widget=widget, help_text=help_text
        )
    if name in ms.POLICY_NUMBERS:
        return forms.IntegerField(
            label=ms.POLICY_NUMBERS[name].label, widget=NUMBER, help_text=help_text
        )
    return forms.BooleanField(label=ms.POLICY_FLAGS[name], required=False, help_text=help_text)


# The order of the page, in groups with a heading each.
POLICY_GROUPS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (_("名称"), ("name", "name_en", "system_name", "system_name_en")),
    (
        _("利用者登録"),
        (
            "registration_mode",
            "allows_residents",
            "allows_workers",
            "allows_non_residents",
            "allows_groups",
            "minimum_age",
            "registration_validity_years",
            "user_number_digits",
        ),
    ),
    (
        _("区分の呼び方"),
        (
            "resident_label",
            "resident_label_en",
            "worker_label",
            "worker_label_en",
            "non_resident_label",
            "non_resident_label_en",
        ),
    ),
    (_("申請フォームの入力例"), ("example_name", "example_name_kana", "example_phone")),
    (
        _("受付時間と年末年始"),
        (
            "service_open_minute",
            "service_close_minute",
            "year_end_start_month",
            "year_end_start_day",
            "year_end_end_month",
            "year_end_end_day",
        ),
    ),
    (_("宿泊施設"), ("free_child_age",)),
    (_("抽選"), ("lottery_runner_up",)),
    (_("公開ページの文章"), ("contact_text", "about_text")),
)
assert sorted(n for _, names in POLICY_GROUPS for n in names) == sorted(ms.POLICY_FIELDS)


class PolicyForm(SafeTextMixin, forms.Form):
    """Every policy of the municipality; the initial values are the ones in force."""

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {name: getattr(municipality, name) for name in ms.POLICY_FIELDS}
        )
        super().__init__(*args, **kwargs)
        for _heading, names in POLICY_GROUPS:
            for name in names:
                self.fields[name] = _field(name)

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(heading, [self[name] for name in names]) for heading, names in POLICY_GROUPS]


class DocumentsForm(SafeTextMixin, forms.Form):
    """How the permit and the registration card are printed. The standard wording is shown
    filled in; saving it unchanged stores nothing of it (blank: the standard)."""

    permit_issuer = forms.CharField(
        label=ms.DOCUMENT_TEXTS["permit_issuer"].label,
        required=False,
        help_text=_("使用許可書と領収書に印字する発行者（例: うきは市教育委員会、港区長）。"),
    )
    permit_conditions = forms.CharField(
        label=ms.DOCUMENT_TEXTS["permit_conditions"].label,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "一行に一つ。使用許可書にこの順で番号を付けて印字し、施設ごとの注意事項と取消料が"
            "続きます。"
        ),
    )
    card_note = forms.CharField(
        label=ms.DOCUMENT_TEXTS["card_note"].label,
        required=False,
        help_text=_("利用者登録証の最後の行に印字します。"),
    )
    seal = forms.FileField(
        label=_("公印の画像"),
        required=False,
        help_text=_(
            "PNGまたはJPEG形式、1MB以下。許可書と登録証の発行者名の位置に印字します。"
            "背景が透明なPNGをおすすめします。"
        ),
    )
    remove_seal = forms.BooleanField(label=_("公印の画像を使わない"), required=False)

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        self.municipality = municipality
        kwargs.setdefault(
            "initial",
            {
                "permit_issuer": municipality.permit_issuer or standard_issuer(municipality),
                "permit_conditions": municipality.permit_conditions or "\n".join(CONDITIONS),
                "card_note": municipality.card_note or KEEP_NOTE,
            },
        )
        super().__init__(*args, **kwargs)
        if not municipality.seal:
            del self.fields["remove_seal"]

    def texts(self) -> dict[str, str]:
        """The texts to store: blank where they are the standard wording (so a change of the
        municipality's name still changes the standard issuer)."""
        data = self.cleaned_data
        standard = {
            "permit_issuer": standard_issuer(self.municipality),
            "permit_conditions": "\n".join(CONDITIONS),
            "card_note": KEEP_NOTE,
        }
        texts = {}
        for name, default in standard.items():
            value = data[name].replace("\r\n", "\n").strip()
            lines = [line.strip() for line in value.splitlines() if line.strip()]
            texts[name] = "" if "\n".join(lines) == default else value
        return texts
