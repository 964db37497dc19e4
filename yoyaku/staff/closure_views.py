"""Staff console: bulk closures (一括休館) — a form, a preview of everyone affected, then a
task whose progress page refreshes itself (no JavaScript needed).

Scoped through :func:`staff_facilities`: facility staff close their own facilities only. The
preview shows names, so it writes ``reservation.view``; the start and the end of the job are
audited by the service.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction
from yoyaku.core.permissions import Perm, staff_facilities
from yoyaku.core.services import audit_record
from yoyaku.scheduling import closures
from yoyaku.scheduling.models import BulkClosure
from yoyaku.security.services import client_ip
from yoyaku.staff.closure_forms import BulkClosureForm
from yoyaku.staff.views import staff_required

REFRESH_SECONDS = 3


def _jobs(request: HttpRequest):
    return BulkClosure.objects.filter(
        municipality=request.municipality, facility__in=staff_facilities(request.user)
    ).select_related("facility", "unit", "created_by")


@staff_required(Perm.RESERVATIONS)
@require_http_methods(["GET", "POST"])
def closure_new(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST ``preview``: who is affected. POST ``confirm``: start the job."""
    facilities = staff_facilities(request.user)
    form = BulkClosureForm(request.POST or None, facilities=facilities)
    step = request.POST.get("step") if request.method == "POST" else None
    if step in ("preview", "confirm") and form.is_valid():
        data = form.cleaned_data
        where = {
            "facility": data["facility"],
            "unit": data["unit"],
            "start_date": data["start_date"],
            "end_date": data["end_date"],
        }
        problems = closures.closure_problems(**where)
        if step == "confirm" and not problems:
            try:
                job = closures.bulk_closure_start(**where, reason=data["reason"], by=request.user)
            except DomainError as error:
                problems = [error]
            else:
                return redirect("staff:closure_detail", job.pk)
        if not problems:
            affected = closures.closure_affected(**where)
            audit_record(
                action=AuditAction.RESERVATION_VIEW,
                actor=request.user,
                municipality=request.municipality,
                target=data["facility"],
                data={
                    "page": "closure_preview",
                    "reservations": [a.reservation.pk for a in affected.reservations],
                    "applications": [a.pk for a in affected.applications],
                },
                ip_address=client_ip(request),
            )
            return render(
                request,
                "staff/closure_preview.html",
                {"form": form, "affected": affected, **where, "reason": data["reason"]},
            )
        for problem in problems:
            form.add_error(None, problem.message)
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "staff/closure_form.html",
        {"form": form, "jobs": _jobs(request)[:20]},
        status=status,
    )


@staff_required(Perm.RESERVATIONS)
def closure_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _jobs(request).filter(pk=job_id).first()
    if job is None:
        raise Http404(_("指定された一括休館は見つかりません。"))
    running = job.status != BulkClosure.Status.DONE
    response = render(
        request,
        "staff/closure_detail.html",
        {"job": job, "running": running, "refresh_seconds": REFRESH_SECONDS},
    )
    if running:
        response["Cache-Control"] = "no-store"
    return response
