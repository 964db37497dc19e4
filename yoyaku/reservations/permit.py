"""The use permit (使用許可書) of a reservation, as a PDF (Ukiha art. 9.2: 予約の許可).

One A4 page (more when the fee breakdown or the notes are long): permit number (the
reservation number), date of permission, the issuing authority, the registrant, facility and
unit, the dates and slots (or nights, rooms and party), purpose, the fee with its lines as
quoted at booking, the entry code (入室コード) where the facility has a smart lock, and the
conditions of use with the facility's cancellation fee tiers.

Only a reservation that is permitted — 予約確定 or 利用済 — has a permit; anything else raises
``DomainError("reservation_wrong_state")``. Like the registration card, the text is a
document in Japanese whatever the page language, so it is fixed text here, not gettext. Fonts
come from :func:`yoyaku.registrants.card.japanese_font` (IPAex when installed).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from yoyaku.core import clock, dates
from yoyaku.core.errors import DomainError
from yoyaku.facilities import policies
from yoyaku.registrants.card import SEAL_SIZE, draw_seal, japanese_date, japanese_font
from yoyaku.reservations import entry_codes
from yoyaku.reservations.models import Reservation

PERMIT_STATUSES = (Reservation.Status.CONFIRMED, Reservation.Status.USED)

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 20 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
LABEL_WIDTH = 32 * mm


CONDITIONS = (
    "この許可書を利用当日に施設の窓口へ提示してください。",
    "許可を受けた目的以外に使用し、又は使用の権利を他人に譲渡し、若しくは転貸することはできません。",
    "施設・設備を損傷し、又は滅失したときは、原状に回復し、又はその損害を賠償していただきます。",
    "施設の都合（気象警報、災害、修繕など）により使用を取り消すときは、取消料はかかりません。",
)


def permit_available(reservation: Reservation) -> bool:
    """Whether ``reservation`` has a permit to download (予約確定 or 利用済)."""
    return reservation.status in PERMIT_STATUSES


def standard_issuer(municipality) -> str:
    """The usual issuer: 港区長 for a ward; 〇〇市教育委員会 elsewhere (Ukiha art. 9.2)."""
    name = municipality.name
    return f"{name}長" if name.endswith("区") else f"{name}教育委員会"


def issuer_of(municipality) -> str:
    """Who grants the permit: the name set in the console, else :func:`standard_issuer`."""
    return municipality.permit_issuer or standard_issuer(municipality)


def conditions_of(municipality) -> list[str]:
    """The conditions of use printed first: those set in the console (one a line), else
    :data:`CONDITIONS`."""
    lines = [line.strip() for line in municipality.permit_conditions.splitlines()]
    return [line for line in lines if line] or list(CONDITIONS)


def _date(day) -> str:
    return japanese_date(day)


def _yen(amount: int) -> str:
    return f"{amount:,}円"


def cancellation_tier_lines(tiers: Iterable[dict]) -> list[str]:
    """The facility's tiers as people read them, latest-applying last."""
    lines = []
    for tier in policies.cancellation_tiers(tiers):
        days, percent = tier.days_before, tier.percent
        when = f"利用日の{days}日前まで" if days > 0 else "前日・当日"
        lines.append(f"{when}　使用料の{percent}%")
    return lines


class _Page:
    """A cursor over the pages: draws lines top to bottom and starts a new page when full."""

    def __init__(self, canvas: Canvas, font: str, header: str) -> None:
        self.canvas = canvas
        self.font = font
        self.header = header
        self.page = 1
        self.y = PAGE_HEIGHT - MARGIN

    def need(self, height: float) -> None:
        if self.y - height >= MARGIN + 8 * mm:
            return
        self._footer()
        self.canvas.showPage()
        self.page += 1
        self.y = PAGE_HEIGHT - MARGIN
        self.canvas.setFont(self.font, 8)
        self.canvas.drawString(MARGIN, self.y, f"{self.header}（続き）")
        self.y -= 8 * mm

    def _footer(self) -> None:
        self.canvas.setFont(self.font, 7.5)
        self.canvas.drawCentredString(PAGE_WIDTH / 2, MARGIN - 6 * mm, f"- {self.page} -")

    def finish(self) -> None:
        self._footer()
        self.canvas.showPage()

    def wrap(self, text: str, size: float, width: float) -> list[str]:
        """Break ``text`` into lines that fit ``width`` (Japanese breaks between any two characters)."""
        lines: list[str] = []
        for paragraph in text.splitlines() or [""]:
            line = ""
            for char in paragraph:
                if line and self.canvas.stringWidth(line + char, self.font, size) > width:
                    lines.append(line)
                    line = char
                else:
                    line += char
            lines.append(line)
        return lines

    def text(
        self,
        text: str,
        *,
        size: float = 10,
        x: float = MARGIN,
        width: float = CONTENT_WIDTH,
        leading: float = 1.6,
    ) -> None:
        for line in self.wrap(text, size, width):
            self.need(size * leading)
            self.y -= size * leading
            self.canvas.setFont(self.font, size)
            self.canvas.drawString(x, self.y, line)

    def item(self, label: str, value: str, *, size: float = 10.5) -> None:
        """A row of the permit: the label on the left, the value (wrapped) next to it."""
        lines = self.wrap(value or "―", size, CONTENT_WIDTH - LABEL_WIDTH)
        height = size * 1.7 * len(lines) + 2 * mm
        self.need(height)
        top = self.y
        self.canvas.setFont(self.font, size - 1)
        self.canvas.drawString(MARGIN + 2 * mm, top - size * 1.3, label)
        for i, line in enumerate(lines):
            self.canvas.setFont(self.font, size)
            self.canvas.drawString(MARGIN + LABEL_WIDTH, top - size * 1.3 - i * size * 1.7, line)
        self.y = top - height
        self.canvas.setLineWidth(0.3)
        self.canvas.line(MARGIN, self.y + 1 * mm, PAGE_WIDTH - MARGIN, self.y + 1 * mm)

    def heading(self, text: str) -> None:
        self.need(14 * mm)
        self.y -= 9 * mm
        self.canvas.setFont(self.font, 12)
        self.canvas.drawString(MARGIN, self.y, f"■ {text}")
        self.y -= 1 * mm


def _registrant_lines(reservation: Reservation) -> list[tuple[str, str]]:
    registrant = reservation.registrant
    if registrant.kind == registrant.Kind.GROUP and registrant.group_name:
        return [("団体名", registrant.group_name), ("代表者", f"{registrant.name}　様")]
    return [("氏名", f"{registrant.name}　様")]


def _use_lines(reservation: Reservation) -> list[tuple[str, str]]:
    unit = reservation.unit
    if unit.is_lodging:
        checkout = reservation.last_night + dt.timedelta(days=1)
        party = f"大人{reservation.adults}名・子ども{reservation.children}名"
        if reservation.infants:
            party += f"・4歳未満{reservation.infants}名"
        return [
            (
                "宿泊日",
                f"{_date(reservation.use_date)}から{reservation.nights}泊"
                f"（{_date(checkout)}チェックアウト）",
            ),
            ("部屋数", f"{reservation.rooms}室"),
            ("人数", party),
        ]
    slots = "、".join(f"{s.label}（{s.time_label}）" for s in reservation.slots.all())
    rows = [("利用日", _date(reservation.use_date)), ("時間区分", slots)]
    if reservation.party_size:
        rows.append(("利用予定人数", f"{reservation.party_size}名"))
    return rows


def use_permit_pdf(*, reservation: Reservation) -> bytes:
    """The use permit of a 予約確定 / 利用済 reservation, as PDF bytes.

    Reads only; writes nothing and records nothing (the caller audits the download).
    Raises ``DomainError("reservation_wrong_state")`` for any other status.
    """
    if not permit_available(reservation):
        raise DomainError("reservation_wrong_state", status=reservation.get_status_display())
    unit = reservation.unit
    facility = unit.facility
    municipality = facility.municipality
    registrant = reservation.registrant
    font = japanese_font()
    permitted_on = clock.local(reservation.decided_at or reservation.created_at).date()

    buffer = io.BytesIO()
    # invariant: no creation time or random id, so the same reservation gives the same file.
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    canvas.setTitle(f"使用許可書 {reservation.number}")
    canvas.setAuthor(issuer_of(municipality))
    canvas.setSubject(municipality.system_name)
    canvas.setCreator("yoyaku")
    page = _Page(canvas, font, f"使用許可書 第{reservation.number}号")

    # -- number and date, top right -----------------------------------------------------------
    right = PAGE_WIDTH - MARGIN
    canvas.setFont(font, 10)
    canvas.drawRightString(right, page.y - 4 * mm, f"許可番号　第{reservation.number}号")
    canvas.drawRightString(right, page.y - 10 * mm, f"許可日　{japanese_date(permitted_on)}")
    page.y -= 26 * mm

    canvas.setFont(font, 22)
    canvas.drawCentredString(PAGE_WIDTH / 2, page.y, "使用許可書")
    page.y -= 14 * mm

    # -- addressee (left) and issuer (right) ---------------------------------------------------
    top = page.y
    for label, value in _registrant_lines(reservation):
        canvas.setFont(font, 9)
        canvas.drawString(MARGIN, page.y, label)
        canvas.setFont(font, 13)
        canvas.drawString(MARGIN + 20 * mm, page.y, value)
        page.y -= 7 * mm
    canvas.setFont(font, 9)
    canvas.drawString(MARGIN, page.y, "利用者番号")
    canvas.setFont(font, 11)
    canvas.drawString(MARGIN + 20 * mm, page.y, registrant.user_number)
    canvas.setFont(font, 12)
    issuer = issuer_of(municipality)
    canvas.drawRightString(right, top - 14 * mm, issuer)
    # The official seal over the end of the issuer's name, where a stamped 公印 sits.
    seal_centre = (right - 2 * mm, top - 14 * mm + 1.5 * mm)
    draw_seal(canvas, municipality, centre=seal_centre, size=SEAL_SIZE)
    page.y -= 12 * mm

    applied_on = clock.local(reservation.created_at).date()
    page.text(
        f"{japanese_date(applied_on)}付けで申込みのあった施設の使用について、"
        "次のとおり許可します。",
        size=10.5,
    )
    page.y -= 4 * mm

    # -- what is permitted ---------------------------------------------------------------------
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN, page.y, PAGE_WIDTH - MARGIN, page.y)
    page.item("施設", facility.name)
    page.item("室場", unit.name)
    for label, value in _use_lines(reservation):
        page.item(label, value)
    purpose = reservation.purpose.name if reservation.purpose else "―"
    if reservation.commercial:
        purpose += "（営利目的・入場料を徴収する利用）"
    page.item("利用目的", purpose)
    if reservation.reduction:
        page.item("減免", reservation.reduction.name)
    code = entry_codes.entry_code_for(reservation)  # 予約確定 only: never for a used one
    if code is not None:
        since = dates.japanese_datetime(code.valid_from, lang="ja")
        until = dates.japanese_datetime(code.valid_until, lang="ja")
        page.item("入室コード", f"{code.code}（{since}から{until}まで有効）")

    # -- fee -----------------------------------------------------------------------------------
    page.heading("使用料（消費税込み）")
    _fee_table(page, reservation)

    # -- conditions of use ---------------------------------------------------------------------
    page.heading("使用の条件・注意事項")
    notes = conditions_of(municipality)
    notes += [line.strip() for line in (facility.notes or "").splitlines() if line.strip()]
    tiers = cancellation_tier_lines(facility.cancellation_tiers)
    if tiers:
        notes.append("使用者の都合による取消には、次の取消料がかかります：" + "、".join(tiers))
    else:
        notes.append("使用者の都合による取消に取消料はかかりません。")
    for number, note in enumerate(notes, start=1):
        page.text(f"{number}．{note}", size=9.5, x=MARGIN + 2 * mm, width=CONTENT_WIDTH - 2 * mm)

    # -- contact -------------------------------------------------------------------------------
    contact = [f"{facility.name}　{facility.address}　{facility.phone}".strip()]
    contact += [line for line in (municipality.contact_text or "").splitlines() if line.strip()]
    page.heading("問合せ先")
    for line in contact[:6]:
        page.text(line, size=9, x=MARGIN + 2 * mm, width=CONTENT_WIDTH - 2 * mm)

    page.finish()
    canvas.save()
    return buffer.getvalue()


def _fee_table(page: _Page, reservation: Reservation) -> None:
    canvas, font = page.canvas, page.font
    columns = (MARGIN + 2 * mm, PAGE_WIDTH - MARGIN - 62 * mm, PAGE_WIDTH - MARGIN - 34 * mm)
    right = PAGE_WIDTH - MARGIN - 2 * mm
    row = 6 * mm

    def header() -> None:
        page.need(row)
        page.y -= row
        canvas.setFont(font, 8.5)
        canvas.drawString(columns[0], page.y, "内容")
        canvas.drawRightString(columns[1] + 20 * mm, page.y, "単価")
        canvas.drawRightString(columns[2] + 14 * mm, page.y, "数量")
        canvas.drawRightString(right, page.y, "金額")

    header()
    width = columns[1] - columns[0] - 2 * mm
    for line in reservation.fee_breakdown.get("lines", []):
        description = str(line.get("description", ""))
        wrapped = page.wrap(description, 9.5, width)
        page.need(row * len(wrapped))
        page.y -= row
        canvas.setFont(font, 9.5)
        canvas.drawString(columns[0], page.y, wrapped[0])
        canvas.drawRightString(columns[1] + 20 * mm, page.y, _yen(int(line.get("unit_price", 0))))
        canvas.drawRightString(columns[2] + 14 * mm, page.y, str(line.get("quantity", "")))
        canvas.drawRightString(right, page.y, _yen(int(line.get("amount", 0))))
        for more in wrapped[1:]:
            page.y -= row * 0.8
            canvas.drawString(columns[0], page.y, more)
    page.need(row + 2 * mm)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN, page.y - 2 * mm, PAGE_WIDTH - MARGIN, page.y - 2 * mm)
    page.y -= row + 2 * mm
    canvas.setFont(font, 11)
    canvas.drawString(columns[0], page.y, "合計")
    canvas.drawRightString(right, page.y, _yen(reservation.fee_total))
