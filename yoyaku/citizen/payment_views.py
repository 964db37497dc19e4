"""お支払い: pay a reservation online, come back from the provider, receipts, the history."""

from __future__ import annotations

from django.contrib.messages import error, info, success
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yoyaku.citizen.account_views import registrant_required
from yoyaku.citizen.booking_views import _mine
from yoyaku.core import params
from yoyaku.core.errors import DomainError
from yoyaku.core.middleware import changes_data
from yoyaku.payments import receipt, services
from yoyaku.payments import selectors as money
from yoyaku.payments.models import Payment
from yoyaku.payments.providers.base import ProviderError

P = Payment.Status


def _my_payment(request: HttpRequest, payment_id: int) -> Payment:
    payment = (
        Payment.objects.select_related("reservation__unit__facility", "municipality")
        .filter(pk=payment_id, registrant=request.registrant)
        .first()
    )
    if payment is None:
        raise Http404(_("お支払いが見つかりません。"))
    return payment


@require_http_methods(["POST"])
@changes_data
@registrant_required
def payment_start(request: HttpRequest, municipality: str, reservation_id: int) -> HttpResponse:
    """支払う: to the provider's page (the same open payment on a double click or a second
    tab), or back to the reservation with the reason."""
    reservation = _mine(request, reservation_id)
    method = params.action_param(request.POST.get("method"), ["card", "konbini", "paypay"])
    try:
        payment = services.payment_start(reservation=reservation, method=method, by=request.user)
    except DomainError as refused:
        error(request, refused.message)
        return redirect("citizen:reservation_detail", municipality, reservation.pk)
    if payment.redirect_url:
        return redirect(payment.redirect_url)
    return redirect("citizen:payment_return", municipality, payment.pk)


@require_http_methods(["GET"])
@registrant_required
def payment_return(request: HttpRequest, municipality: str, payment_id: int) -> HttpResponse:
    """The browser is back from the provider: the payment is read again from the provider
    (never trusted from the address), and the person is told where it stands."""
    payment = _my_payment(request, payment_id)
    # まとめて支払う: back to the bundle's page, which lists every item paid.
    back = (
        ("citizen:bundle_detail", municipality, payment.reservation.bundle_id)
        if payment.group and payment.reservation.bundle_id
        else ("citizen:reservation_detail", municipality, payment.reservation_id)
    )
    try:
        payment = services.payment_sync(payment=payment)
    except ProviderError:
        info(
            request,
            _("お支払いの結果をまだ確認できません。確認でき次第、メールでお知らせします。"),
        )
        return redirect(*back)
    if payment.status == P.SUCCEEDED:
        success(request, _("お支払いを受け付けました。領収書はこの画面から印刷できます。"))
    elif payment.status == P.PENDING and payment.method == Payment.Method.KONBINI:
        info(
            request,
            _("コンビニでのお支払いをお待ちしています。払込番号：%(code)s")
            % {"code": payment.code or "—"},
        )
    elif payment.status == P.FAILED:
        error(
            request,
            _(
                "お支払いが完了しませんでした（カードが承認されませんでした）。"
                "別のカードや方法で、もう一度お試しください。"
            ),
        )
    else:
        info(request, _("お支払いはまだ完了していません。"))
    return redirect(*back)


@require_http_methods(["GET"])
@registrant_required
def payment_receipt(request: HttpRequest, municipality: str, payment_id: int) -> HttpResponse:
    """領収書 (PDF) of one payment received."""
    payment = _my_payment(request, payment_id)
    if payment.status != P.SUCCEEDED:
        raise Http404(_("領収書はお支払いの後に発行されます。"))
    response = HttpResponse(receipt.receipt_pdf(payment), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{payment.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET"])
@registrant_required
def payments_page(request: HttpRequest, municipality: str) -> HttpResponse:
    """マイページ › お支払い: what to pay, by when and how; the history with receipts."""
    registrant = request.registrant
    return render(
        request,
        "citizen/payments.html",
        {
            "dues": money.registrant_dues(registrant=registrant),
            "payments": money.registrant_payments(registrant=registrant),
        },
    )
