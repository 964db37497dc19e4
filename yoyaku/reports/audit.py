"""The audit log search (監査ログ): who did what, when, from where, to which object.

Administrators of a municipality see its rows only. "A person" (a registrant) matches the
rows they wrote themselves (their log-in account is the actor) and the rows about them: the
registrant itself, their reservations, lottery applications, change requests, 減免 grants and
payments. Values before and after a change are shown where the row holds them (e.g. a
reservation change records the changed fields and the fee before and after).

The page runs a fixed number of queries: the count and one page of rows, actors joined.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from yoyaku.core import clock
from yoyaku.core.models import AuditLog, Municipality, User
from yoyaku.lottery.models import LotteryApplication
from yoyaku.payments.models import Payment
from yoyaku.registrants.models import ChangeRequest, ReductionGrant, Registrant
from yoyaku.reservations.models import Reservation

PAGE_SIZE = 50
# Keys of ``AuditLog.data`` that say what a value was before a change and what it became.
BEFORE_AFTER = {"previous_total": "fee_total"}


@dataclass(frozen=True)
class AuditFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    action: str = ""
    staff: User | None = None
    registrant: Registrant | None = None
    target_type: str = ""
    target_id: str = ""
    ip_address: str = ""

    def as_data(self) -> dict[str, Any]:
        """JSON-safe, for the audit row of the search itself."""
        return {
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "action": self.action,
            "staff": self.staff.login_id if self.staff else "",
            "registrant": self.registrant.pk if self.registrant else None,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "ip_address": self.ip_address,
        }


def registrant_by_number(*, municipality: Municipality, user_number: str) -> Registrant | None:
    return Registrant.objects.filter(municipality=municipality, user_number=user_number).first()


def _ids(query: QuerySet) -> QuerySet:
    return query.annotate(text_id=Cast("pk", CharField())).values("text_id")


def _about(registrant: Registrant) -> Q:
    def target(model, query: QuerySet) -> Q:
        return Q(target_type=model._meta.label_lower, target_id__in=_ids(query))

    return (
        Q(actor_id=registrant.user_id)
        | Q(target_type=Registrant._meta.label_lower, target_id=str(registrant.pk))
        | target(Reservation, Reservation.objects.filter(registrant=registrant))
        | target(LotteryApplication, LotteryApplication.objects.filter(registrant=registrant))
        | target(ChangeRequest, ChangeRequest.objects.filter(registrant=registrant))
        | target(ReductionGrant, ReductionGrant.objects.filter(registrant=registrant))
        | target(Payment, Payment.objects.filter(registrant=registrant))
    )


def audit_search(*, municipality: Municipality, filters: AuditFilters) -> QuerySet[AuditLog]:
    """The rows of ``municipality`` that match, newest first, actors joined."""
    rows = AuditLog.objects.filter(municipality=municipality).select_related("actor")
    if filters.date_from:
        rows = rows.filter(at__gte=clock.at(filters.date_from))
    if filters.date_to:
        rows = rows.filter(at__lt=clock.at(filters.date_to + dt.timedelta(days=1)))
    if filters.action:
        rows = rows.filter(action=filters.action)
    if filters.staff is not None:
        rows = rows.filter(actor=filters.staff)
    if filters.registrant is not None:
        rows = rows.filter(_about(filters.registrant))
    if filters.target_type:
        rows = rows.filter(target_type=filters.target_type)
    if filters.target_id:
        rows = rows.filter(target_id=filters.target_id)
    if filters.ip_address:
        rows = rows.filter(ip_address=filters.ip_address)
    return rows.order_by("-at", "-id")


def audit_page(*, rows: QuerySet[AuditLog], number: Any) -> Page:
    """One page of rows (two queries: the count and the page)."""
    return Paginator(rows, PAGE_SIZE).get_page(number)


def data_items(row: AuditLog) -> list[tuple[str, str]]:
    """The row's data as (key, value) lines; a value before a change is shown with the
    value after it (``previous_total`` → ``fee_total``: "1000 → 1500")."""
    data = row.data if isinstance(row.data, dict) else {"data": row.data}
    items = []
    shown_after = set()
    for key, value in data.items():
        if key in shown_after:
            continue
        after_key = BEFORE_AFTER.get(key)
        if after_key and after_key in data:
            items.append((f"{key} → {after_key}", f"{value} → {data[after_key]}"))
            shown_after.add(after_key)
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        items.append((str(key), str(value)))
    return [(k, v) for k, v in items if k not in shown_after]
