"""全館・複数室場: book several units of one facility on one date as one bundle — the form,
each item with its fee or what refuses it, then 予約する (all or nothing)."""

from __future__ import annotations

from django.contrib.messages import success
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yoyaku.citizen.account_views import registrant_required
from yoyaku.core import params
from yoyaku.core.errors import DomainError
from yoyaku.core.middleware import changes_data
from yoyaku.facilities.models import Facility
from yoyaku.reservations import bundles
from yoyaku.reservations.forms import WholeForm
from yoyaku.reservations.models import ReservationBundle


@require_http_methods(["GET", "POST"])
@changes_data
@registrant_required
def whole_new(request: HttpRequest, municipality: str) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    facility_id = params.int_param(source.get("facility"), minimum=1, maximum=2**31 - 1)
    facility = (
        Facility.objects.filter(
            pk=facility_id, municipality=request.municipality, is_active=True
        ).first()
        if facility_id
        else None
    )
    if facility is None:
        raise Http404(_("指定された施設は見つかりません。"))
    template = "citizen/whole.html"
    form = WholeForm(request.POST if request.method == "POST" else None, facility=facility)
    context: dict = {"facility": facility, "form": form}
    if request.method == "GET":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    data = form.cleaned_data
    try:
        requests = bundles.whole_requests(
            registrant=request.registrant,
            units=list(data["units"]),
            use_date=data["date"],
            slot_codes=data["slots"],
            party_size=data["party_size"],
            purpose=data.get("purpose"),
        )
    except DomainError as error:
        context["problems"] = getattr(error, "all", None) or [error]
        return render(request, template, context, status=400)
    if request.POST.get("action") == "book":
        try:
            bundle = bundles.bundle_book(
                registrant=request.registrant,
                requests=requests,
                kind=ReservationBundle.Kind.WHOLE,
                label=data.get("label") or "",
                by=request.user,
            )
        except DomainError as error:
            context["problems"] = getattr(error, "all", None) or [error]
            context["preview"] = bundles.whole_preview(requests)
            return render(request, template, context, status=409)
        success(
            request,
            _("%(count)s件の予約を、まとめて受け付けました。") % {"count": len(requests)},
        )
        return redirect("citizen:bundle_detail", municipality, bundle.pk)
    preview = bundles.whole_preview(requests)
    context["preview"] = preview
    return render(request, template, context, status=200 if preview.bookable else 400)
