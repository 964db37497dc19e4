"""LINE通知 on my page: issue a one-time link code, or unlink."""

from __future__ import annotations

from django.contrib.messages import success
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yoyaku.citizen.account_views import registrant_required
from yoyaku.core import params
from yoyaku.core.middleware import changes_data
from yoyaku.notifications import line, line_services


@require_POST
@changes_data
@registrant_required
def line_manage(request: HttpRequest, municipality: str) -> HttpResponse:
    """連携コードを発行 / 連携を解除 from the my page section 「LINE通知」."""
    muni = request.registrant.municipality
    if line.channel_for(muni.slug) is None:
        raise Http404
    action = params.action_param(request.POST.get("action"), ["code", "unlink"])
    if action == "code":
        line_services.line_link_code_issue(user=request.user, municipality=muni)
        success(request, _("連携コードを発行しました。10分以内にLINEで送ってください。"))
    elif line_services.line_unlink(user=request.user, municipality=muni):
        success(
            request, _("LINE通知の連携を解除しました。今後のお知らせはメールだけでお送りします。")
        )
    return redirect(reverse("citizen:mypage", args=[municipality]) + "#line-heading")
