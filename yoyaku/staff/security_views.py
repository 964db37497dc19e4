"""Log-in security signals for municipality admins: attempt spikes and shared user numbers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from yoyaku.core import clock
from yoyaku.core import services as core_services
from yoyaku.core.models import AuditAction
from yoyaku.core.permissions import Perm
from yoyaku.security import selectors as security_selectors
from yoyaku.security.services import client_ip
from yoyaku.staff.views import staff_required


@staff_required(Perm.SECURITY)
@require_GET
def security_overview(request: HttpRequest) -> HttpResponse:
    muni = request.municipality
    now = clock.now()
    spike = security_selectors.attempt_spike(municipality=muni, at=now)
    shared = security_selectors.shared_id_signals(municipality=muni, at=now)
    # The page shows user numbers and addresses: who looked, and when, is audited.
    core_services.audit_record(
        action=AuditAction.SECURITY_VIEW,
        actor=request.user,
        municipality=muni,
        data={"spike": spike.is_spike, "shared_id_signals": len(shared)},
        ip_address=client_ip(request),
    )
    return render(
        request,
        "staff/security.html",
        {
            "spike": spike,
            "shared": shared,
            "now": now,
            "shared_window_hours": int(security_selectors.SHARED_ID_WINDOW.total_seconds() // 3600),
            "shared_min_addresses": security_selectors.SHARED_ID_MIN_ADDRESSES,
        },
    )
