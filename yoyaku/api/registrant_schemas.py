"""What the registrant API takes and sends (/api/v1/me/…)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from yoyaku.core.params import DATE_MAX, DATE_MIN, DB_INT_MAX

# Head counts and nights: the booking rules judge the value; these bounds only keep
# nonsense (negative, or beyond any database column) from reaching them.
Count = Field(0, ge=0, le=999)
IdField = Field(..., ge=1, le=DB_INT_MAX)


class RegistrationOut(Schema):
    user_number: str
    kind: str
    status: str
    status_label: str
    name: str
    name_kana: str
    email: str
    valid_until: dt.date | None
    municipality: str
    booking_refusal: str | None


class ChoiceItem(Schema):
    id: int
    name: str
    name_en: str


class BookingOptionsOut(Schema):
    """What the booking form would offer this registrant for a unit."""

    unit_id: int
    purposes: list[ChoiceItem]
    purpose_required: bool
    reductions: list[ChoiceItem]


class ReservationOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    facility: str
    unit_id: int
    unit: str
    use_date: dt.date
    nights: int
    slots: list[str]
    rooms: int
    adults: int
    children: int
    infants: int
    party_size: int
    fee_total: int
    cancellation_fee: int
    balance: int
    payment_due_at: dt.datetime | None
    created_at: dt.datetime
    cancelled_at: dt.datetime | None


class ReservationPage(Schema):
    items: list[ReservationOut]
    count: int
    limit: int
    offset: int


class BookIn(Schema):
    unit_id: int = IdField
    use_date: dt.date = Field(ge=DATE_MIN, le=DATE_MAX)
    nights: int = Field(1, ge=1, le=99)
    slots: list[str] = Field([], max_length=20, description='slot codes, e.g. ["am"]')
    rooms: int = Field(1, ge=1, le=99)
    adults: int = Count
    children: int = Count
    infants: int = Count
    party_size: int = Field(0, ge=0, le=99_999)
    purpose_id: int | None = Field(None, ge=1, le=DB_INT_MAX)
    commercial: bool = False
    reduction_id: int | None = Field(None, ge=1, le=DB_INT_MAX)


class NightsIn(Schema):
    nights: int = Field(..., ge=1, le=99)


class PartyIn(Schema):
    adults: int | None = Field(None, ge=0, le=999)
    children: int | None = Field(None, ge=0, le=999)
    infants: int | None = Field(None, ge=0, le=999)
    party_size: int | None = Field(None, ge=0, le=99_999)


class ChangeOut(Schema):
    reservation: ReservationOut
    difference: int


class CancelIn(Schema):
    reason: str = Field("", max_length=200)


class PaymentIn(Schema):
    method: str = Field(..., max_length=10, description="card / konbini / paypay")


class RefundOut(Schema):
    id: int
    amount: int
    status: str
    created_at: dt.datetime
    done_at: dt.datetime | None


class PaymentOut(Schema):
    id: int
    reservation_id: int
    method: str
    amount: int
    status: str
    status_label: str
    redirect_url: str
    code: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    succeeded_at: dt.datetime | None
    refunds: list[RefundOut]


class PaymentPage(Schema):
    items: list[PaymentOut]
    count: int
    limit: int
    offset: int


class DueOut(Schema):
    reservation_id: int
    amount: int
    payment_due_at: dt.datetime | None


class BalanceOut(Schema):
    owed_total: int
    debt: int
    dues: list[DueOut]


class ChoiceIn(Schema):
    unit_id: int = IdField
    use_date: dt.date = Field(ge=DATE_MIN, le=DATE_MAX)
    nights: int = Field(1, ge=1, le=99)
    rooms: int = Field(1, ge=1, le=99)
    adults: int = Count
    children: int = Count
    infants: int = Count
    party_size: int = Field(0, ge=0, le=99_999)
    slot: str | None = Field(None, max_length=20, description="a slot code")


class ChoiceOut(Schema):
    rank: int
    unit_id: int
    unit: str
    use_date: dt.date
    nights: int
    rooms: int
    adults: int
    children: int
    infants: int
    party_size: int
    slots: list[str]


class ApplyIn(Schema):
    round_id: int = IdField
    choices: list[ChoiceIn] = Field(..., min_length=1, max_length=10)


class ChoicesIn(Schema):
    choices: list[ChoiceIn] = Field(..., min_length=1, max_length=10)


class ApplicationOut(Schema):
    id: int
    round_id: int
    round: str
    status: str
    status_label: str
    won_rank: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    choices: list[ChoiceOut]


class ApplicationPage(Schema):
    items: list[ApplicationOut]
    count: int
    limit: int
    offset: int
