"""Staff console: 優先予約 — allocate seasonal series to registered groups (and municipal
events registered as groups) before the public booking window opens — and bundles: their
items, and cancelling a whole bundle with a reason, free of charge.

Least privilege as the neighbouring reservation pages: units and bundles of the facilities the
staff member may see (:func:`staff_facilities`); the preview is a GET (every role with the
reservations verb may look), the allocation and the cancellation are POSTs (roles that act).
Every page that shows the registrant writes an audit row; the services audit the writes.
"""

from __future__ import annotations

from django.contrib.messages import success
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yoyaku.core import params
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction
from yoyaku.core.permissions import Perm, staff_facilities
from yoyaku.core.services import audit_record
from yoyaku.facilities.models import Unit
from yoyaku.reservations import bundles, series
from yoyaku.reservations.forms import SeriesForm, posted_dates, series_page
from yoyaku.reservations.models import ReservationBundle
from yoyaku.security.services import client_ip
from yoyaku.staff.forms import ProxyChannelForm, ProxyTargetForm
from yoyaku.staff.views import staff_required


class _RegistrantForm(ProxyTargetForm):
    """Only the 利用者番号 of the proxy form (the unit and dates are the series form's)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["unit"]
        del self.fields["date"]


def _forms(request: HttpRequest, data):
    facilities = staff_facilities(request.user)
    units = Unit.objects.filter(
        facility__in=facilities, is_active=True, facility__is_active=True
    ).order_by("facility__order", "facility_id", "order", "id")
    who = _RegistrantForm(data, municipality=request.municipality, facilities=facilities)
    series = SeriesForm(data, units=units, municipality=request.municipality)
    channel = ProxyChannelForm(data)
    return who, series, channel


@staff_required(Perm.RESERVATIONS)
@require_http_methods(["GET", "POST"])
def series_allocate(request: HttpRequest) -> HttpResponse:
    """優先予約: the group, the unit, weekdays, slots, period (GET: the conflicts preview), then
    割り当てる (POST). The booking window's opening date does not apply; every other rule does."""
    template = "staff/series_allocate.html"
    data = request.POST if request.method == "POST" else (request.GET or None)
    who, form, channel_form = _forms(request, data)
    context: dict = {"who": who, "channel_form": channel_form}
    if data is None or not who.is_valid():
        context["form"] = form
        if data is not None:
            form.is_valid()
        return render(request, template, context, status=400 if data is not None else 200)
    registrant = who.registrant
    audit_record(
        action=AuditAction.REGISTRANT_VIEW,
        actor=request.user,
        municipality=request.municipality,
        target=registrant,
        data={"page": "series_allocate"},
        ip_address=client_ip(request),
    )
    context["registrant"] = registrant
    channel = channel_form.cleaned_data["channel"] if channel_form.is_valid() else "counter"
    page, status = series_page(form, registrant=registrant, channel=channel, priority=True)
    context.update(page)
    if request.method != "POST" or status != 200:
        return render(request, template, context, status=status)
    try:
        bundle = series.series_book(
            spec=context["spec"],
            by=request.user,
            dates=posted_dates(request.POST),
            label=form.cleaned_data.get("label") or "",
            channel=channel,
            priority=True,
        )
    except DomainError as error:
        context["problems"] = getattr(error, "all", None) or [error]
        context["preview"] = series.series_preview(context["spec"], by_staff=True, priority=True)
        return render(request, template, context, status=409)
    success(
        request,
        _("%(count)s件を優先予約として割り当てました（%(number)s）。")
        % {"count": bundle.items.count(), "number": bundle.number},
    )
    return redirect("staff:bundle_detail", bundle.pk)


def _bundle(request: HttpRequest, bundle_id: int) -> ReservationBundle:
    """A bundle all of whose items are at facilities this staff member may see."""
    bundle = (
        ReservationBundle.objects.select_related("registrant", "municipality")
        .filter(pk=bundle_id, municipality=request.municipality)
        .first()
    )
    if bundle is None:
        raise Http404(_("指定された予約のまとまりは見つかりません。"))
    visible = {f.pk for f in staff_facilities(request.user)}
    if bundle.items.exclude(unit__facility_id__in=visible).exists():
        raise Http404(_("指定された予約のまとまりは見つかりません。"))
    return bundle


def _detail(request: HttpRequest, bundle: ReservationBundle, *, status=200, **extra):
    summary = bundles.bundle_summary(bundle)
    audit_record(
        action=AuditAction.RESERVATION_VIEW,
        actor=request.user,
        municipality=request.municipality,
        target=bundle,
        data={"page": "bundle", "reservations": [i.pk for i in summary.items]},
        ip_address=client_ip(request),
    )
    context = {"bundle": bundle, "summary": summary, **extra}
    return render(request, "staff/bundle_detail.html", context, status=status)


@staff_required(Perm.RESERVATIONS)
def bundle_detail(request: HttpRequest, bundle_id: int) -> HttpResponse:
    # The bundle first: another municipality's staff learn nothing, whatever the method.
    bundle = _bundle(request, bundle_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    return _detail(request, bundle)


@staff_required(Perm.RESERVATIONS)
@require_POST
def bundle_cancel(request: HttpRequest, bundle_id: int) -> HttpResponse:
    """Cancel every upcoming item of the bundle for a facility reason: free, reason required."""
    bundle = _bundle(request, bundle_id)
    reason = params.text_param(request.POST.get("reason"), max_length=500)
    try:
        result = bundles.bundle_cancel(bundle=bundle, by=request.user, reason=reason, by_staff=True)
    except DomainError as error:
        return _detail(request, bundle, status=400, error=error.message, reason=reason)
    success(request, _("%(count)s件の予約を取り消しました。") % {"count": len(result.items)})
    return redirect("staff:bundle_detail", bundle.pk)
