from __future__ import annotations

import datetime as dt
import io

from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

NOW = dt.datetime(2026, 6, 1, 10, 0)


def _pdf() -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=True)
    page.drawString(72, 720, "Certificate of employment")
    page.showPage()
    page.save()
    return out.getvalue()


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 220, 240)).save(out, format=fmt)
    return out.getvalue()


# Real files, as a scanner or a word processor makes them: a one-page PDF, PNG, JPEG and GIF.
PDF = _pdf()
PNG = _image("PNG")
JPEG = _image("JPEG")
GIF = _image("GIF")


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
