"""The registration card (利用者登録証) PDF: what it says, and that it works without IPAex."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pypdf
import pytest
from django.utils import translation

from tests import factories as f
from yoyaku.core import clock
from yoyaku.core.models import User
from yoyaku.registrants import card
from yoyaku.registrants.card import japanese_date, registration_card_pdf
from yoyaku.registrants.models import Registrant

pytestmark = pytest.mark.django_db

A4_POINTS = (595, 842)


@pytest.fixture
def minato(travel):
    travel(dt.datetime(2026, 11, 25, 10, 0))
    return f.MunicipalityFactory(
        slug="minato", name="港区", system_name="港区区民保養施設予約システム"
    )


def registrant(municipality, user_number="482915", **kw) -> Registrant:
    user = User.objects.create_user(
        username=User.make_username(municipality, User.Kind.REGISTRANT, user_number),
        password="19800514",
        municipality=municipality,
        login_id=user_number,
        kind=User.Kind.REGISTRANT,
    )
    fields = {
        "municipality": municipality,
        "user": user,
        "user_number": user_number,
        "kind": Registrant.Kind.INDIVIDUAL,
        "category": Registrant.Category.RESIDENT,
        "status": Registrant.Status.ACTIVE,
        "name_kana": "ミナト　タロウ",
        "name": "港　太郎",
        "birth_date": dt.date(1980, 5, 14),
        "phone": "03-1234-5678",
        "email": "taro.minato@example.jp",
        "postal_code": "1050023",
        "prefecture": "東京都",
        "city": "港区",
        "street": "芝浦三丁目4番1号",
        "registered_at": clock.now(),
        "valid_until": dt.date(2028, 11, 25),
    }
    fields.update(kw)
    return Registrant.objects.create(**fields)


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def font_names(data: bytes) -> set[str]:
    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    return {str(font.get_object()["/BaseFont"]) for font in page["/Resources"]["/Font"].values()}


def test_card__shows_title_user_number_name_and_validity_in_japanese(minato):
    data = registration_card_pdf(registrant=registrant(minato))
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "利用者登録証" in text
    assert "482915" in text
    assert "港　太郎" in text
    assert "2028年11月25日" in text
    assert "港区区民保養施設予約システム" in text
    assert "予約システムへのログインには利用者番号とパスワードが必要です。" in text
    assert "この登録証は大切に保管してください。" in text


def test_card__carries_the_postal_address_for_a_window_envelope(minato):
    text = pdf_text(registration_card_pdf(registrant=registrant(minato)))
    assert "〒105-0023" in text
    assert "東京都港区芝浦三丁目4番1号" in text
    assert "港　太郎　様" in text
    assert "発行日　2026年11月25日" in text  # from the clock


def test_card__of_a_group_names_the_group_and_its_representative(travel):
    travel(dt.datetime(2026, 11, 25, 10, 0))
    ukiha = f.MunicipalityFactory(slug="ukiha", name="うきは市")
    group = registrant(
        ukiha,
        user_number="904381",
        kind=Registrant.Kind.GROUP,
        name="浮羽　一郎",
        group_name="うきは卓球クラブ",
        valid_until=dt.date(2027, 2, 28),
    )
    text = pdf_text(registration_card_pdf(registrant=group))
    assert "団体名" in text and "うきは卓球クラブ" in text
    assert "代表者" in text and "浮羽　一郎" in text
    assert "2027年2月28日" in text


def test_card__page_is_a4_and_the_output_is_reproducible(minato):
    person = registrant(minato)
    data = registration_card_pdf(registrant=person)
    box = pypdf.PdfReader(io.BytesIO(data)).pages[0].mediabox
    assert (round(box.width), round(box.height)) == A4_POINTS
    assert registration_card_pdf(registrant=person) == data


@pytest.mark.skipif(
    not any(Path(p).is_file() for p in card.FONT_CANDIDATES), reason="no IPAex/IPA font here"
)
def test_card__embeds_a_japanese_truetype_font_when_one_is_installed(minato):
    data = registration_card_pdf(registrant=registrant(minato))
    assert not {name for name in font_names(data) if "HeiseiKakuGo" in name}
    assert b"/FontFile2" in data  # the (subset) TrueType program is in the file


def test_card__without_any_truetype_font_falls_back_to_the_cid_font(minato, monkeypatch):
    monkeypatch.setattr(card, "FONT_CANDIDATES", ())
    data = registration_card_pdf(registrant=registrant(minato))
    assert data.startswith(b"%PDF")
    assert "/HeiseiKakuGo-W5" in font_names(data)
    assert "482915" in pdf_text(data)


def test_card__skips_a_font_file_reportlab_cannot_read(minato, monkeypatch, tmp_path):
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font")
    monkeypatch.setattr(card, "FONT_CANDIDATES", (str(broken),))
    data = registration_card_pdf(registrant=registrant(minato))
    assert "/HeiseiKakuGo-W5" in font_names(data)


def test_japanese_date__is_the_one_format_with_the_weekday_even_on_an_english_page():
    assert japanese_date(dt.date(2028, 11, 25)) == "2028年11月25日（土）"
    with translation.override("en"):
        assert japanese_date(dt.date(2027, 1, 5)) == "2027年1月5日（火）"
    assert japanese_date(None) == "―"
