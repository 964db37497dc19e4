"""キャンセル待ち: join from the booking page, my waits and offers, 受ける / 辞退する / 取下げ."""

from __future__ import annotations

from django.contrib.messages import error as error_message
from django.contrib.messages import success
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yoyaku.citizen.account_views import registrant_required
from yoyaku.core.errors import DomainError
from yoyaku.core.middleware import changes_data
from yoyaku.reservations import rules
from yoyaku.waitlist import selectors, services
from yoyaku.waitlist.models import Wait


def join(request: HttpRequest, booking_request: rules.BookingRequest) -> list[DomainError] | None:
    """Called by the booking page (action=waitlist): the problems, or None when joined."""
    try:
        services.waitlist_join(request=booking_request, by=request.user)
    except DomainError as error:
        return getattr(error, "all", [error])
    success(request, _("キャンセル待ちに登録しました。空きが出たらメールでお知らせします。"))
    return None


@require_http_methods(["GET"])
@registrant_required
def waitlist_page(request: HttpRequest, municipality: str) -> HttpResponse:
    return render(
        request,
        "citizen/waitlist.html",
        {"rows": selectors.my_waits(request.registrant)},
    )


@require_http_methods(["POST"])
@changes_data
@registrant_required
def waitlist_withdraw(request: HttpRequest, municipality: str, wait_id: int) -> HttpResponse:
    wait = Wait.objects.filter(pk=wait_id, registrant=request.registrant).first()
    if wait is None:
        raise Http404(_("指定されたキャンセル待ちは見つかりません。"))
    try:
        services.waitlist_withdraw(wait=wait, by=request.user)
    except DomainError as error:
        error_message(request, error.message)
    else:
        success(request, _("キャンセル待ちを取り下げました。"))
    return redirect("citizen:waitlist", municipality)


@require_http_methods(["POST"])
@changes_data
@registrant_required
def waitlist_answer(request: HttpRequest, municipality: str, offer_id: int) -> HttpResponse:
    """受ける (answer=accept) or 辞退する (answer=decline)."""
    offer = selectors.open_offer(request.registrant, offer_id)
    if offer is None:
        raise Http404(_("この案内はすでに終了しています。"))
    answer = request.POST.get("answer")
    try:
        if answer == "accept":
            reservation = services.waitlist_accept(offer=offer, by=request.user)
        elif answer == "decline":
            services.waitlist_decline(offer=offer, by=request.user)
            success(request, _("案内を辞退しました。"))
            return redirect("citizen:waitlist", municipality)
        else:
            error_message(request, _("「受ける」か「辞退する」を選んでください。"))
            return redirect("citizen:waitlist", municipality)
    except DomainError as error:
        error_message(request, error.message)
        return redirect("citizen:waitlist", municipality)
    success(request, _("キャンセル待ちの案内を受け、予約の申込みを受け付けました。"))
    return redirect("citizen:reservation_detail", municipality, reservation.pk)
