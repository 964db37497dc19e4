"""The audit log search for municipality admins (監査ログ): filters, pages, a CSV download.

Looking at the audit log is itself recorded (``audit.search``), and so is every download
(``audit.export``, with the filters and the number of rows), after the rows were read so the
search does not find its own row."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from yoyaku.core import clock
from yoyaku.core import services as core_services
from yoyaku.core.exports import Table, csv_response
from yoyaku.core.models import AuditAction, AuditVia
from yoyaku.core.permissions import Perm
from yoyaku.reports import audit
from yoyaku.security.services import client_ip
from yoyaku.staff.report_forms import AuditSearchForm
from yoyaku.staff.views import staff_required

# A download is for a period's worth, not the whole history at once.
EXPORT_LIMIT = 50_000


def _filters(form: AuditSearchForm, municipality) -> audit.AuditFilters | None:
    data = form.cleaned_data
    registrant = None
    if data["user_number"]:
        registrant = audit.registrant_by_number(
            municipality=municipality, user_number=data["user_number"]
        )
        if registrant is None:
            form.add_error("user_number", _("この利用者番号の登録者はいません。"))
            return None
    return audit.AuditFilters(
        date_from=data["date_from"],
        date_to=data["date_to"],
        action=data["action"],
        staff=data["staff"],
        registrant=registrant,
        target_type=data["target_type"],
        target_id=data["target_id"],
        ip_address=data["ip_address"] or "",
    )


def _actor(row) -> str:
    if row.actor is None:
        return str(AuditVia(row.via).label) if row.via in AuditVia.values else row.via
    return f"{row.actor.login_id} {row.actor.display_name}".strip()


def _export(request: HttpRequest, rows, filters: audit.AuditFilters) -> HttpResponse:
    found = list(rows[: EXPORT_LIMIT + 1])
    truncated = len(found) > EXPORT_LIMIT
    found = found[:EXPORT_LIMIT]
    table = Table(
        _("監査ログ"),
        [
            _("日時"),
            _("操作"),
            _("操作コード"),
            _("操作者"),
            _("経路"),
            _("接続元IPアドレス"),
            _("対象の種類"),
            _("対象の番号"),
            _("内容"),
        ],
        [
            [
                clock.local(row.at),
                row.action_label,
                row.action,
                _actor(row),
                row.get_via_display(),
                row.ip_address or "",
                row.target_type,
                row.target_id,
                "; ".join(f"{k}: {v}" for k, v in audit.data_items(row)),
            ]
            for row in found
        ],
    )
    core_services.audit_record(
        action=AuditAction.AUDIT_EXPORT,
        actor=request.user,
        municipality=request.municipality,
        data={**filters.as_data(), "rows": len(found), "truncated": truncated},
        ip_address=client_ip(request),
    )
    return csv_response([table], filename=f"audit-log-{clock.today():%Y%m%d}")


@staff_required(Perm.AUDIT)
@require_GET
def audit_search(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality
    form = AuditSearchForm(request.GET or None, municipality=municipality)
    filters = None
    if not request.GET:
        filters = audit.AuditFilters()
    elif form.is_valid():
        filters = _filters(form, municipality)
    if filters is None:
        return render(request, "staff/audit_search.html", {"form": form}, status=400)
    rows = audit.audit_search(municipality=municipality, filters=filters)
    if request.GET.get("format") == "csv":
        return _export(request, rows, filters)
    page = audit.audit_page(rows=rows, number=request.GET.get("page"))
    entries = [(row, _actor(row), audit.data_items(row)) for row in page.object_list]
    core_services.audit_record(
        action=AuditAction.AUDIT_SEARCH,
        actor=request.user,
        municipality=municipality,
        data={**filters.as_data(), "page": page.number},
        ip_address=client_ip(request),
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "staff/audit_search.html",
        {"form": form, "page": page, "entries": entries, "query": query.urlencode()},
    )
