"""What every form of every face shares: messages that name the field, and errors a screen
reader can find.

Django's own messages (「このフィールドは必須です。」「有効な値を入力してください。」) do not say
which field they are about, which is hard to follow in an error summary or when a screen reader
reads a message on its own. Each form field therefore gets messages built from its label; a
message the form's author wrote for a field is kept.
"""

from __future__ import annotations

from django import forms
from django.forms.utils import pretty_name
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

# Required: what the person has to do depends on the kind of control.
_REQUIRED_TYPE = _("{label}を入力してください。")
_REQUIRED_CHOICE = _("{label}を選んでください。")
_REQUIRED_CHECK = _("{label}にチェックを入れてください。")
_REQUIRED_FILE = _("{label}のファイルを選んでください。")

_BY_CODE = {
    "min_value": _("{label}は%(limit_value)s以上で入力してください。"),
    "max_value": _("{label}は%(limit_value)s以下で入力してください。"),
    "min_length": _(
        "{label}は%(limit_value)d文字以上で入力してください（いま%(show_value)d文字）。"
    ),
    "max_length": _(
        "{label}は%(limit_value)d文字以内で入力してください（いま%(show_value)d文字）。"
    ),
    "invalid_choice": _("{label}は一覧から選んでください。"),
    "invalid_pk_value": _("{label}は一覧から選んでください。"),
    "invalid_list": _("{label}は一覧から選んでください。"),
    "list": _("{label}は一覧から選んでください。"),
    "step_size": _("{label}は%(limit_value)s刻みで入力してください。"),
    "empty": _("{label}のファイルが空です。"),
    "missing": _("{label}のファイルを選んでください。"),
    "invalid_image": _("{label}は画像ファイル（JPEG・PNG など）を選んでください。"),
    "contradiction": _("{label}は、ファイルを選ぶか削除するかのどちらかにしてください。"),
}

_INVALID_BY_FIELD = (
    (
        (forms.IntegerField, forms.DecimalField, forms.FloatField),
        _("{label}は半角数字で入力してください。"),
    ),
    ((forms.DateField,), _("{label}は 2027-01-01 のように、年-月-日 の形で入力してください。")),
    ((forms.TimeField,), _("{label}は 9:30 のように、時:分 の形で入力してください。")),
    ((forms.DateTimeField,), _("{label}は 2027-01-01 9:30 のように入力してください。")),
    ((forms.EmailField,), _("{label}は name@example.jp のような形で入力してください。")),
    ((forms.FileField,), _("{label}のファイルを読み取れませんでした。もう一度選んでください。")),
)
_INVALID_OTHER = _("{label}の入力内容を確認してください。")


def _django_defaults(field: forms.Field) -> dict[str, object]:
    """The messages Django itself gives this kind of field (not the ones a form set)."""
    defaults: dict[str, object] = {}
    for cls in reversed(type(field).__mro__):
        defaults.update(getattr(cls, "default_error_messages", {}))
    return defaults


def _required_message(field: forms.Field):
    if isinstance(field, forms.FileField):
        return _REQUIRED_FILE
    if isinstance(field, forms.BooleanField):
        return _REQUIRED_CHECK
    if isinstance(field, (forms.ChoiceField, forms.ModelChoiceField)):
        return _REQUIRED_CHOICE
    return _REQUIRED_TYPE


def _invalid_message(field: forms.Field):
    for kinds, message in _INVALID_BY_FIELD:
        if isinstance(field, kinds):
            return message
    return _INVALID_OTHER


def _message_for(field: forms.Field, code: str):
    if code == "required":
        return _required_message(field)
    if code == "invalid":
        return _invalid_message(field)
    return _BY_CODE.get(code)


def name_fields_in_messages(form: forms.BaseForm) -> None:
    """Replace Django's default messages of every field of the form by ones naming the field."""
    for name, field in form.fields.items():
        label = field.label if field.label is not None else pretty_name(name)
        defaults = _django_defaults(field)
        codes = {code for code, text in field.error_messages.items() if defaults.get(code) is text}
        # Messages that come from Django's validators (length, range, e-mail) are only
        # replaced when the validator still carries Django's own text.
        for validator in field.validators:
            default_text = getattr(type(validator), "message", None)
            code = getattr(validator, "code", None)
            own_text = getattr(validator, "message", None) is default_text
            if code and own_text and code not in field.error_messages:
                codes.add(code)
        for code in codes:
            template = _message_for(field, code)
            if template is not None:
                field.error_messages[code] = format_lazy(template, label=label)


class DescribedBoundField(forms.BoundField):
    """Django describes a single input by its error, but not a group of checkboxes or radio
    buttons (they sit in a fieldset); every box of an invalid group is described here too."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.use_fieldset and self.errors and self.auto_id and not attrs.get("aria-describedby"):
            attrs["aria-describedby"] = f"{self.auto_id}_error"
        return attrs
