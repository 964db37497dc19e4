"""カレンダー連携: a reservation as an .ics file, and the registrant's private iCal feed."""

from __future__ import annotations

from django.contrib.messages import success
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from yoyaku.citizen.account_views import registrant_required
from yoyaku.citizen.booking_views import _mine
from yoyaku.core import params
from yoyaku.core.middleware import changes_data
from yoyaku.reservations import calendar
from yoyaku.reservations.models import Reservation

ICS_CONTENT_TYPE = "text/calendar; charset=utf-8"


def _detail_url(request: HttpRequest):
    def url_for(reservation: Reservation) -> str:
        return request.build_absolute_uri(
            reverse(
                "citizen:reservation_detail",
                args=[reservation.unit.facility.municipality.slug, reservation.pk],
            )
        )

    return url_for


@require_GET
@registrant_required
def reservation_ics(request: HttpRequest, municipality: str, reservation_id: int) -> HttpResponse:
    """One reservation to import into a calendar app; the registrant's own only (else 404)."""
    reservation = _mine(request, reservation_id)
    body = calendar.reservations_ics(
        [reservation],
        name=reservation.unit.facility.display_name,
        url_for=_detail_url(request),
    )
    response = HttpResponse(body, content_type=ICS_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="reservation-{reservation.number}.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@changes_data
@registrant_required
def calendar_feed_manage(request: HttpRequest, municipality: str) -> HttpResponse:
    """作成 / 作り直す / 停止 from the my page section 「カレンダー連携」."""
    action = params.action_param(request.POST.get("action"), ["create", "regenerate", "revoke"])
    registrant, user = request.registrant, request.user
    if action == "create":
        calendar.calendar_feed_create(registrant=registrant, by=user)
        success(request, _("カレンダー連携のURLを作成しました。"))
    elif action == "regenerate":
        calendar.calendar_feed_regenerate(registrant=registrant, by=user)
        success(request, _("カレンダー連携のURLを作り直しました。以前のURLは使えなくなりました。"))
    elif calendar.calendar_feed_revoke(registrant=registrant, by=user) is not None:
        success(request, _("カレンダー連携を停止しました。"))
    return redirect(reverse("citizen:mypage", args=[municipality]) + "#calendar-heading")


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private feed: no log-in (calendar apps cannot), the token is the secret.

    Unknown, revoked, or of a closed account: 404, the same answer for each.
    """
    feed = calendar.calendar_feed_by_token(token)
    if feed is None:
        raise Http404
    registrant = feed.registrant
    body = calendar.reservations_ics(
        calendar.feed_reservations(registrant),
        name=_("%(system)sの予約") % {"system": registrant.municipality.display_system_name},
        url_for=_detail_url(request),
    )
    response = HttpResponse(body, content_type=ICS_CONTENT_TYPE)
    response["Cache-Control"] = "private, max-age=300"
    # The address is a credential: keep it out of search engines and referrers.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
