"""Staff console: 再計算 of a reservation's fee (Ukiha art. 10.4).

The form is on the reservation's page; 「再計算する」 shows the new fee and the difference
without changing anything, 「確定する」 applies it through ``reservations.recalc`` (which
checks the facility, the state and the bounds, and writes the audit row). The money follows
in the payments app: an additional charge is mailed, an overpayment refunded.
"""

from __future__ import annotations

from django.contrib.messages import success
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yoyaku.core.errors import DomainError
from yoyaku.core.permissions import Perm
from yoyaku.reservations import recalc
from yoyaku.staff.payment_forms import recalculate_form
from yoyaku.staff.reservation_views import _reservation
from yoyaku.staff.views import staff_required


def _page(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    return render(request, "staff/reservation_recalculate.html", context, status=status)


@staff_required(Perm.RESERVATIONS)
@require_http_methods(["GET", "POST"])
def reservation_recalculate(request: HttpRequest, reservation_id: int) -> HttpResponse:
    reservation = _reservation(request, reservation_id)
    posted = request.POST if request.method == "POST" else None
    form = recalculate_form(reservation, posted)
    context: dict = {"reservation": reservation, "form": form}
    if posted is None:
        return _page(request, context)
    if not form.is_valid():
        return _page(request, context, status=400)
    changes = form.changes()
    try:
        if request.POST.get("action") != "apply":
            context["preview"] = recalc.reservation_recalculate_preview(
                reservation=reservation, by=request.user, **changes
            )
            return _page(request, context)
        result = recalc.reservation_recalculate(
            reservation=reservation,
            by=request.user,
            reason=form.cleaned_data["reason"],
            **changes,
        )
    except DomainError as error:
        for problem in getattr(error, "all", None) or [error]:
            field = problem.field if problem.field in form.fields else None
            form.add_error(field, problem.message)
        return _page(request, context, status=400)
    message = _("使用料を再計算しました（%(old)s円 → %(new)s円）。") % {
        "old": f"{result.previous_total:,}",
        "new": f"{result.new_total:,}",
    }
    if result.difference > 0:
        message += " " + _("不足額は本人にお知らせしました。")
    elif result.difference < 0:
        message += " " + _("払い過ぎの分は、支払った方法で返金します。")
    success(request, message)
    return redirect("staff:reservation_detail", reservation.pk)
