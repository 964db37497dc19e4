"""The staff API (/api/v1/staff/…): review queues, decisions, the reservations of one's
facilities and reports as JSON, with a staff token (``yoyaku.api.staff_auth``).

Thin, like the console: the same selectors list, the same services decide (they check the
state and write the audit row, here ``via=api``), and every answer that shows a registrant's
name or phone writes the same view rows the console writes. Whatever lies outside the holder's
municipality or facilities is not found (404), never forbidden: its existence is not told.
The decisions honour ``Idempotency-Key`` (``yoyaku.api.idempotency``), inside the gate: a token
that may not decide claims no key.
"""

# No ``from __future__ import annotations`` here: the operations are wrapped by
# ``staff_operation``, and ninja reads their parameter types from the wrapper's module.
import datetime as dt
from collections.abc import Sequence

from django.http import Http404, HttpRequest
from ninja import Path, Query, Router, Schema
from pydantic import Field

from yoyaku.api import staff_schemas as s
from yoyaku.api.errors import ApiProblem, Problem
from yoyaku.api.http import AddressThrottle, PageParams, page
from yoyaku.api.idempotency import IDEMPOTENCY, idempotent
from yoyaku.api.staff_auth import StaffToken, TokenThrottle, staff_operation
from yoyaku.core.models import AuditAction
from yoyaku.core.params import DB_INT_MAX
from yoyaku.core.permissions import Perm, staff_facilities
from yoyaku.core.services import audit_record
from yoyaku.registrants import selectors as registrant_selectors
from yoyaku.registrants import services as registrant_services
from yoyaku.registrants.models import Registrant
from yoyaku.reports import selectors as report_selectors
from yoyaku.reports.utilisation import utilisation
from yoyaku.reservations import booking
from yoyaku.reservations.models import Reservation
from yoyaku.security.services import client_ip

router = Router(tags=["staff"], auth=StaffToken(), throttle=[AddressThrottle(), TokenThrottle()])

Id = Path(..., ge=1, le=DB_INT_MAX)
REFUSED = {401: Problem, 403: Problem, 429: Problem}
READ = {**REFUSED, 422: Problem}
ONE = {**READ, 404: Problem}
# A body that is not JSON at all is a 400 (malformed), before any field is checked.
DECIDE = {**ONE, 400: Problem, 409: Problem}
# A report's longest period, as in the console: two years.
REPORT_MAX_DAYS = 731
R = Reservation.Status


# — who am I —


@router.get("/staff/me", response={200: s.MeOut, **REFUSED}, summary="The token's holder")
@staff_operation(Perm.CONSOLE)
def me(request: HttpRequest):
    user = request.auth.user
    return {
        "login_id": user.login_id,
        "role": user.staff_role,
        "municipality": user.municipality.slug,
        "facilities": list(staff_facilities(user).values_list("slug", flat=True)),
        "scopes": request.auth.scope_list,
    }


# — registrations (利用者登録の審査) —


def _registrant(request: HttpRequest, registrant_id: int) -> Registrant:
    found = (
        Registrant.objects.select_related("municipality", "user")
        .filter(pk=registrant_id, municipality=request.municipality)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _registrant_out(r: Registrant) -> dict:
    return {
        "id": r.pk,
        "user_number": r.user_number,
        "status": r.status,
        "kind": r.kind,
        "category": r.category,
        "name": r.name,
        "name_kana": r.name_kana,
        "registered_at": r.registered_at,
        "duplicate_suspected": r.duplicate_suspected,
    }


def _audit_registrants(request: HttpRequest, shown: Sequence[Registrant], page_name: str):
    if shown:
        audit_record(
            action=AuditAction.REGISTRANT_VIEW,
            actor=request.auth.user,
            municipality=request.municipality,
            data={"page": page_name, "registrants": [r.pk for r in shown]},
            ip_address=client_ip(request),
        )


@router.get("/staff/registrations", response={200: s.RegistrantPage, **READ}, summary="Review")
@staff_operation(Perm.REGISTRATIONS)
def registrations(request: HttpRequest, paging: Query[PageParams]):
    """Registrations awaiting review (申請中・照会中) and suspected duplicates, oldest first."""
    result = page(registrant_selectors.review_queue(municipality=request.municipality), paging)
    _audit_registrants(request, result["items"], "api_review_queue")
    result["items"] = [_registrant_out(r) for r in result["items"]]
    return result


@router.post(
    "/staff/registrations/{registrant_id}/approve",
    response={200: s.RegistrantOut, **DECIDE},
    summary="Approve a registration",
    openapi_extra=IDEMPOTENCY,
)
@staff_operation(Perm.REGISTRATIONS, write=True)
@idempotent
def registration_approve(request: HttpRequest, registrant_id: int = Id):
    registrant = _registrant(request, registrant_id)
    done = registrant_services.registration_approve(registrant=registrant, by=request.auth.user)
    return 200, _registrant_out(done)


@router.post(
    "/staff/registrations/{registrant_id}/reject",
    response={200: s.RegistrantOut, **DECIDE},
    summary="Reject a registration",
    openapi_extra=IDEMPOTENCY,
)
@staff_operation(Perm.REGISTRATIONS, write=True)
@idempotent
def registration_reject(request: HttpRequest, body: s.ReasonIn, registrant_id: int = Id):
    registrant = _registrant(request, registrant_id)
    done = registrant_services.registration_reject(
        registrant=registrant, by=request.auth.user, reason=body.reason
    )
    return 200, _registrant_out(done)


@router.get(
    "/staff/change-requests", response={200: s.ChangeRequestPage, **READ}, summary="Changes"
)
@staff_operation(Perm.REGISTRATIONS)
def change_requests(request: HttpRequest, paging: Query[PageParams]):
    """Change requests (変更届) awaiting review, each with its lines (label, old → new)."""
    result = page(
        registrant_selectors.pending_change_reviews(municipality=request.municipality), paging
    )
    _audit_registrants(request, [c.registrant for c in result["items"]], "api_change_requests")
    result["items"] = [
        {
            "id": c.pk,
            "registrant_id": c.registrant_id,
            "user_number": c.registrant.user_number,
            "name": c.registrant.name,
            "created_at": c.created_at,
            "lines": [vars(line) for line in c.lines],
        }
        for c in result["items"]
    ]
    return result


# — reservations of one's facilities —


def _visible(request: HttpRequest):
    return Reservation.objects.filter(
        municipality=request.municipality,
        unit__facility__in=staff_facilities(request.auth.user),
    ).select_related("unit__facility", "registrant", "purpose")


def _reservation(request: HttpRequest, reservation_id: int) -> Reservation:
    found = _visible(request).prefetch_related("slots").filter(pk=reservation_id).first()
    if found is None:
        raise Http404
    return found


def _reservation_out(r: Reservation) -> dict:
    return {
        "id": r.pk,
        "status": r.status,
        "facility": r.unit.facility.slug,
        "unit_id": r.unit_id,
        "unit": r.unit.name,
        "use_date": r.use_date,
        "nights": r.nights,
        "slots": [slot.code for slot in r.slots.all()],
        "registrant_id": r.registrant_id,
        "user_number": r.registrant.user_number,
        "registrant_name": r.registrant.name,
        "party_size": r.party_size,
        "fee_total_yen": r.fee_total,
        "created_at": r.created_at,
        "decided_at": r.decided_at,
        "decision_reason": r.decision_reason,
    }


def _detail_out(r: Reservation) -> dict:
    return {
        **_reservation_out(r),
        "phone": r.registrant.phone,
        "purpose": r.purpose.name if r.purpose else "",
        "channel": r.channel,
        "payment_due_at": r.payment_due_at,
    }


def _audit_reservations(request: HttpRequest, *, shown=(), target=None, page_name: str = ""):
    """The console's ``reservation.view``: a page of names, or one reservation's details."""
    if target is None and not shown:
        return
    audit_record(
        action=AuditAction.RESERVATION_VIEW,
        actor=request.auth.user,
        municipality=request.municipality,
        target=target,
        data={"page": page_name, "reservations": [r.pk for r in shown]} if page_name else {},
        ip_address=client_ip(request),
    )


class ReservationFilters(Schema):
    facility: str | None = Field(None, max_length=50, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    status: R | None = None
    user_number: str | None = Field(None, max_length=20, pattern=r"^[0-9]+$")


@router.get(
    "/staff/reservations/queue",
    response={200: s.StaffReservationPage, **READ},
    summary="Reservations awaiting approval",
)
@staff_operation(Perm.RESERVATIONS)
def reservation_queue(request: HttpRequest, paging: Query[PageParams]):
    """承認待ち of one's facilities, in the order they came in."""
    query = _visible(request).filter(status=R.AWAITING_APPROVAL).prefetch_related("slots")
    result = page(query.order_by("created_at", "id"), paging)
    _audit_reservations(request, shown=result["items"], page_name="api_queue")
    result["items"] = [_reservation_out(r) for r in result["items"]]
    return result


@router.get(
    "/staff/reservations", response={200: s.StaffReservationPage, **READ}, summary="Reservations"
)
@staff_operation(Perm.RESERVATIONS)
def reservations(
    request: HttpRequest, paging: Query[PageParams], filters: Query[ReservationFilters]
):
    """Reservations of one's facilities by date of use, filtered."""
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        raise ApiProblem("range_order", 422)
    query = _visible(request).prefetch_related("slots")
    if filters.facility:
        query = query.filter(unit__facility__slug=filters.facility)
    if filters.date_from:
        query = query.filter(use_date__gte=filters.date_from)
    if filters.date_to:
        query = query.filter(use_date__lte=filters.date_to)
    if filters.status:
        query = query.filter(status=filters.status)
    if filters.user_number:
        query = query.filter(registrant__user_number=filters.user_number)
    result = page(query.order_by("use_date", "id"), paging)
    _audit_reservations(request, shown=result["items"], page_name="api_list")
    result["items"] = [_reservation_out(r) for r in result["items"]]
    return result


@router.get(
    "/staff/reservations/{reservation_id}",
    response={200: s.StaffReservationDetailOut, **ONE},
    summary="One reservation",
)
@staff_operation(Perm.RESERVATIONS)
def reservation(request: HttpRequest, reservation_id: int = Id):
    found = _reservation(request, reservation_id)
    _audit_reservations(request, target=found)
    return _detail_out(found)


@router.post(
    "/staff/reservations/{reservation_id}/approve",
    response={200: s.StaffReservationDetailOut, **DECIDE},
    summary="Approve a reservation (許可)",
    openapi_extra=IDEMPOTENCY,
)
@staff_operation(Perm.RESERVATIONS, write=True)
@idempotent
def reservation_approve(request: HttpRequest, reservation_id: int = Id):
    found = _reservation(request, reservation_id)
    booking.reservation_approve(reservation=found, by=request.auth.user)
    return 200, _detail_out(_reservation(request, reservation_id))


@router.post(
    "/staff/reservations/{reservation_id}/reject",
    response={200: s.StaffReservationDetailOut, **DECIDE},
    summary="Reject a reservation (不許可)",
    openapi_extra=IDEMPOTENCY,
)
@staff_operation(Perm.RESERVATIONS, write=True)
@idempotent
def reservation_reject(request: HttpRequest, body: s.ReasonIn, reservation_id: int = Id):
    found = _reservation(request, reservation_id)
    booking.reservation_reject(reservation=found, by=request.auth.user, reason=body.reason)
    return 200, _detail_out(_reservation(request, reservation_id))


# — reports (集計) as JSON, scoped to one's facilities —


class Period(Schema):
    date_from: dt.date
    date_to: dt.date
    facility: str | None = Field(None, max_length=50, pattern=r"^[a-z0-9][a-z0-9_-]*$")


def _report_scope(request: HttpRequest, period: Period, kind: str):
    if period.date_to < period.date_from:
        raise ApiProblem("range_order", 422)
    if (period.date_to - period.date_from).days >= REPORT_MAX_DAYS:
        raise ApiProblem("period_too_long", 422, days=REPORT_MAX_DAYS)
    facilities = staff_facilities(request.auth.user)
    if period.facility:
        facilities = facilities.filter(slug=period.facility)
        if not facilities.exists():
            raise Http404
    audit_record(
        action=AuditAction.REPORT_EXPORT,
        actor=request.auth.user,
        municipality=request.municipality,
        data={
            "report": kind,
            "format": "json",
            "start": period.date_from.isoformat(),
            "end": period.date_to.isoformat(),
            "facility": period.facility,
        },
        ip_address=client_ip(request),
    )
    return facilities


@router.get(
    "/staff/reports/utilisation",
    response={200: s.UtilisationOut, **ONE},
    summary="Utilisation per facility and month",
)
@staff_operation(Perm.REPORTS)
def report_utilisation(request: HttpRequest, period: Query[Period]):
    facilities = _report_scope(request, period, "utilisation")
    data = utilisation(facilities=facilities, start=period.date_from, end=period.date_to)
    return {
        "date_from": period.date_from,
        "date_to": period.date_to,
        "facilities": [
            {
                "facility": row.facility.slug,
                "month": row.month,
                "bookable": row.bookable,
                "booked": row.booked,
                "percent": row.percent,
            }
            for row in data.facilities
        ],
        "bookable": data.total.bookable,
        "booked": data.total.booked,
        "percent": data.total.percent,
    }


@router.get(
    "/staff/reports/money",
    response={200: s.MoneyOut, **ONE},
    summary="Fees, payments, refunds and reductions per facility and month (yen)",
)
@staff_operation(Perm.REPORTS)
def report_money(request: HttpRequest, period: Query[Period]):
    facilities = _report_scope(request, period, "money")
    rows = report_selectors.money(facilities=facilities, start=period.date_from, end=period.date_to)
    return {
        "date_from": period.date_from,
        "date_to": period.date_to,
        "rows": [
            {
                "facility": row.facility.slug,
                "month": row.month,
                "charged_yen": row.charged,
                "received_yen": row.received,
                "refunded_yen": row.refunded,
                "adjusted_yen": row.adjusted,
                "reductions_yen": row.reductions,
                "reduced_count": row.reduced_count,
                "net_yen": row.net,
            }
            for row in rows
        ],
    }
