"""Staff console: the day's work at the counter — the day sheet (使用予定表) of a facility,
printable, with check-in (利用済) and no-show (無断不使用) marked from it.

Scoped through :func:`staff_facilities`: a facility outside them is a 404. The sheet shows
names, so every view of it writes ``reservation.view``; the marks go through
``reservations.booking`` (state, date and audit checked there).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.messages import error, success
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yoyaku.core import clock, params
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction
from yoyaku.core.permissions import Perm, staff_facilities
from yoyaku.core.services import audit_record
from yoyaku.facilities.models import Facility, Unit
from yoyaku.payments import selectors as money
from yoyaku.reservations import booking, daysheet
from yoyaku.reservations.models import Reservation
from yoyaku.security.services import client_ip
from yoyaku.staff.views import staff_required
from yoyaku.waitlist import selectors as waitlist_selectors
from yoyaku.waitlist.services import cutoff_days


def _facility(request: HttpRequest, facility_id: int) -> Facility:
    facility = staff_facilities(request.user).filter(pk=facility_id).first()
    if facility is None:
        raise Http404(_("指定された施設は見つかりません。"))
    return facility


def _range(today: dt.date) -> dict[str, dt.date]:
    # Sheets of ten years either side: far enough for any booking window and any look back.
    return {"minimum": today - dt.timedelta(days=3660), "maximum": today + dt.timedelta(days=3660)}


def _sheet_url(facility: Facility, day: dt.date) -> str:
    return f"{reverse('staff:day_sheet', args=[facility.pk])}?date={day.isoformat()}"


@staff_required(Perm.RESERVATIONS)
def day_sheet(request: HttpRequest, facility_id: int) -> HttpResponse:
    facility = _facility(request, facility_id)
    today = clock.today()
    day = params.date_param(request.GET.get("date"), default=today, **_range(today))
    sheet = daysheet.day_sheet(facility=facility, day=day, today=today)
    shown = sheet.reservations
    balances = money.balances([r.pk for r in shown])
    for unit in sheet.units:
        for line in unit.lines:
            line.balance = balances.get(line.reservation.pk, 0)
    # Names and party sizes of the day: a view of personal data, one row per page.
    audit_record(
        action=AuditAction.RESERVATION_VIEW,
        actor=request.user,
        municipality=request.municipality,
        target=facility,
        data={"page": "day_sheet", "date": day.isoformat(), "reservations": [r.pk for r in shown]},
        ip_address=client_ip(request),
    )
    return render(
        request,
        "staff/day_sheet.html",
        {
            "sheet": sheet,
            "facilities": staff_facilities(request.user),
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "printed_at": clock.now(),
        },
    )


@staff_required(Perm.RESERVATIONS)
@require_POST
def day_sheet_mark(request: HttpRequest, facility_id: int) -> HttpResponse:
    """利用済 / 無断不使用 from the sheet; back to the same sheet."""
    facility = _facility(request, facility_id)
    action = params.action_param(request.POST.get("action"), ["used", "no_show"])
    reservation = Reservation.objects.filter(
        pk=params.id_param(request.POST.get("reservation"), default=0), unit__facility=facility
    ).first()
    if reservation is None:
        raise Http404(_("指定された予約は見つかりません。"))
    try:
        if action == "used":
            booking.reservation_mark_used(reservation=reservation, by=request.user)
            success(
                request,
                _("%(number)s を利用済として記録しました。") % {"number": reservation.number},
            )
        else:
            booking.reservation_mark_no_show(reservation=reservation, by=request.user)
            success(
                request,
                _("%(number)s を無断不使用として記録しました。") % {"number": reservation.number},
            )
    except DomainError as problem:
        error(request, f"{reservation.number}: {problem.message}")
    day = params.date_param(
        request.POST.get("date"), default=reservation.use_date, **_range(clock.today())
    )
    return redirect(_sheet_url(facility, day))


@staff_required(Perm.RESERVATIONS)
def day_sheet_today(request: HttpRequest) -> HttpResponse:
    """The menu's entry: today's sheet of the first facility the staff member may see."""
    facility = staff_facilities(request.user).order_by("order", "pk").first()
    if facility is None:
        raise Http404(_("担当の施設はありません。"))
    return redirect(_sheet_url(facility, clock.today()))


@staff_required(Perm.RESERVATIONS)
def waitlist(request: HttpRequest, unit_id: int, day: str) -> HttpResponse:
    """キャンセル待ち of one unit and date: the waiters, the offers with their draw and state.
    Names are personal data: every view writes ``waitlist.view``."""
    unit = (
        Unit.objects.filter(pk=unit_id, facility__in=staff_facilities(request.user))
        .select_related("facility")
        .first()
    )
    today = clock.today()
    use_date = params.date_param(day, **_range(today))
    if unit is None or use_date is None:
        raise Http404(_("指定された室場は見つかりません。"))
    waits = waitlist_selectors.waits_of(unit, use_date)
    offers = waitlist_selectors.offers_of(unit, use_date)
    audit_record(
        action=AuditAction.WAITLIST_VIEW,
        actor=request.user,
        municipality=request.municipality,
        target=unit,
        data={"date": use_date.isoformat(), "waits": [w.pk for w in waits]},
        ip_address=client_ip(request),
    )
    return render(
        request,
        "staff/waitlist.html",
        {
            "unit": unit,
            "day": use_date,
            "waits": waits,
            "offers": offers,
            "cutoff_days": cutoff_days(unit.facility),
            "sheet_url": _sheet_url(unit.facility, use_date),
        },
    )
