"""Parsing of raw request values (query strings and POST fields that no form covers).

Every helper either returns a clean value or raises `BadParam` with a Japanese message the
view shows with status 400. Never `str.isdigit()`: it accepts 「²」 and full-width digits,
which `int()` then refuses or reads as something the user did not type.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yoyaku.core.forms import DescribedBoundField, name_fields_in_messages

# PostgreSQL integer columns.
# The dates a booking, a lottery choice or a search may name, whatever enters them (a form, the
# API): wide enough for any real use, narrow enough that date arithmetic never overflows.
DATE_MIN = dt.date(2000, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)
DB_INT_MAX = 2**31 - 1
_ASCII_DIGITS = re.compile(r"-?[0-9]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_MONTH = re.compile(r"[0-9]{4}-[0-9]{1,2}")
# C0 controls except tab, line feed and carriage return; DEL; C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
TEXT_MAX_LENGTH = 2000


class BadParam(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def int_param(
    value: str | None, *, minimum: int, maximum: int, default: int | None = None
) -> int | None:
    """An integer typed in ASCII digits within [minimum, maximum]; empty → default."""
    if value is None or value == "":
        return default
    text = value.strip()
    # The length check comes first: int() of thousands of digits is slow or refused.
    if len(text) > len(str(maximum)) + 1 or not _ASCII_DIGITS.fullmatch(text):
        raise BadParam(_("数値は半角数字で入力してください。"))
    number = int(text)
    if not minimum <= number <= maximum:
        raise BadParam(
            _("数値は %(min)s から %(max)s までで入力してください。")
            % {"min": f"{minimum:,}", "max": f"{maximum:,}"}
        )
    return number


def id_param(value: str | None, *, default: int | None = None) -> int | None:
    """A primary key from a query string or a hidden field."""
    try:
        return int_param(value, minimum=1, maximum=DB_INT_MAX, default=default)
    except BadParam:
        raise BadParam(_("指定が正しくありません。")) from None


def date_param(
    value: str | None,
    *,
    minimum: dt.date | None = None,
    maximum: dt.date | None = None,
    default: dt.date | None = None,
) -> dt.date | None:
    """A date as 2026-12-05; empty → default."""
    if value is None or value == "":
        return default
    text = value.strip()
    if not _ISO_DATE.fullmatch(text):
        raise BadParam(_("日付は 2026-12-05 の形式で指定してください。"))
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise BadParam(_("日付は 2026-12-05 の形式で指定してください。")) from None
    if (minimum and day < minimum) or (maximum and day > maximum):
        raise BadParam(_("日付の範囲が正しくありません。"))
    return day


def month_param(value: str | None, *, default: dt.date | None = None) -> dt.date | None:
    """A month as 2026-12, returned as its first day; empty → default."""
    if value is None or value == "":
        return default
    text = value.strip()
    if not _ISO_MONTH.fullmatch(text):
        raise BadParam(_("年月は 2026-12 の形式で指定してください。"))
    year, month = (int(part) for part in text.split("-"))
    try:
        return dt.date(year, month, 1)
    except ValueError:
        raise BadParam(_("年月は 2026-12 の形式で指定してください。")) from None


def choice_param(
    value: str | None, choices: Iterable[str], *, default: str | None = None
) -> str | None:
    """One of the given values; empty → default; anything else is refused."""
    if value is None or value == "":
        return default
    if value not in set(choices):
        raise BadParam(_("指定が正しくありません。"))
    return value


def action_param(value: str | None, choices: Iterable[str]) -> str:
    """The button a form was sent with: one of the given values, never missing.

    A missing or unknown action is refused, never read as a rejection or any other default.
    """
    if not value or value not in set(choices):
        raise BadParam(_("操作の指定が正しくありません。もう一度画面から操作してください。"))
    return value


def text_param(value: str | None, *, max_length: int = TEXT_MAX_LENGTH, default: str = "") -> str:
    """Free text: no NUL or other control characters, at most max_length characters."""
    if value is None:
        return default
    if _CONTROL.search(value):
        raise BadParam(_("使用できない文字が含まれています。"))
    if len(value) > max_length:
        raise BadParam(_("%(max)s文字以内で入力してください。") % {"max": f"{max_length:,}"})
    return value


def refuse_control_characters(value: object) -> None:
    """Form validator: the same rule as text_param for every CharField."""
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValidationError(
            gettext_lazy("使用できない文字が含まれています。"), code="control_character"
        )


class SafeTextMixin:
    """The base of every form: every CharField refuses NUL and other control characters, each
    field's messages name the field (core.forms), and invalid checkbox or radio groups are
    described by their message."""

    bound_field_class = DescribedBoundField

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from django import forms

        for field in self.fields.values():
            if isinstance(field, forms.CharField) and (
                refuse_control_characters not in field.validators
            ):
                field.validators.append(refuse_control_characters)

    def full_clean(self) -> None:
        # Here rather than in __init__: a form's own __init__ may still change labels.
        name_fields_in_messages(self)
        super().full_clean()
