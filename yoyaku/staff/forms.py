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


# ---------------------------------------------------------------------------------------------
# Reservations (approval, list, 代理申請) and unit blocks (利用停止)
# ---------------------------------------------------------------------------------------------

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UnitChoiceField(forms.ModelChoiceField):
    """Units named with their facility: 「うきは市文化会館 大ホール」."""

    def label_from_instance(self, obj) -> str:
        return f"{obj.facility.display_name} {obj.display_name}"


class SlotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.schedule.name}：{obj.display_label}（{obj.time_label}）"


def _units_of(facilities):
    from yoyaku.facilities.models import Unit

    return (
        Unit.objects.filter(facility__in=facilities, is_active=True, facility__is_active=True)
        .select_related("facility")
        .order_by("facility__order", "facility_id", "order", "id")
    )


class ReservationFilterForm(forms.Form):
    facility = forms.ModelChoiceField(
        label=_("施設"), queryset=None, required=False, empty_label=_("すべて")
    )
    date_from = forms.DateField(label=_("利用日（から）"), required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label=_("利用日（まで）"), required=False, widget=DATE_INPUT)
    status = forms.ChoiceField(label=_("状況"), required=False, choices=())
    user_number = forms.CharField(
        label=_("利用者番号"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 10}),
    )

    def __init__(self, *args, facilities, **kwargs):
        from yoyaku.reservations.models import Reservation

        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities
        self.fields["status"].choices = [("", _("すべて")), *Reservation.Status.choices]

    def clean_user_number(self) -> str:
        return to_half_width(self.cleaned_data["user_number"])

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("終了日は開始日以降にしてください。"))
        return data


class ProxyTargetForm(forms.Form):
    """代理申請, first step: who (利用者番号), which unit, which date."""

    user_number = forms.CharField(
        label=_("利用者番号"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 10}),
    )
    unit = UnitChoiceField(label=_("室場"), queryset=None, empty_label=_("選んでください"))
    date = forms.DateField(label=_("利用日（宿泊はチェックイン日）"), widget=DATE_INPUT)

    def __init__(self, *args, municipality, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.registrant = None
        self.fields["unit"].queryset = _units_of(facilities)

    def clean_user_number(self) -> str:
        from yoyaku.registrants.models import Registrant

        number = to_half_width(self.cleaned_data["user_number"])
        self.registrant = (
            Registrant.objects.select_related("municipality", "user")
            .filter(municipality=self.municipality, user_number=number)
            .first()
        )
        if self.registrant is None:
            raise forms.ValidationError(_("この利用者番号の登録者は見つかりません。"))
        return number


class ProxyChannelForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("受付方法"),
        choices=[("counter", _("窓口")), ("phone", _("電話"))],
        initial="counter",
        widget=forms.RadioSelect,
    )


class UnitBlockForm(forms.Form):
    """利用停止: whole days, or one slot of a time-slot unit, or some rooms of a room type."""

    unit = UnitChoiceField(label=_("室場"), queryset=None, empty_label=_("選んでください"))
    start_date = forms.DateField(label=_("開始日"), widget=DATE_INPUT)
    end_date = forms.DateField(label=_("終了日"), widget=DATE_INPUT)
    slot = SlotChoiceField(
        label=_("時間区分"),
        queryset=None,
        required=False,
        empty_label=_("終日"),
        help_text=_("空欄は終日です。宿泊の室場では指定しません。"),
    )
    rooms = forms.IntegerField(
        label=_("部屋数（宿泊）"),
        required=False,
        min_value=1,
        max_value=999,
        help_text=_("宿泊の室場だけ。空欄は全室です。"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    reason = forms.CharField(
        label=_("理由"), max_length=200, help_text=_("例：空調設備の修繕、市主催の行事")
    )

    def __init__(self, *args, facilities, **kwargs):
        from yoyaku.facilities.models import Slot

        super().__init__(*args, **kwargs)
        units = _units_of(facilities)
        self.fields["unit"].queryset = units
        self.fields["slot"].queryset = (
            Slot.objects.filter(schedule__units__in=units)
            .select_related("schedule")
            .distinct()
            .order_by("schedule__name", "start", "end")
        )

    def clean(self):
        data = super().clean()
        unit = data.get("unit")
        if unit is not None and unit.is_lodging and data.get("slot"):
            self.add_error("slot", _("宿泊の室場には時間区分を指定できません。"))
        if unit is not None and not unit.is_lodging and data.get("rooms"):
            self.add_error("rooms", _("部屋数は宿泊の室場だけ指定できます。"))
        return data
