"""What the API sends: typed schemas, from which the OpenAPI document is generated."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema


class MunicipalityOut(Schema):
    slug: str
    name: str
    name_en: str
    system_name: str
    system_name_en: str


class MunicipalityPage(Schema):
    items: list[MunicipalityOut]
    count: int
    limit: int
    offset: int


class SlotOut(Schema):
    code: str
    label: str
    label_en: str
    start: str  # HH:MM
    end: str
    is_basic: bool


class FeeOut(Schema):
    """One line of the fee table in force today (integer yen, tax included)."""

    basis: str
    slot_code: str | None
    rate_class: str
    person_class: str
    day_class: str
    amount_yen: int
    effective_from: dt.date
    effective_until: dt.date | None


class UnitOut(Schema):
    id: int
    name: str
    name_en: str
    booking_kind: str
    parent_id: int | None
    capacity: int | None
    area_m2: int | None
    room_count: int | None
    persons_per_room: int | None
    slots: list[SlotOut]
    fees: list[FeeOut]


class FacilityOut(Schema):
    slug: str
    name: str
    name_en: str
    kind: str
    postal_code: str
    address: str
    phone: str
    description: str
    notes: str
    weekly_closed_days: list[int]
    holiday_policy: str
    closed_at_year_end: bool


class FacilityPage(Schema):
    items: list[FacilityOut]
    count: int
    limit: int
    offset: int


class FacilityDetailOut(FacilityOut):
    units: list[UnitOut]


class ClosureOut(Schema):
    start_date: dt.date
    end_date: dt.date
    reason: str
    unit_id: int | None


class SlotStateOut(Schema):
    code: str
    label: str
    free: bool


class DayOut(Schema):
    date: dt.date
    mark: str  # ○ △ × － 抽
    status: str  # free, partly, full, closed, lottery
    reason: str
    holiday: str
    free_rooms: int | None
    slots: list[SlotStateOut]


class AvailabilityOut(Schema):
    municipality: str
    facility: str
    unit_id: int
    unit_name: str
    start: dt.date
    end: dt.date
    days: list[DayOut]


class NoticeOut(Schema):
    id: int
    title: str
    body_html: str  # sanitised as on the top page
    published_at: dt.datetime
    expires_at: dt.datetime | None
    is_important: bool


class NoticePage(Schema):
    items: list[NoticeOut]
    count: int
    limit: int
    offset: int


class RoundUnitOut(Schema):
    id: int
    name: str
    facility: str


class LotteryRoundOut(Schema):
    id: int
    name: str
    status: str
    phase: str  # before, open, closed, drawn
    use_from: dt.date
    use_until: dt.date
    applications_open_at: dt.datetime
    applications_close_at: dt.datetime
    draw_at: dt.datetime
    first_come_opens_at: dt.datetime
    seed_sha256: str
    seed: str  # published after the drawing, empty before
    units: list[RoundUnitOut]


class LotteryRoundPage(Schema):
    items: list[LotteryRoundOut]
    count: int
    limit: int
    offset: int


class PublishedOut(Schema):
    """The round's published data, as the citizens' published.json: before the drawing only
    the round and the seed's SHA-256; afterwards the seed, the anonymised applications and the
    results (see the lottery section of the README)."""

    model_config = {"extra": "allow"}

    round: dict[str, Any]
    seed_sha256: str | None = None
