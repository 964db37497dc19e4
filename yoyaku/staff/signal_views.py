"""Staff console: signals of multiple accounts and shared IDs (Ukiha art. 11.4 and 11.5).

Whoever reviews registrations (``Perm.REGISTRATIONS``) sees the clusters with the evidence
side by side and acts on one with a reason: merge, warn, delete (抹消) or dismiss. Every view
of the page and every action writes an audit row (the page shows personal data).
"""

from __future__ import annotations

from django.contrib.messages import success
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction
from yoyaku.core.params import BadParam, action_param, id_param, text_param
from yoyaku.core.permissions import Perm
from yoyaku.core.services import audit_record
from yoyaku.integrity import selectors, services
from yoyaku.security.services import client_ip
from yoyaku.staff.views import staff_required

ACTIONS = ("dismiss", "warn", "merge", "delete")
GROUND_LABELS = {
    "duplicate": _("重複登録（第11条第5項違反：第8条第5号）"),
    "shared_id": _("利用者IDの共用（第11条第4項違反：第8条第5号）"),
    "improper": _("偽りその他不正の手段による登録・利用（第8条第3号）"),
}
FINGERPRINT_MAX_LENGTH = 64


def _page(request: HttpRequest, *, status: int = 200, failed: dict | None = None) -> HttpResponse:
    clusters = selectors.signal_clusters(municipality=request.municipality)
    audit_record(
        action=AuditAction.SIGNAL_VIEW,
        actor=request.user,
        municipality=request.municipality,
        data={
            "clusters": len(clusters),
            "registrants": sorted({pk for c in clusters for pk in c.member_ids}),
        },
        ip_address=client_ip(request),
    )
    return render(
        request,
        "staff/signal_list.html",
        {
            "clusters": clusters,
            "grounds": [(key, str(label)) for key, label in GROUND_LABELS.items()],
            "failed": failed or {},
        },
        status=status,
    )


@staff_required(Perm.REGISTRATIONS)
@require_GET
def signal_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@staff_required(Perm.REGISTRATIONS)
@require_POST
def signal_act(request: HttpRequest) -> HttpResponse:
    muni = request.municipality
    action = action_param(request.POST.get("action"), ACTIONS)
    fingerprint = text_param(request.POST.get("fingerprint"), max_length=FINGERPRINT_MAX_LENGTH)
    typed = request.POST.get("reason", "")
    failed = {
        "fingerprint": fingerprint,
        "reason": typed,
        "keep": request.POST.get("keep", ""),
        "targets": request.POST.getlist("targets"),
        "ground": request.POST.get("ground", ""),
    }
    try:
        reason = text_param(typed, max_length=2000)
    except BadParam as error:
        failed.update(error=str(error), field="reason")
        return _page(request, status=400, failed=failed)
    cluster = selectors.cluster_find(municipality=muni, fingerprint=fingerprint)
    try:
        if cluster is None:
            raise DomainError("signal_gone")
        if action == "dismiss":
            services.signal_dismiss(
                municipality=muni, cluster=cluster, by=request.user, reason=reason
            )
            success(request, _("問題なしとして記録しました。同じ内容は今後表示されません。"))
        elif action == "warn":
            services.signal_warn(municipality=muni, cluster=cluster, by=request.user, reason=reason)
            success(request, _("警告のメールを送りました（メールアドレスのある登録者のみ）。"))
        elif action == "merge":
            services.signal_merge(
                municipality=muni,
                cluster=cluster,
                keep_id=id_param(request.POST.get("keep") or None),
                by=request.user,
                reason=reason,
            )
            success(request, _("残す登録に統合しました。本人に通知しました。"))
        else:
            services.signal_delete(
                municipality=muni,
                cluster=cluster,
                targets=[id_param(value) for value in request.POST.getlist("targets")],
                ground=request.POST.get("ground", ""),
                by=request.user,
                reason=reason,
            )
            success(request, _("選んだ利用者登録を抹消しました。本人に通知しました。"))
    except DomainError as error:
        failed.update(error=error.message, field=error.field)
        return _page(request, status=400, failed=failed)
    return redirect("staff:signal_list")
