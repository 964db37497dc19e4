"""Typed views of the policies a facility stores as JSON, validated in one place."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_DAYS_BEFORE = 730


@dataclass(frozen=True)
class CancellationTier:
    """From ``days_before`` days before the use date on, the fee is ``percent`` of the fee."""

    days_before: int
    percent: int


def _integer(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(
            _("取消料の段階は、日数0〜%(days)s、割合0〜100の整数で指定してください。"),
            code="invalid_tier",
            params={"days": MAX_DAYS_BEFORE},
        )
    return value


def cancellation_tiers(raw: Iterable[Any] | None) -> list[CancellationTier]:
    """The tiers, earliest-applying first (most days before). Raises ``ValidationError``
    for anything that is not a list of {"days_before": int, "percent": int} with distinct
    days; the percentage may not fall as the use date comes nearer."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValidationError(_("取消料の段階は一覧で指定してください。"), code="invalid_tiers")
    tiers = []
    for item in raw:
        if not isinstance(item, dict) or set(item) != {"days_before", "percent"}:
            raise ValidationError(
                _("取消料の段階は days_before と percent で指定してください。"),
                code="invalid_tier",
            )
        tiers.append(
            CancellationTier(
                days_before=_integer(item["days_before"], 0, MAX_DAYS_BEFORE),
                percent=_integer(item["percent"], 0, 100),
            )
        )
    tiers.sort(key=lambda t: -t.days_before)
    if len({t.days_before for t in tiers}) != len(tiers):
        raise ValidationError(_("取消料の段階の日数が重複しています。"), code="duplicate_tier")
    if any(later.percent < earlier.percent for earlier, later in itertools.pairwise(tiers)):
        raise ValidationError(
            _("利用日が近いほど取消料の割合は高く（または同じに）してください。"),
            code="falling_tier",
        )
    return tiers


def validate_cancellation_tiers(value: Any) -> None:
    """Model-field validator of ``Facility.cancellation_tiers``."""
    cancellation_tiers(value)


def cancellation_percent(raw: Iterable[Any] | None, days_before: int) -> int:
    """The percent of the first tier whose days_before the cancellation is at or above."""
    tiers = cancellation_tiers(raw)
    for tier in tiers:
        if days_before >= tier.days_before:
            return tier.percent
    return tiers[-1].percent if tiers else 0


# Who may book (``Facility.allowed_categories``; empty admits everyone): the registrant
# categories, and ``group`` for a registered group whatever its category.
BOOKING_CATEGORIES = (
    ("resident", _("在住")),
    ("worker", _("在勤")),
    ("other", _("区域外")),
    ("group", _("団体")),
)

# Online payment methods a facility may accept (``Facility.payment_methods``; empty: all).
ONLINE_PAYMENT_METHODS = (
    ("card", _("クレジットカード")),
    ("konbini", _("コンビニ払い")),
    ("paypay", _("PayPay")),
)
