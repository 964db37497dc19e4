from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from yoyaku.core.models import MaintenanceWindow, Municipality
from yoyaku.core.params import SafeTextMixin
from yoyaku.core.text import to_half_width
from yoyaku.facilities.models import Facility, Slot, Unit
from yoyaku.lottery import services as lottery_services
from yoyaku.lottery.models import LotteryRound, LotteryRoundSchedule
from yoyaku.registrants.models import Registrant
from yoyaku.reservations.models import Reservation

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class StaffLoginForm(SafeTextMixin, forms.Form):
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


class NoticeForm(SafeTextMixin, forms.Form):
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


class TermsPublishForm(SafeTextMixin, forms.Form):
    body = forms.CharField(
        label=_("新しい版の本文"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 20}),
        help_text=_("書式のないテキストです。改行はそのまま表示されます。"),
    )
    change_summary = forms.CharField(
        label=_("主な変更点"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("登録者が次にログインしたとき、同意を求める画面に本文とともに表示します。"),
    )


class MaintenanceForm(SafeTextMixin, forms.Form):
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


class OneTimeCodeForm(SafeTextMixin, forms.Form):
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
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError(_("確認コードが正しくありません。"), code="invalid")
        return code


class DecisionForm(SafeTextMixin, forms.Form):
    message = forms.CharField(
        label=_("本人への連絡事項・理由"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("取消し・追加確認の依頼では必須です。本人にメールで届きます。"),
    )


class DeletionForm(SafeTextMixin, forms.Form):
    reason = forms.ChoiceField(label=_("抹消の理由"), choices=())
    note = forms.CharField(
        label=_("補足（記録用）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [
            ("", _("選んでください")),
            *Registrant.DeletionReason.choices,
        ]


class MergeForm(SafeTextMixin, forms.Form):
    into = forms.ChoiceField(label=_("統合先（既存の登録）"), choices=())

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].choices = [
            (r.pk, f"{r.user_number} {r.name}（{r.get_status_display()}）") for r in candidates
        ]


class CounterChannelForm(SafeTextMixin, forms.Form):
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
    return (
        Unit.objects.filter(facility__in=facilities, is_active=True, facility__is_active=True)
        .select_related("facility")
        .order_by("facility__order", "facility_id", "order", "id")
    )


class ReservationFilterForm(SafeTextMixin, forms.Form):
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


class ProxyTargetForm(SafeTextMixin, forms.Form):
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
        number = to_half_width(self.cleaned_data["user_number"])
        self.registrant = (
            Registrant.objects.select_related("municipality", "user")
            .filter(municipality=self.municipality, user_number=number)
            .first()
        )
        if self.registrant is None:
            raise forms.ValidationError(_("この利用者番号の登録者は見つかりません。"))
        return number


class ProxyChannelForm(SafeTextMixin, forms.Form):
    channel = forms.ChoiceField(
        label=_("受付方法"),
        choices=[("counter", _("窓口")), ("phone", _("電話"))],
        initial="counter",
        widget=forms.RadioSelect,
    )


class UnitBlockForm(SafeTextMixin, forms.Form):
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


# ---------------------------------------------------------------------------------------------
# Lottery rounds (抽選) and rounds on a schedule (定期抽選)
# ---------------------------------------------------------------------------------------------

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
NUMBER_INPUT = forms.NumberInput(attrs={"inputmode": "numeric"})


def _datetime(label, **kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, input_formats=DATETIME_FORMATS, widget=DATETIME_INPUT, **kwargs
    )


def _number(label, *, min_value, max_value, initial, **kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=min_value,
        max_value=max_value,
        initial=initial,
        widget=NUMBER_INPUT,
        **kwargs,
    )


class UnitsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class LotterySettingsForm(SafeTextMixin, forms.Form):
    """The units and rules of a round; shared by a round and a schedule of rounds."""

    units = UnitsChoiceField(
        label=_("対象の室場"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    max_applications_per_registrant = _number(
        _("1人が申し込める件数"), min_value=1, max_value=20, initial=2
    )
    max_choices = _number(_("1件の希望の数（第N希望まで）"), min_value=1, max_value=3, initial=3)
    max_wins_per_registrant = _number(
        _("1人が当選できる件数"), min_value=1, max_value=20, initial=1
    )
    eligible_categories = forms.MultipleChoiceField(
        label=_("申し込める区分"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("どれも選ばないときは、すべての区分の方が申し込めます。"),
    )
    groups_first = forms.BooleanField(label=_("登録団体を先に抽選する（団体優先）"), required=False)
    loser_weight_rounds = _number(
        _("落選が続いた方の優遇（直近の回数）"),
        min_value=0,
        max_value=12,
        initial=0,
        help_text=_("直近N回の抽選で落選した方の当選確率を2倍にします。0は優遇しません。"),
    )
    cancelled_win_release_hours = _number(
        _("取り消された当選枠を先着順に出すまでの時間"),
        min_value=0,
        max_value=720,
        initial=0,
        help_text=_("時間数。先着順の受付開始より前には出しません。"),
    )

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.fields["units"].queryset = _units_of(
            Facility.objects.filter(municipality=municipality)
        )
        self.fields["eligible_categories"].choices = [
            *Registrant.Category.choices,
            ("group", _("登録団体")),
        ]

    def unit_groups(self) -> list[tuple[object, list]]:
        """The unit check boxes grouped by facility: [(facility, [bound widget, …]), …]."""
        units = {str(u.pk): u for u in self.fields["units"].queryset}
        groups: list[tuple[object, list]] = []
        for widget in self["units"]:
            facility = units[str(widget.data["value"])].facility
            if not groups or groups[-1][0] != facility:
                groups.append((facility, []))
            groups[-1][1].append(widget)
        return groups


class LotteryRoundForm(LotterySettingsForm):
    """A round (抽選) made by hand. Times are Japan time; they must follow each other:
    受付開始 < 受付終了 ≤ 抽選 < 当選の確認期限 ≤ 先着順の受付開始, and the use dates come
    after the close."""

    name = forms.CharField(
        label=_("抽選の名前"), max_length=100, help_text=_("例：2026年8月利用分")
    )
    use_from = forms.DateField(label=_("対象の利用日（から）"), widget=DATE_INPUT)
    use_until = forms.DateField(label=_("対象の利用日（まで）"), widget=DATE_INPUT)
    applications_open_at = _datetime(_("申込みの受付開始"))
    applications_close_at = _datetime(_("申込みの受付終了"))
    draw_at = _datetime(
        _("抽選日時"), help_text=_("この時刻に自動で抽選します（受付終了の後は手動でも可）。")
    )
    confirm_deadline = _datetime(
        _("当選の確認期限"), help_text=_("期限までに確認のない当選は取り消されます。")
    )
    first_come_opens_at = _datetime(
        _("先着順の受付開始"), help_text=_("それまで対象の日は「抽」と表示され、予約できません。")
    )

    public_source_kind = forms.ChoiceField(
        label=_("公開乱数の出典"),
        choices=LotteryRound.PublicSource.choices,
        initial=LotteryRound.PublicSource.DRAND,
        required=False,  # drand when left out
        widget=forms.RadioSelect,
        help_text=_(
            "受付終了まで誰にも分からず、運営者が選べない値です。抽選にはこの値とシードを合わせて使います。"
        ),
    )
    public_source_text = forms.CharField(
        label=_("公開の抽せんの名前"),
        max_length=200,
        required=False,
        help_text=_("公開の抽せんを選んだ場合。例：第1901回ロト6（2026年6月11日抽せん）の本数字"),
    )
    public_value_at = _datetime(
        _("公開乱数が決まる日時"),
        required=False,
        help_text=_(
            "受付終了より後。drandで空欄のときは受付終了の1時間後。この時刻の後に職員が値を入力し、別の職員が確認します。"
        ),
    )

    field_order = [
        "name",
        "units",
        "use_from",
        "use_until",
        "applications_open_at",
        "applications_close_at",
        "draw_at",
        "confirm_deadline",
        "first_come_opens_at",
        "public_source_kind",
        "public_source_text",
        "public_value_at",
    ]

    def clean(self):
        # The rules of a round live in the lottery service; each refusal goes next to its field.
        data = super().clean()
        for problem in lottery_services.round_problems(municipality=self.municipality, fields=data):
            if problem.field in self.fields and problem.field not in self.errors:
                self.add_error(problem.field, problem.message)
        for problem in lottery_services.round_source_problems(fields=data):
            if problem.field in self.fields and problem.field not in self.errors:
                self.add_error(problem.field, problem.message)
        return data


class LotteryPublicSourceForm(SafeTextMixin, forms.Form):
    """The public value's source of a round, changed before its applications open."""

    public_source_kind = LotteryRoundForm.base_fields["public_source_kind"]
    public_source_text = LotteryRoundForm.base_fields["public_source_text"]
    public_value_at = LotteryRoundForm.base_fields["public_value_at"]


class LotteryPublicValueForm(SafeTextMixin, forms.Form):
    """The public value as read at its source (entered, then typed again to confirm)."""

    value = forms.CharField(
        label=_("公開乱数の値"),
        max_length=400,
        help_text=_("出典に公開された値をそのまま入力してください（drandは64桁の16進数）。"),
    )


class LotteryScheduleForm(LotterySettingsForm):
    """定期抽選: every month, the round for the month N months ahead (lottery.schedules)."""

    name_template = forms.CharField(
        label=_("抽選の名前"),
        max_length=100,
        initial="{year}年{month}月利用分",
        help_text=_("{year} と {month} は対象の年・月になります。例：{year}年{month}月利用分"),
    )
    months_ahead = _number(_("何か月先の1か月を対象にするか"), min_value=1, max_value=12, initial=2)
    open_day = _number(_("受付開始日（毎月、8:00から）"), min_value=1, max_value=28, initial=1)
    close_day = _number(_("受付終了日（毎月、23:59まで）"), min_value=1, max_value=28, initial=10)
    draw_day = _number(_("抽選日（毎月、10:00）"), min_value=1, max_value=28, initial=15)
    confirm_days = _number(
        _("当選の確認期限（抽選日の何日後の23:59まで）"),
        min_value=0,
        max_value=27,
        initial=5,
        help_text=_("先着順の受付は、確認期限の翌日9:00から始まります。"),
    )
    is_active = forms.BooleanField(
        label=_("有効にする（毎月自動で作成する）"), required=False, initial=True
    )

    field_order = [
        "name_template",
        "units",
        "months_ahead",
        "open_day",
        "close_day",
        "draw_day",
        "confirm_days",
    ]

    def clean_name_template(self) -> str:
        template = self.cleaned_data["name_template"].strip()
        if "{year}" not in template or "{month}" not in template:
            raise forms.ValidationError(
                _("{year} と {month} を入れてください（毎月ちがう名前にするため）。")
            )
        try:
            template.format(year=2026, month=12)
        except (KeyError, IndexError, ValueError):
            raise forms.ValidationError(
                _("{ } で囲めるのは {year} と {month} だけです。")
            ) from None
        exists = LotteryRoundSchedule.objects.filter(
            municipality=self.municipality, name_template=template
        ).exists()
        if exists:
            raise forms.ValidationError(_("同じ名前の定期抽選がすでにあります。"))
        return template

    def clean(self):
        data = super().clean()
        opens, closes, draw = data.get("open_day"), data.get("close_day"), data.get("draw_day")
        months, confirm = data.get("months_ahead"), data.get("confirm_days")
        if opens and closes and closes < opens:
            self.add_error("close_day", _("受付終了日は受付開始日以降にしてください。"))
        if closes and draw and draw <= closes:
            self.add_error("draw_day", _("抽選日は受付終了日より後にしてください。"))
        # The same rule as the model's check: first-come opens before the month of use.
        if draw and months and confirm is not None and draw + confirm >= 28 * months:
            self.add_error(
                "confirm_days",
                _(
                    "先着順の受付開始（確認期限の翌日）が対象の月に入ってしまいます。"
                    "日数を短くするか、もっと先の月を対象にしてください。"
                ),
            )
        return data
