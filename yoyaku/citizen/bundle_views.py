"""予約のまとまり under my page: the series form (定期利用) → preview → book the free dates;
the bundles, their permit, cancelling a whole bundle, moving one date. No rules here: the
pages call ``reservations.bundles``."""

from __future__ import annotations

import datetime as dt

from django.contrib.messages import error, success
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yoyaku.citizen.account_views import registrant_required
from yoyaku.citizen.views import _bad_request
from yoyaku.core import clock, params
from yoyaku.core.errors import DomainError
from yoyaku.core.middleware import changes_data
from yoyaku.facilities.models import Facility, Unit
from yoyaku.payments import selectors as payment_selectors
from yoyaku.payments import services as payment_services
from yoyaku.payments.models import Payment
from yoyaku.registrants.models import Registrant
from yoyaku.reservations import bundles, series, states
from yoyaku.reservations.bundle_permit import bundle_permit_pdf, permitted_items
from yoyaku.reservations.forms import SeriesForm, posted_dates, series_page
from yoyaku.reservations.models import ReservationBundle

# Refusals of the period, shown next to the end date.
PERIOD_CODES = {
    "series_period_order",
    "series_too_long",
    "series_no_dates",
    "series_too_many_dates",
}


def _form(request: HttpRequest, data=None, initial=None) -> SeriesForm:
    units = Unit.objects.filter(
        facility__municipality=request.municipality, is_active=True, facility__is_active=True
    ).order_by("facility__order", "facility_id", "order", "id")
    return SeriesForm(data, units=units, municipality=request.municipality, initial=initial)


@require_http_methods(["GET", "POST"])
@changes_data
@registrant_required
def series_new(request: HttpRequest, municipality: str) -> HttpResponse:
    """定期利用の申込み: the form, the preview (確認する), then 空いている日をまとめて予約."""
    registrant = request.registrant
    template = "citizen/series.html"
    if registrant.kind != Registrant.Kind.GROUP:
        return render(request, template, {"groups_only": True})
    if request.method == "GET":
        unit = params.int_param(request.GET.get("unit"), minimum=1, maximum=2**31 - 1)
        form = _form(request, initial={"unit": unit} if unit else None)
        return render(request, template, {"form": form})
    form = _form(request, request.POST)
    context, status = series_page(form, registrant=registrant)
    if status != 200 or request.POST.get("action") != "book":
        return render(request, template, context, status=status)
    try:
        bundle = series.series_book(
            spec=context["spec"],
            by=request.user,
            dates=posted_dates(request.POST),
            label=form.cleaned_data.get("label") or "",
        )
    except DomainError as error:
        # All or nothing: nothing was booked; a fresh preview to confirm again.
        context["problems"] = getattr(error, "all", None) or [error]
        context["preview"] = series.series_preview(context["spec"])
        return render(request, template, context, status=409)
    success(
        request,
        _("%(count)s件の予約を、まとめて受け付けました。") % {"count": bundle.items.count()},
    )
    return redirect("citizen:bundle_detail", municipality, bundle.pk)


def _mine(request: HttpRequest, bundle_id: int) -> ReservationBundle:
    bundle = (
        ReservationBundle.objects.select_related("registrant__municipality", "municipality")
        .filter(pk=bundle_id, registrant=request.registrant)
        .first()
    )
    if bundle is None:
        raise Http404(_("指定された予約のまとまりは見つかりません。"))
    return bundle


@require_http_methods(["GET"])
@registrant_required
def bundle_list(request: HttpRequest, municipality: str) -> HttpResponse:
    return render(
        request,
        "citizen/bundle_list.html",
        {
            "bundles": bundles.bundles_of(request.registrant),
            "is_group": request.registrant.kind == Registrant.Kind.GROUP,
            "facilities": Facility.objects.filter(
                municipality=request.municipality, is_active=True, units__booking_kind="slot"
            )
            .distinct()
            .order_by("order", "id"),
        },
    )


def _detail(request: HttpRequest, bundle: ReservationBundle, **extra) -> dict:
    summary = bundles.bundle_summary(bundle)
    today = clock.today()
    # What is still owed per item (one query); まとめて支払う takes what the items awaiting
    # payment owe, in one checkout.
    owed = payment_selectors.balances([item.pk for item in summary.items])
    payable = payment_services.bundle_payable(bundle)
    methods = payment_services.bundle_methods(bundle) if payable else []
    labels = dict(Payment.Method.choices)
    rows = [
        {
            "item": item,
            "owed": max(0, owed.get(item.pk, 0)),
            "can_cancel": states.allows(item, "cancel", today=today),
            "can_change": states.allows(item, "change", today=today),
        }
        for item in summary.items
    ]
    series_unit = _series_unit(bundle)
    if series_unit is not None and series_unit.slot_schedule is None:
        series_unit = None
    upcoming = bundles.active_items(bundle) if series_unit is not None else []
    return {
        "bundle": bundle,
        "series_unit": series_unit,
        "series_slot_ids": {s.pk for s in upcoming[0].slots.all()} if upcoming else set(),
        "series_party": upcoming[0].party_size if upcoming else "",
        "summary": summary,
        "rows": rows,
        "owed_total": sum(r["owed"] for r in rows),
        "pay_total": sum(payable.values()),
        "pay_count": len(payable),
        "pay_methods": [(m, labels[m]) for m in methods],
        "pay_code": payment_selectors.bundle_open_checkout_code(payable),
        "has_permit": any(r["item"].status in ("confirmed", "used") for r in rows),
        **extra,
    }


@require_http_methods(["GET"])
@registrant_required
def bundle_detail(request: HttpRequest, municipality: str, bundle_id: int) -> HttpResponse:
    bundle = _mine(request, bundle_id)
    return render(request, "citizen/bundle_detail.html", _detail(request, bundle))


@require_http_methods(["POST"])
@changes_data
@registrant_required
def bundle_pay(request: HttpRequest, municipality: str, bundle_id: int) -> HttpResponse:
    """まとめて支払う: one checkout at the provider for every item awaiting payment (the same
    open checkout on a double click or a second tab), or back to the bundle with the reason."""
    bundle = _mine(request, bundle_id)
    method = params.action_param(request.POST.get("method"), ["card", "konbini", "paypay"])
    try:
        payment = payment_services.bundle_payment_start(
            bundle=bundle, method=method, by=request.user
        )
    except DomainError as refused:
        error(request, refused.message)
        return redirect("citizen:bundle_detail", municipality, bundle.pk)
    if payment.redirect_url:
        return redirect(payment.redirect_url)
    return redirect("citizen:payment_return", municipality, payment.pk)


@require_http_methods(["GET", "POST"])
@changes_data
@registrant_required
def bundle_cancel(request: HttpRequest, municipality: str, bundle_id: int) -> HttpResponse:
    """Cancel every upcoming item: the fee of each by the tiers, one confirmation, one mail."""
    bundle = _mine(request, bundle_id)
    terms = bundles.bundle_cancel_terms(bundle)
    context = {"bundle": bundle, "terms": terms}
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            context["confirm_error"] = True
            return render(request, "citizen/bundle_cancel.html", context, status=400)
        try:
            result = bundles.bundle_cancel(
                bundle=bundle,
                by=request.user,
                reason=params.text_param(request.POST.get("reason"), max_length=500),
            )
        except DomainError as error:
            context["error"] = error.message
            return render(request, "citizen/bundle_cancel.html", context, status=409)
        success(
            request,
            _("%(count)s件の予約を取り消しました。取消料の合計：%(fee)s円")
            % {"count": len(result.items), "fee": f"{result.total:,}"},
        )
        return redirect("citizen:bundle_detail", municipality, bundle.pk)
    return render(request, "citizen/bundle_cancel.html", context)


@require_http_methods(["POST"])
@changes_data
@registrant_required
def bundle_item_change(
    request: HttpRequest, municipality: str, bundle_id: int, reservation_id: int
) -> HttpResponse:
    """One date of the series to another date: first the preview, then 変更する."""
    bundle = _mine(request, bundle_id)
    item = (
        bundle.items.select_related("unit__facility", "registrant__municipality")
        .prefetch_related("slots")
        .filter(pk=reservation_id)
        .first()
    )
    if item is None:
        raise Http404(_("指定された予約は見つかりません。"))
    today = clock.today()
    new_date = params.date_param(
        request.POST.get("use_date"), minimum=today, maximum=today + dt.timedelta(days=3 * 366)
    )
    if new_date is None:
        return _bad_request(request, _("変更後の利用日を、今日以降の日付で入力してください。"))
    context = {"bundle": bundle, "item": item, "new_date": new_date}
    if request.POST.get("action") == "apply":
        try:
            _moved, difference = series.bundle_item_change_date(
                reservation=item, use_date=new_date, by=request.user
            )
        except DomainError as error:
            context["problems"] = getattr(error, "all", None) or [error]
            return render(request, "citizen/bundle_item_change.html", context, status=409)
        success(
            request,
            _("利用日を変更しました。使用料の差額：%(diff)s円") % {"diff": f"{difference:+,}"},
        )
        return redirect("citizen:bundle_detail", municipality, bundle.pk)
    problems, difference = series.bundle_item_change_preview(reservation=item, use_date=new_date)
    context.update(problems=problems, difference=difference)
    return render(
        request, "citizen/bundle_item_change.html", context, status=400 if problems else 200
    )


def _series_unit(bundle: ReservationBundle) -> Unit | None:
    """The unit of a series' upcoming dates (a series books one unit), or None."""
    items = bundles.active_items(bundle)
    return items[0].unit if items and bundle.kind == ReservationBundle.Kind.SERIES else None


@require_http_methods(["POST"])
@changes_data
@registrant_required
def bundle_series_change(request: HttpRequest, municipality: str, bundle_id: int) -> HttpResponse:
    """まとめて変更: the time slots or the party size of every upcoming date of a series;
    first the preview date by date, then 変更する (all or nothing)."""
    bundle = _mine(request, bundle_id)
    unit = _series_unit(bundle)
    if unit is None or unit.is_lodging or unit.slot_schedule is None:
        raise Http404(_("まとめて変更できる予約がありません。"))
    choices = {slot.pk: slot for slot in unit.slot_schedule.slots.all()}
    slot_ids = {int(v) for v in request.POST.getlist("slots") if v.isascii() and v.isdigit()}
    slots = [choices[pk] for pk in sorted(slot_ids) if pk in choices]
    party = params.int_param(request.POST.get("party_size"), minimum=1, maximum=100_000)
    context: dict = {"bundle": bundle, "unit": unit, "slots": slots, "party_size": party}
    if not slots or len(slots) != len(slot_ids):
        context["error"] = _("変更後の時間区分を、この室場の時間区分から選んでください。")
        return render(request, "citizen/bundle_series_change.html", context, status=400)
    if request.POST.get("action") == "apply":
        try:
            done = series.series_change(
                bundle=bundle, slots=slots, party_size=party, by=request.user
            )
        except DomainError as error:
            context["problems"] = getattr(error, "all", None) or [error]
            context["rows"] = series.series_change_preview(
                bundle=bundle, slots=slots, party_size=party
            )
            return render(request, "citizen/bundle_series_change.html", context, status=409)
        success(
            request,
            _("%(count)s件の予約をまとめて変更しました。使用料の差額の合計：%(diff)s円")
            % {"count": len(done), "diff": f"{sum(r.difference for r in done):+,}"},
        )
        return redirect("citizen:bundle_detail", municipality, bundle.pk)
    rows = series.series_change_preview(bundle=bundle, slots=slots, party_size=party)
    context.update(
        rows=rows,
        refused=any(r.problems for r in rows),
        difference=sum(r.difference for r in rows),
    )
    status = 400 if context["refused"] or not rows else 200
    return render(request, "citizen/bundle_series_change.html", context, status=status)


@require_http_methods(["GET"])
@registrant_required
def bundle_permit(request: HttpRequest, municipality: str, bundle_id: int) -> HttpResponse:
    """使用許可書 listing every permitted item of the bundle."""
    bundle = _mine(request, bundle_id)
    if not permitted_items(bundle):
        raise Http404(_("使用許可書は、予約が確定した後に表示できます。"))
    response = HttpResponse(bundle_permit_pdf(bundle=bundle), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="permit-{bundle.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
