"""The registration card (利用者登録証) as a PDF, mailed to the registrant after verification.

One A4 page folded in three (Z-fold, folds at 99 mm and 198 mm) for a 長形3号 window
envelope: the top third carries the postal address where the window is (about 20 mm from the
left, 15 mm from the top, 90 × 45 mm) and a short letter; the middle third carries the card
itself, 91 × 55 mm (business-card size) inside a dashed cut line, so that no fold crosses it.

Japanese text needs a Japanese font. An IPAex / IPA TrueType font is embedded (subset) when
one is installed (Debian: ``fonts-ipaexfont``); otherwise the PDF names ReportLab's built-in
CID font HeiseiKakuGo-W5, which PDF readers substitute. Noto CJK ``.ttc`` files are CFF based
and cannot be read by ReportLab's ``TTFont``, so they are not in the list.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from yoyaku.core import clock, dates

# TrueType fonts tried in order; the first one that exists and loads is embedded.
FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/truetype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/local/share/fonts/ipaexg.ttf",
    "/Library/Fonts/ipaexg.ttf",
)
CID_FALLBACK_FONT = "HeiseiKakuGo-W5"

CARD_WIDTH = 91 * mm
CARD_HEIGHT = 55 * mm
PAGE_WIDTH, PAGE_HEIGHT = A4
FOLD = 99 * mm  # each third of the Z-folded A4 sheet
# Window of a 長形3号 window envelope, measured from the sheet's top-left corner.
WINDOW_LEFT, WINDOW_TOP = 20 * mm, 15 * mm

LOGIN_NOTE = "予約システムへのログインには利用者番号とパスワードが必要です。"
KEEP_NOTE = "この登録証は大切に保管してください。"
# The official seal (公印) as printed on the permit; smaller on the card.
SEAL_SIZE = 18 * mm
CARD_SEAL_SIZE = 11 * mm


def japanese_date(day: dt.date | None) -> str:
    """2028年11月25日（土）: the one date format of every page and mail (core.dates), always in
    Japanese on paper; ― for no date."""
    if day is None:
        return "―"
    return dates.japanese_date(day, lang="ja")


def japanese_font() -> str:
    """The name of a registered font that can draw Japanese (see the module docstring)."""
    registered = set(pdfmetrics.getRegisteredFontNames())
    for candidate in FONT_CANDIDATES:
        path = Path(candidate)
        if not path.is_file():
            continue
        name = f"yoyaku-jp-{path.stem}"
        if name in registered:
            return name
        try:
            pdfmetrics.registerFont(TTFont(name, str(path)))
        except (TTFError, OSError, ValueError):
            continue  # e.g. a CFF-based font behind a generic symlink
        return name
    if CID_FALLBACK_FONT not in registered:
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK_FONT))
    return CID_FALLBACK_FONT


def card_note_of(municipality) -> str:
    """The card's last line: the note set in the console, else :data:`KEEP_NOTE`."""
    return getattr(municipality, "card_note", "") or KEEP_NOTE


def draw_seal(canvas: Canvas, municipality, *, centre: tuple[float, float], size: float) -> bool:
    """Draw the municipality's seal image, if it has one, in a ``size`` square centred on
    ``centre`` (aspect kept, transparency kept). Whether a seal was drawn."""
    seal = getattr(municipality, "seal", None)
    if not seal:
        return False
    with seal.open("rb") as file:
        image = ImageReader(io.BytesIO(file.read()))
    x, y = centre
    canvas.drawImage(
        image,
        x - size / 2,
        y - size / 2,
        width=size,
        height=size,
        preserveAspectRatio=True,
        anchor="c",
        mask="auto",
    )
    return True


def _fit(canvas: Canvas, text: str, font: str, size: float, width: float) -> float:
    """The font size, at most ``size``, at which ``text`` fits into ``width``."""
    actual = canvas.stringWidth(text, font, size)
    return size if actual <= width else size * width / actual


def _postal_code(value: str) -> str:
    digits = "".join(ch for ch in value if ch in "0123456789")
    return f"{digits[:3]}-{digits[3:]}" if len(digits) == 7 else value


def registration_card_pdf(*, registrant) -> bytes:
    """The registration card of ``registrant`` with its mailing letter, as PDF bytes.

    Reads only; writes nothing and records nothing (the caller audits that a card was issued).
    """
    municipality = registrant.municipality
    font = japanese_font()
    is_group = getattr(registrant, "kind", "") == "group" and getattr(registrant, "group_name", "")
    group_name = getattr(registrant, "group_name", "") if is_group else ""
    name = getattr(registrant, "name", "")

    buffer = io.BytesIO()
    # invariant: no creation time or random id in the file, the same input gives the same PDF.
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    canvas.setTitle("利用者登録証")
    canvas.setAuthor(municipality.name)
    canvas.setSubject(municipality.system_name)
    canvas.setCreator("yoyaku")

    _draw_letter(canvas, font, registrant, municipality, group_name, name)
    _draw_card(canvas, font, registrant, municipality, group_name, name)

    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_letter(canvas: Canvas, font: str, registrant, municipality, group_name, name) -> None:
    top = PAGE_HEIGHT
    # -- the address, inside the envelope window ------------------------------------------
    x = WINDOW_LEFT + 3 * mm
    y = top - WINDOW_TOP - 7 * mm
    window_text_width = 84 * mm
    canvas.setFont(font, 10.5)
    canvas.drawString(x, y, f"〒{_postal_code(getattr(registrant, 'postal_code', ''))}")
    address = "".join(
        getattr(registrant, field, "") or "" for field in ("prefecture", "city", "street")
    )
    y -= 6 * mm
    size = _fit(canvas, address, font, 10.5, window_text_width)
    canvas.setFont(font, size)
    canvas.drawString(x, y, address)
    y -= 10 * mm
    if group_name:
        size = _fit(canvas, group_name, font, 13, window_text_width)
        canvas.setFont(font, size)
        canvas.drawString(x, y, group_name)
        y -= 7 * mm
        addressee = f"代表者　{name}　様"
    else:
        addressee = f"{name}　様"
    size = _fit(canvas, addressee, font, 14, window_text_width)
    canvas.setFont(font, size)
    canvas.drawString(x, y, addressee)

    # -- sender and date, top right ---------------------------------------------------------
    right = PAGE_WIDTH - 15 * mm
    canvas.setFont(font, 9)
    canvas.drawRightString(right, top - 18 * mm, f"発行日　{japanese_date(clock.today())}")
    canvas.drawRightString(right, top - 24 * mm, municipality.name)
    draw_seal(canvas, municipality, centre=(right + 1 * mm, top - 23 * mm), size=13 * mm)
    canvas.setFont(font, 8)
    canvas.drawRightString(
        right, top - 29 * mm, _clip(canvas, municipality.system_name, font, 8, 70 * mm)
    )

    # -- the letter, below the window, above the first fold -----------------------------------
    x = 20 * mm
    y = top - 68 * mm
    canvas.setFont(font, 13)
    canvas.drawString(x, y, "利用者登録証の送付について")
    canvas.setFont(font, 9.5)
    lines = (
        f"{municipality.system_name}の利用者登録が完了しましたので、利用者登録証をお送りします。",
        "下の切り取り線に沿って切り取り、大切に保管してください。",
        "登録事項に変更があったときは、予約システムまたは窓口で変更の手続をしてください。",
    )
    for line in lines:
        y -= 6 * mm
        canvas.setFont(font, _fit(canvas, line, font, 9.5, PAGE_WIDTH - 2 * x))
        canvas.drawString(x, y, line)

    # -- contact, in the bottom third ---------------------------------------------------------
    contact = (getattr(municipality, "contact_text", "") or "").splitlines()
    if contact:
        y = FOLD - 20 * mm
        canvas.setFont(font, 9)
        canvas.drawString(x, y, "【問合せ先】")
        for line in contact[:5]:
            y -= 5 * mm
            canvas.setFont(font, _fit(canvas, line, font, 8.5, PAGE_WIDTH - 2 * x))
            canvas.drawString(x + 3 * mm, y, line)


def _clip(canvas: Canvas, text: str, font: str, size: float, width: float) -> str:
    while text and canvas.stringWidth(text, font, size) > width:
        text = text[:-1]
    return text


def _draw_card(canvas: Canvas, font: str, registrant, municipality, group_name, name) -> None:
    # Centred in the middle third of the sheet.
    left = (PAGE_WIDTH - CARD_WIDTH) / 2
    bottom = FOLD + (FOLD - CARD_HEIGHT) / 2
    right, top = left + CARD_WIDTH, bottom + CARD_HEIGHT
    pad = 4 * mm
    inner = CARD_WIDTH - 2 * pad

    # Cut line around the card, with a label above it.
    canvas.saveState()
    canvas.setDash(3, 2)
    canvas.setLineWidth(0.6)
    canvas.rect(left, bottom, CARD_WIDTH, CARD_HEIGHT)
    canvas.restoreState()
    canvas.setFont(font, 7)
    canvas.drawString(left, top + 2 * mm, "切り取り線")
    # A thin inner frame: the card itself.
    canvas.saveState()
    canvas.setLineWidth(0.8)
    canvas.roundRect(
        left + 1.5 * mm, bottom + 1.5 * mm, CARD_WIDTH - 3 * mm, CARD_HEIGHT - 3 * mm, 2 * mm
    )
    canvas.restoreState()

    x = left + pad
    y = top - pad - 3 * mm
    canvas.setFont(font, 7.5)
    canvas.drawString(x, y, municipality.name)
    system = municipality.system_name
    canvas.setFont(font, 6)
    canvas.drawRightString(right - pad, y, _clip(canvas, system, font, 6, inner - 20 * mm))

    y -= 7 * mm
    canvas.setFont(font, 13)
    canvas.drawCentredString(left + CARD_WIDTH / 2, y, "利用者登録証")

    y -= 8.5 * mm
    canvas.setFont(font, 7.5)
    canvas.drawString(x, y + 1 * mm, "利用者番号")
    canvas.setFont(font, 18)
    canvas.drawString(x + 17 * mm, y, getattr(registrant, "user_number", ""))

    y -= 6.5 * mm
    if group_name:
        canvas.setFont(font, 7.5)
        canvas.drawString(x, y, "団体名")
        canvas.setFont(font, _fit(canvas, group_name, font, 10, inner - 17 * mm))
        canvas.drawString(x + 17 * mm, y, group_name)
        y -= 5 * mm
        label = "代表者"
    else:
        label = "氏名"
    canvas.setFont(font, 7.5)
    canvas.drawString(x, y, label)
    canvas.setFont(font, _fit(canvas, name, font, 10, inner - 17 * mm))
    canvas.drawString(x + 17 * mm, y, name)

    y -= 5.5 * mm
    canvas.setFont(font, 7.5)
    canvas.drawString(x, y, "有効期限")
    canvas.setFont(font, 9.5)
    canvas.drawString(x + 17 * mm, y, japanese_date(getattr(registrant, "valid_until", None)))

    y = bottom + pad + 3.2 * mm
    # The seal at the right of the card, beside the user number and name.
    draw_seal(
        canvas,
        municipality,
        centre=(right - pad - CARD_SEAL_SIZE / 2, top - pad - 18 * mm),
        size=CARD_SEAL_SIZE,
    )
    for note in (LOGIN_NOTE, card_note_of(municipality)):
        canvas.setFont(font, _fit(canvas, note, font, 5.6, inner))
        canvas.drawString(x, y, note)
        y -= 2.8 * mm
