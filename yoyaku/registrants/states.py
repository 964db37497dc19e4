"""Lifecycles of the registrants app: the registrant, its change requests, its reductions.

Registrant (利用者登録)::

    apply ──> 申請中 ─┬─ approve ──> 登録済み ── expire ──> 有効期間満了
                     │                (renew, by use, keeps it 登録済み)
                     ├─ request_info ──> 照会中 ── reply ──> 申請中
                     ├─ merge ──> 統合 (a duplicate of an existing registration; also from
                     │            登録済み when a staff signal finds it later)
                     └─ reject ──> 不承認
    deregister (廃止, the person) and delete (抹消, staff, Ukiha art. 8) end it from the
    states listed below; every end cancels the person's reservations and applications.

Change request (変更届) and reduction grant (減免): 審査中 ── approve / reject ──> 承認 / 不承認
(a reduction that needs no proof is approved when it is requested).
"""

from __future__ import annotations

from yoyaku.core.lifecycle import Lifecycle, table
from yoyaku.registrants.models import ChangeRequest, ReductionGrant, Registrant

S = Registrant.Status
OPEN = (S.APPLIED, S.INFO_REQUESTED)

REGISTRANT: Lifecycle[Registrant] = Lifecycle(
    model=Registrant,
    table=table(
        approve=(OPEN, S.ACTIVE),
        reject=((*OPEN, S.ACTIVE), S.REJECTED),
        request_info=((*OPEN, S.ACTIVE), S.INFO_REQUESTED),
        reply=([S.INFO_REQUESTED], S.APPLIED),
        # An active registration found later to duplicate another (a staff signal) too.
        merge=((*OPEN, S.ACTIVE), S.MERGED),
        deregister=((*OPEN, S.ACTIVE, S.EXPIRED), S.DEREGISTERED),
        delete=((*OPEN, S.ACTIVE, S.EXPIRED, S.DEREGISTERED, S.REJECTED), S.DELETED),
        expire=([S.ACTIVE], S.EXPIRED),
        renew=([S.ACTIVE], None),
        change_details=((*OPEN, S.ACTIVE), None),
    ),
    wrong_state="registrant_wrong_state",
    select_related=("municipality", "user"),
)

C = ChangeRequest.Status

CHANGE_REQUEST: Lifecycle[ChangeRequest] = Lifecycle(
    model=ChangeRequest,
    table=table(approve=([C.PENDING], C.APPROVED), reject=([C.PENDING], C.REJECTED)),
    wrong_state="change_request_decided",
    select_related=("registrant__municipality",),
)

G = ReductionGrant.Status

REDUCTION_GRANT: Lifecycle[ReductionGrant] = Lifecycle(
    model=ReductionGrant,
    table=table(approve=([G.PENDING], G.APPROVED), reject=([G.PENDING], G.REJECTED)),
    wrong_state="reduction_already_decided",
    select_related=("registrant__municipality", "category"),
)
