"""Small text helpers shared by every face's forms."""

from __future__ import annotations

import jaconv


def to_half_width(value: str) -> str:
    """Full-width digits and letters typed on a Japanese keyboard become half-width."""
    return jaconv.z2h(value or "", kana=False, ascii=True, digit=True).strip()
