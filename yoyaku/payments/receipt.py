"""領収書: one A5-landscape page per payment received, in Japanese whatever the page language.

Issuer (the municipality's authority, the facility), receipt number, date received, the
amount in large figures with 「円」 and a guard mark (￥…－), the payer, 但し書き (the fee of
which reservation), the method, and the note that a receipt issued by a local government needs
no revenue stamp (印紙税法 第5条: documents made by the state or a local public body are not
taxable). Text the person typed (a group name) is drawn as plain text: a PDF has no markup to
inject, and the name is cut to fit the line.
"""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A5, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from yoyaku.core import clock
from yoyaku.payments.models import Payment
from yoyaku.registrants.card import japanese_date, japanese_font
from yoyaku.reservations.permit import issuer_of

WIDTH, HEIGHT = landscape(A5)
MARGIN = 14 * mm
STAMP_NOTE = "地方公共団体が作成する領収書のため、収入印紙は不要です（印紙税法第5条）。"


def receipt_number(payment: Payment) -> str:
    return payment.receipt_number or f"R{payment.succeeded_at:%Y%m%d}-{payment.pk:06d}"


def _fit(canvas: Canvas, text: str, font: str, size: float, width: float) -> str:
    while text and canvas.stringWidth(text, font, size) > width:
        text = text[:-2] + "…"
    return text


def _wrap(canvas: Canvas, text: str, font: str, size: float, width: float) -> list[str]:
    """Lines that fit ``width`` (Japanese breaks between any two characters)."""
    lines, line = [], ""
    for char in text:
        if line and canvas.stringWidth(line + char, font, size) > width:
            lines.append(line)
            line = char
        else:
            line += char
    return [*lines, line]


def receipt_pdf(payment: Payment) -> bytes:
    reservation = payment.reservation
    registrant = payment.registrant
    facility = reservation.unit.facility
    municipality = payment.municipality
    font = japanese_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(WIDTH, HEIGHT))
    canvas.setTitle(f"領収書 {receipt_number(payment)}")
    canvas.setAuthor(issuer_of(municipality))

    y = HEIGHT - MARGIN - 8 * mm
    canvas.setFont(font, 20)
    canvas.drawCentredString(WIDTH / 2, y, "領　収　書")
    canvas.setFont(font, 9)
    canvas.drawRightString(WIDTH - MARGIN, y + 6 * mm, f"No. {receipt_number(payment)}")
    received = clock.local(payment.succeeded_at).date()
    canvas.drawRightString(WIDTH - MARGIN, y, japanese_date(received))

    y -= 16 * mm
    payer = registrant.group_name if registrant.kind == "group" else registrant.name
    canvas.setFont(font, 13)
    canvas.drawString(MARGIN, y, _fit(canvas, f"{payer} 様", font, 13, WIDTH / 2))

    y -= 16 * mm
    canvas.setFont(font, 22)
    canvas.drawCentredString(WIDTH / 2, y, f"￥{payment.amount:,}－")
    canvas.line(WIDTH / 2 - 55 * mm, y - 3 * mm, WIDTH / 2 + 55 * mm, y - 3 * mm)

    y -= 13 * mm
    canvas.setFont(font, 10.5)
    when = japanese_date(reservation.use_date)
    purpose = f"但し　{facility.name} {reservation.unit.name} 使用料（{when}利用分、予約番号 {reservation.number}）として"
    for line in _wrap(canvas, purpose, font, 10.5, WIDTH - 2 * MARGIN)[:3]:
        canvas.drawString(MARGIN, y, line)
        y -= 6 * mm
    y -= 1 * mm
    canvas.drawString(MARGIN, y, "上記の金額を正に領収いたしました。")
    y -= 7 * mm
    canvas.setFont(font, 9.5)
    canvas.drawString(MARGIN, y, f"お支払い方法：{payment.get_method_display()}")

    canvas.setFont(font, 10.5)
    issuer_y = MARGIN + 18 * mm
    canvas.drawRightString(WIDTH - MARGIN, issuer_y + 6 * mm, issuer_of(municipality))
    canvas.setFont(font, 9.5)
    canvas.drawRightString(
        WIDTH - MARGIN, issuer_y, f"{facility.name}（{municipality.system_name}）"
    )
    canvas.setFont(font, 8)
    canvas.drawString(MARGIN, MARGIN, STAMP_NOTE)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
