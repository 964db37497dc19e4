"""The reservation's lifecycle: every verb, the states it starts from, the state it leads to.

    book ─┬─> 当選・確認待ち ── confirm_win ──> 予約確定 ── mark_used ──> 使用済み
          │        ├── confirm_win_to_pay ──> 支払待ち    └── mark_no_show ─> 無断不使用
          │        └── expire_win ──> 取消
          ├─> 審査中 ── approve ──> 予約確定
          │        ├── approve_to_pay ──> 支払待ち
          │        └── reject ──> 不許可
          ├─> 支払待ち ── pay ──> 予約確定 (the payment recorded confirms it, Ukiha art. 9.2)
          │        └── expire_unpaid ──> 取消 (the payment deadline passed)
          └─> 予約確定
    cancel: from any state that holds capacity ──> 取消
    change: nights / party of a booking that holds capacity, the state kept
    recalculate: staff price the conditions as they turned out, before or after use

Besides the state, some verbs depend on the date: a reservation is cancelled or changed until
its day of use, and marked used / no-show from that day on. :func:`allows` answers both for the
pages, with exactly the rules the services apply.
"""

from __future__ import annotations

import datetime as dt

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.lifecycle import Lifecycle, table
from yoyaku.reservations.models import Penalty, Reservation

R = Reservation.Status
HOLDING = (R.AWAITING_CONFIRMATION, R.AWAITING_APPROVAL, R.AWAITING_PAYMENT, R.CONFIRMED)

RESERVATION: Lifecycle[Reservation] = Lifecycle(
    model=Reservation,
    table=table(
        approve=([R.AWAITING_APPROVAL], R.CONFIRMED),
        reject=([R.AWAITING_APPROVAL], R.REJECTED),
        approve_to_pay=([R.AWAITING_APPROVAL], R.AWAITING_PAYMENT),
        confirm_win=([R.AWAITING_CONFIRMATION], R.CONFIRMED),
        confirm_win_to_pay=([R.AWAITING_CONFIRMATION], R.AWAITING_PAYMENT),
        expire_win=([R.AWAITING_CONFIRMATION], R.CANCELLED),
        pay=([R.AWAITING_PAYMENT], R.CONFIRMED),
        expire_unpaid=([R.AWAITING_PAYMENT], R.CANCELLED),
        cancel=(HOLDING, R.CANCELLED),
        change=([R.AWAITING_APPROVAL, R.AWAITING_PAYMENT, R.CONFIRMED], None),
        # 再計算 (Ukiha art. 10.4): staff, before or after the day of use, the state kept.
        recalculate=(
            [R.AWAITING_APPROVAL, R.AWAITING_PAYMENT, R.CONFIRMED, R.USED, R.NO_SHOW],
            None,
        ),
        mark_used=([R.CONFIRMED], R.USED),
        mark_no_show=([R.CONFIRMED], R.NO_SHOW),
    ),
    wrong_state="reservation_wrong_state",
    select_related=("unit__facility__municipality", "registrant__municipality", "registrant__user"),
)

# Verbs allowed only until the day of use, and only from it on.
UNTIL_USE = {"cancel", "change"}
FROM_USE = {"mark_used", "mark_no_show"}


def date_refusal(reservation: Reservation, verb: str, today: dt.date) -> DomainError | None:
    if verb in UNTIL_USE and reservation.use_date < today:
        return DomainError("change_after_start")
    if verb in FROM_USE and reservation.use_date > today:
        return DomainError("not_yet_used")
    return None


def allows(reservation: Reservation, verb: str, *, today: dt.date | None = None) -> bool:
    """Whether the service would accept ``verb`` now (state and date)."""
    if not RESERVATION.allows(reservation, verb):
        return False
    return date_refusal(reservation, verb, today or clock.today()) is None


def lock(reservation: Reservation, verb: str) -> Reservation:
    """The reservation locked, refused unless ``verb`` applies to its state and date."""
    fresh = RESERVATION.lock(reservation, verb)
    refusal = date_refusal(fresh, verb, clock.today())
    if refusal is not None:
        raise refusal
    return fresh


P = Penalty.Status

# 予約停止 (a booking stop after a late cancellation or a no-show): staff may lift it once.
PENALTY: Lifecycle[Penalty] = Lifecycle(
    model=Penalty,
    table=table(waive=([P.ACTIVE], P.WAIVED)),
    wrong_state="penalty_already_waived",
    select_related=("registrant__municipality",),
)
