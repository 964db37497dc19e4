"""The use permit (使用許可書) of a bundle: one document listing every permitted item.

The same document as one reservation's permit (``reservations.permit``: issuer and seal,
registrant, conditions of use, the facility's cancellation tiers), with a table of the items
instead of one date: date, unit, slots, reservation number and fee, and the total. Only items
that are permitted (予約確定・利用済) are listed; a bundle with none raises
``DomainError("reservation_wrong_state")``. Fixed Japanese text, like the single permit.
"""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.registrants.card import SEAL_SIZE, draw_seal, japanese_date, japanese_font
from yoyaku.reservations import permit
from yoyaku.reservations.models import Reservation, ReservationBundle


def permitted_items(bundle: ReservationBundle) -> list[Reservation]:
    return [
        item
        for item in bundle.items.select_related("unit__facility", "purpose")
        .prefetch_related("slots")
        .order_by("use_date", "unit__order", "id")
        if permit.permit_available(item)
    ]


def _item_line(item: Reservation) -> str:
    slots = "・".join(f"{s.label}（{s.time_label}）" for s in item.slots.all())
    return (
        f"{japanese_date(item.use_date)}　{item.unit.facility.name} {item.unit.name}　{slots}"
        f"　第{item.number}号　{item.fee_total:,}円"
    )


def permit_lines(bundle: ReservationBundle) -> list[str]:
    """The lines of the items table, as printed (also what tests read)."""
    return [_item_line(item) for item in permitted_items(bundle)]


def bundle_permit_pdf(*, bundle: ReservationBundle) -> bytes:
    """The permit of every permitted item of the bundle, as PDF bytes. Reads only."""
    items = permitted_items(bundle)
    if not items:
        raise DomainError("reservation_wrong_state", status="―")
    registrant = bundle.registrant
    municipality = bundle.municipality
    first = items[0]
    facilities = {item.unit.facility_id: item.unit.facility for item in items}
    font = japanese_font()
    permitted_on = max(clock.local(i.decided_at or i.created_at).date() for i in items)

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    canvas.setTitle(f"使用許可書 {bundle.number}")
    canvas.setAuthor(permit.issuer_of(municipality))
    canvas.setSubject(municipality.system_name)
    canvas.setCreator("yoyaku")
    page = permit._Page(canvas, font, f"使用許可書 第{bundle.number}号")

    right = A4[0] - permit.MARGIN
    canvas.setFont(font, 10)
    canvas.drawRightString(right, page.y - 4 * mm, f"許可番号　第{bundle.number}号")
    canvas.drawRightString(right, page.y - 10 * mm, f"許可日　{japanese_date(permitted_on)}")
    page.y -= 26 * mm
    canvas.setFont(font, 22)
    canvas.drawCentredString(A4[0] / 2, page.y, "使用許可書")
    page.y -= 14 * mm

    top = page.y
    for label, value in permit._registrant_lines(first):
        canvas.setFont(font, 9)
        canvas.drawString(permit.MARGIN, page.y, label)
        canvas.setFont(font, 13)
        canvas.drawString(permit.MARGIN + 20 * mm, page.y, value)
        page.y -= 7 * mm
    canvas.setFont(font, 9)
    canvas.drawString(permit.MARGIN, page.y, "利用者番号")
    canvas.setFont(font, 11)
    canvas.drawString(permit.MARGIN + 20 * mm, page.y, registrant.user_number)
    canvas.setFont(font, 12)
    canvas.drawRightString(right, top - 14 * mm, permit.issuer_of(municipality))
    draw_seal(canvas, municipality, centre=(right - 2 * mm, top - 12.5 * mm), size=SEAL_SIZE)
    page.y -= 12 * mm

    page.text(
        f"{japanese_date(clock.local(bundle.created_at).date())}付けで申込みのあった施設の使用"
        f"（{bundle.get_kind_display()}・{len(items)}件）について、次のとおり許可します。",
        size=10.5,
    )
    page.y -= 4 * mm
    canvas.setLineWidth(0.6)
    canvas.line(permit.MARGIN, page.y, right, page.y)
    if bundle.label:
        page.item("名称", bundle.label)
    page.item("施設", "、".join(f.name for f in facilities.values()))
    purpose = first.purpose.name if first.purpose else "―"
    page.item("利用目的", purpose)

    page.heading(f"許可する利用（{len(items)}件）")
    for number, line in enumerate(permit_lines(bundle), start=1):
        page.text(f"{number}．{line}", size=9.5, x=permit.MARGIN + 2 * mm)
    page.y -= 2 * mm
    total = sum(item.fee_total for item in items)
    page.item("使用料の合計", f"{total:,}円（消費税込み）")

    page.heading("使用の条件・注意事項")
    notes = permit.conditions_of(municipality)
    for facility in facilities.values():
        notes += [line.strip() for line in (facility.notes or "").splitlines() if line.strip()]
        tiers = permit.cancellation_tier_lines(facility.cancellation_tiers)
        if tiers:
            notes.append(
                f"{facility.name}：使用者の都合による取消には、一件ごとに次の取消料がかかります："
                + "、".join(tiers)
            )
    for number, note in enumerate(notes, start=1):
        page.text(f"{number}．{note}", size=9.5, x=permit.MARGIN + 2 * mm)

    page.heading("問合せ先")
    for facility in facilities.values():
        page.text(f"{facility.name}　{facility.address}　{facility.phone}".strip(), size=9)
    page.finish()
    canvas.save()
    return buffer.getvalue()
