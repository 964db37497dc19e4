"""What the staff API sends and takes: typed schemas for the OpenAPI document."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

REASON_MAX = 1000


class MeOut(Schema):
    login_id: str
    role: str
    municipality: str
    facilities: list[str]
    scopes: list[str]


class RegistrantOut(Schema):
    id: int
    user_number: str
    status: str
    kind: str
    category: str
    name: str
    name_kana: str
    registered_at: dt.datetime | None
    duplicate_suspected: bool


class RegistrantPage(Schema):
    items: list[RegistrantOut]
    count: int
    limit: int
    offset: int


class ChangeLineOut(Schema):
    label: str
    old: str
    new: str


class ChangeRequestOut(Schema):
    id: int
    registrant_id: int
    user_number: str
    name: str
    created_at: dt.datetime
    lines: list[ChangeLineOut]


class ChangeRequestPage(Schema):
    items: list[ChangeRequestOut]
    count: int
    limit: int
    offset: int


class StaffReservationOut(Schema):
    id: int
    status: str
    facility: str
    unit_id: int
    unit: str
    use_date: dt.date
    nights: int
    slots: list[str]
    registrant_id: int
    user_number: str
    registrant_name: str
    party_size: int
    fee_total_yen: int
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decision_reason: str


class StaffReservationDetailOut(StaffReservationOut):
    phone: str
    purpose: str
    channel: str
    payment_due_at: dt.datetime | None


class StaffReservationPage(Schema):
    items: list[StaffReservationOut]
    count: int
    limit: int
    offset: int


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=REASON_MAX)


class UtilisationRow(Schema):
    facility: str
    month: dt.date
    bookable: int
    booked: int
    percent: float | None


class UtilisationOut(Schema):
    date_from: dt.date
    date_to: dt.date
    facilities: list[UtilisationRow]
    bookable: int
    booked: int
    percent: float | None


class MoneyRow(Schema):
    facility: str
    month: dt.date
    charged_yen: int
    received_yen: int
    refunded_yen: int
    adjusted_yen: int
    reductions_yen: int
    reduced_count: int
    net_yen: int


class MoneyOut(Schema):
    date_from: dt.date
    date_to: dt.date
    rows: list[MoneyRow]
