"""Forms of the staff accounts pages; the rules are in yoyaku.core.staff_services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yoyaku.core.models import Municipality, User
from yoyaku.core.params import SafeTextMixin
from yoyaku.core.text import to_half_width


class StaffAccountForm(SafeTextMixin, forms.Form):
    """Role, facilities, name and e-mail; on creation also the staff id."""

    login_id = forms.CharField(
        label=_("職員ID"),
        max_length=50,
        help_text=_("ログインに使います。半角英数字と「.」「_」「-」、2～50文字。"),
    )
    display_name = forms.CharField(label=_("表示名"), max_length=100)
    email = forms.EmailField(label=_("メールアドレス"), required=False, max_length=254)
    role = forms.ChoiceField(
        label=_("役割"), choices=User.StaffRole.choices, widget=forms.RadioSelect
    )
    facilities = forms.ModelMultipleChoiceField(
        label=_("担当施設"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "施設管理者・窓口担当者・閲覧のみの職員は、選んだ施設の予約だけを扱えます。"
            "自治体管理者はすべての施設を扱えます。"
        ),
    )

    def __init__(self, *args, municipality: Municipality, with_login_id: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facilities"].queryset = municipality.facilities.all()
        if not with_login_id:
            del self.fields["login_id"]

    def clean_login_id(self) -> str:
        return to_half_width(self.cleaned_data["login_id"]).strip()


class TotpResetForm(SafeTextMixin, forms.Form):
    reason = forms.CharField(
        label=_("理由"), max_length=200, required=False, help_text=_("例: スマートフォンの紛失")
    )
