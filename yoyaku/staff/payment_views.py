"""Staff console: money. Payments received (and their CSV), what is unpaid, refunds, late
payments and unknown provider events, reconciliation with the providers' records.

Least privilege as everywhere in the console: municipality admins see every facility, facility
staff only theirs (:func:`staff_facilities`); what belongs to no facility (a provider event
about a payment unknown here) is for admins only. Every page that lists payments, with
registrants' names, writes one ``payment.view`` audit row.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.messages import error as error_message
from django.contrib.messages import success
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yoyaku.core import clock, params
from yoyaku.core.errors import DomainError
from yoyaku.core.exports import CSV_TYPE, Table, csv_bytes
from yoyaku.core.models import AuditAction
from yoyaku.core.permissions import ADMIN, Perm, staff_facilities
from yoyaku.core.services import audit_record
from yoyaku.payments import reconcile, refunds, selectors
from yoyaku.payments.models import Payment, Refund
from yoyaku.payments.providers.base import ProviderError
from yoyaku.security.services import client_ip
from yoyaku.staff.payment_forms import PaymentReportForm
from yoyaku.staff.views import staff_required

RECONCILE_DAYS = (7, 30, 90)


def _facility_ids(request: HttpRequest) -> list[int]:
    return list(staff_facilities(request.user).values_list("pk", flat=True))


def _audit(request: HttpRequest, page: str, **data) -> None:
    """A staff view of payments with registrants' names: one row per page, never skipped."""
    audit_record(
        action=AuditAction.PAYMENT_VIEW,
        actor=request.user,
        municipality=request.municipality,
        data={"page": page, **data},
        ip_address=client_ip(request),
    )


def _report(request: HttpRequest) -> tuple[PaymentReportForm, list[Payment] | None]:
    facilities = staff_facilities(request.user)
    # What is not asked for defaults to this month, every visible facility, every method.
    data = PaymentReportForm.defaults(clock.today()) | {
        key: value for key, value in request.GET.items() if value
    }
    form = PaymentReportForm(data, facilities=facilities)
    if not form.is_valid():
        return form, None
    chosen = form.cleaned_data["facility"]
    payments = list(
        selectors.payments_report(
            municipality_id=request.municipality.pk,
            facility_ids=[chosen.pk] if chosen else _facility_ids(request),
            start=form.cleaned_data["date_from"],
            end=form.cleaned_data["date_to"],
            method=form.cleaned_data["method"],
        )
    )
    return form, payments


@staff_required(Perm.PAYMENTS)
def payment_report(request: HttpRequest) -> HttpResponse:
    form, payments = _report(request)
    if payments is None:
        return render(request, "staff/payment_report.html", {"form": form}, status=400)
    _audit(request, "report", payments=[p.pk for p in payments])
    return render(
        request,
        "staff/payment_report.html",
        {
            "form": form,
            "payments": payments,
            "summary": selectors.payments_summary(payments),
            "csv_query": request.GET.urlencode(),
        },
    )


CSV_HEADER = [
    "入金日時",
    "施設",
    "室場",
    "予約番号",
    "利用日",
    "利用者番号",
    "氏名・団体名",
    "支払方法",
    "決済事業者",
    "決済番号・受付番号",
    "金額（円）",
]


@staff_required(Perm.PAYMENTS)
def payment_report_csv(request: HttpRequest) -> HttpResponse:
    """The report's rows as CSV (UTF-8 with BOM for Excel; no cell can run as a formula)."""
    form, payments = _report(request)
    if payments is None:
        return render(request, "staff/payment_report.html", {"form": form}, status=400)
    _audit(request, "csv", payments=[p.pk for p in payments])
    rows = [
        [
            clock.local(p.succeeded_at).strftime("%Y-%m-%d %H:%M"),
            p.reservation.unit.facility.name,
            p.reservation.unit.name,
            p.reservation.number,
            p.reservation.use_date.isoformat(),
            p.registrant.user_number,
            p.registrant.display_name,
            p.get_method_display(),
            p.provider,
            p.receipt_number or p.ref,
            p.amount,
        ]
        for p in payments
    ]
    start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    response = HttpResponse(
        csv_bytes([Table(title="payments", header=CSV_HEADER, rows=rows)]), content_type=CSV_TYPE
    )
    response["Content-Disposition"] = (
        f'attachment; filename="payments-{start:%Y%m%d}-{end:%Y%m%d}.csv"'
    )
    response["Cache-Control"] = "no-store"
    return response


@staff_required(Perm.PAYMENTS)
def payment_unpaid(request: HttpRequest) -> HttpResponse:
    rows = selectors.unpaid(
        municipality_id=request.municipality.pk, facility_ids=_facility_ids(request)
    )
    _audit(request, "unpaid", reservations=[r.pk for r, _owed in rows])
    return render(
        request,
        "staff/payment_unpaid.html",
        {"rows": rows, "total": sum(owed for _r, owed in rows), "now": clock.now()},
    )


@staff_required(Perm.PAYMENTS)
def refund_list(request: HttpRequest) -> HttpResponse:
    facility_ids = _facility_ids(request)
    muni = request.municipality.pk
    found = list(selectors.refunds_list(municipality_id=muni, facility_ids=facility_ids)[:200])
    for refund in found:
        requested = refund.status == Refund.Status.REQUESTED
        at_counter = refund.payment.provider in refunds.COUNTER_PROVIDERS
        refund.counter_action = requested and at_counter
        refund.resend_action = requested and not at_counter
    late = list(selectors.late_or_unknown(municipality_id=muni, facility_ids=facility_ids))
    unknown = list(selectors.unknown_payment_events()) if request.user.staff_role == ADMIN else None
    _audit(request, "refunds", refunds=[r.pk for r in found], late=[p.pk for p in late])
    return render(
        request,
        "staff/payment_refunds.html",
        {"refunds": found, "late": late, "unknown": unknown},
    )


def _refund(request: HttpRequest, refund_id: int) -> Refund:
    refund = (
        selectors.refunds_list(
            municipality_id=request.municipality.pk, facility_ids=_facility_ids(request)
        )
        .filter(pk=refund_id)
        .first()
    )
    if refund is None:
        raise Http404(_("指定された返金は見つかりません。"))
    return refund


@staff_required(Perm.PAYMENTS)
@require_POST
def refund_counter(request: HttpRequest, refund_id: int) -> HttpResponse:
    """窓口で返金した: the money taken at the counter was given back there."""
    refund = _refund(request, refund_id)
    try:
        refund = refunds.refund_record_counter(refund=refund, by=request.user)
    except DomainError as error:
        error_message(request, error.message)
    else:
        if refund.status == Refund.Status.SUCCEEDED:
            success(request, _("窓口での返金を記録しました。"))
    return redirect("staff:refund_list")


@staff_required(Perm.PAYMENTS)
@require_POST
def refund_resend(request: HttpRequest, refund_id: int) -> HttpResponse:
    """再送する: ask the provider again, with the refund's own key (never twice)."""
    refund = _refund(request, refund_id)
    try:
        refund = refunds.refund_send(refund=refund)
    except ProviderError:
        error_message(
            request,
            _(
                "決済事業者に接続できませんでした。返金は手続き中のまま残り、"
                "自動的に再送されます。しばらくしてからもう一度お試しください。"
            ),
        )
        return redirect("staff:refund_list")
    if refund.status == Refund.Status.SUCCEEDED:
        success(request, _("返金が完了しました。"))
    elif refund.status == Refund.Status.FAILED:
        error_message(request, _("決済事業者が返金を受け付けませんでした。"))
    return redirect("staff:refund_list")


@staff_required(Perm.PAYMENTS)
def payment_reconcile(request: HttpRequest) -> HttpResponse:
    """突合: every difference between our payments and each provider's own records."""
    days = params.int_param(
        request.GET.get("days"), minimum=1, maximum=max(RECONCILE_DAYS), default=30
    )
    since = clock.now() - dt.timedelta(days=days)
    facility_ids = set(_facility_ids(request))
    is_admin = request.user.staff_role == ADMIN
    results = []
    for name in reconcile.providers_in_use(municipality_id=request.municipality.pk):
        try:
            found = reconcile.reconcile(
                provider_name=name, since=since, municipality_id=request.municipality.pk
            )
        except (ProviderError, LookupError):
            results.append({"provider": name, "unreachable": True, "mismatches": []})
            continue
        shown = [
            m
            for m in found
            if (m.payment is None and is_admin)
            or (m.payment is not None and m.payment.reservation.unit.facility_id in facility_ids)
        ]
        results.append({"provider": name, "unreachable": False, "mismatches": shown})
    _audit(request, "reconcile", days=days)
    return render(
        request,
        "staff/payment_reconcile.html",
        {"results": results, "days": days, "day_choices": RECONCILE_DAYS, "since": since},
    )
