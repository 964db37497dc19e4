from __future__ import annotations

import datetime as dt

NOW = dt.datetime(2026, 6, 1, 10, 0)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def form_data(**overrides) -> dict:
    """What a resident types, deliberately in the forms people really use."""
    data = {
        "name_kana": "ﾐﾅﾄ ﾀﾛｳ",
        "name": "港 太郎",
        "phone": "０３－１２３４－５６７８",
        "category": "resident",
        "postal_code": "１０５８５１１",
        "prefecture": "東京都",
        "city": "港区",
        "street": "芝公園1-5-25",
        "birth_year": "1985",
        "birth_month": "4",
        "birth_day": "12",
        "email": "taro@example.jp",
        "email_confirm": "taro@example.jp",
    }
    data.update(overrides)
    return data


def worker_data(**overrides) -> dict:
    data = form_data(
        category="worker",
        workplace_name="株式会社みなと",
        workplace_postal_code="105-0011",
        workplace_prefecture="東京都",
        workplace_city="港区",
        workplace_street="芝公園2-2-2",
        workplace_phone="03-5555-0000",
    )
    data.update(overrides)
    return data
