"""Booking pages: form → fee and terms → 予約する; my reservations; change and cancel."""

from __future__ import annotations

import datetime as dt

from django.contrib.messages import success
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yoyaku.citizen import waitlist_views
from yoyaku.citizen.account_views import registrant_required
from yoyaku.citizen.views import _bad_request
from yoyaku.core import clock, params
from yoyaku.core.errors import DomainError
from yoyaku.core.middleware import changes_data
from yoyaku.facilities import setup_cache
from yoyaku.facilities.models import Unit
from yoyaku.payments import selectors as payment_selectors
from yoyaku.payments import services as payment_services
from yoyaku.reservations import booking, entry_codes, opening, public_log, rules, states
from yoyaku.reservations import selectors as availability
from yoyaku.reservations.forms import BookingForm
from yoyaku.reservations.models import FirstMinuteOpening, FirstMinuteTicket, Reservation
from yoyaku.reservations.permit import permit_available, use_permit_pdf

# A sane cap on any head count typed in (a unit without a capacity set included).
PERSONS_MAX = 999


def _setup(request: HttpRequest, unit_id: int) -> setup_cache.UnitSetup:
    """The unit from the setup cache (facility, schedule, purposes, fees loaded); 404 when it
    is not an active unit of this municipality."""
    setup = setup_cache.unit_setup(municipality_id=request.municipality.pk, unit_id=unit_id)
    if setup is None or not setup.unit.is_active:
        raise Http404(_("指定された室場は見つかりません。"))
    return setup


# Refusals that mean somebody else was faster: a short page, not the whole form again.
CAPACITY_GONE = {"slot_taken", "rooms_full"}


@require_http_methods(["GET", "POST"])
@changes_data
@registrant_required
def reserve(request: HttpRequest, municipality: str, unit_id: int) -> HttpResponse:
    unit = _setup(request, unit_id).unit
    registrant = request.registrant
    today = clock.today()
    use_date = params.date_param(
        request.GET.get("date") or request.POST.get("date"),
        minimum=today - dt.timedelta(days=366),
        maximum=today + dt.timedelta(days=3 * 366),
    )
    if use_date is None:
        return _bad_request(request, _("日付は 2026-12-05 の形式で指定してください。"))
    if request.method == "POST" and request.POST.get("action") == "waitlist":
        # キャンセル待ちに登録: the same form, for capacity that is full.
        form = BookingForm(request.POST, unit=unit, registrant=registrant, for_booking=True)
        if form.is_valid():
            problems = waitlist_views.join(
                request, form.booking_request(registrant=registrant, use_date=use_date)
            )
            if problems is None:
                return redirect("citizen:waitlist", request.municipality.slug)
            return _page(request, unit, use_date, problems=problems)
    if request.method == "POST" and request.POST.get("action") == "book":
        # The rush: no availability grid and no page before trying (see _book).
        form = BookingForm(request.POST, unit=unit, registrant=registrant, for_booking=True)
        if form.is_valid():
            return _book(request, form.booking_request(registrant=registrant, use_date=use_date))
    return _page(request, unit, use_date)


def _book(request: HttpRequest, booking_request: rules.BookingRequest) -> HttpResponse:
    """予約する: the service takes the capacity first; a slot just taken is a short 409 page
    with the way back to the day's availability, any other refusal the form with the reasons."""
    try:
        reservation = opening.booking_submit(request=booking_request, by=request.user)
    except DomainError as error:
        problems = getattr(error, "all", [error])
        if error.code == "booking_attempts_exceeded":
            return _too_many(request, booking_request, error)
        if error.code in CAPACITY_GONE:
            context = {
                "unit": booking_request.unit,
                "use_date": booking_request.use_date,
                "problems": problems,
                # キャンセル待ちに登録: the same choices sent again (action=waitlist).
                "resend": [
                    (name, value)
                    for name, values in request.POST.lists()
                    if name not in ("csrfmiddlewaretoken", "action")
                    for value in values
                ],
            }
            return render(request, "citizen/reserve_taken.html", context, status=409)
        return _page(request, booking_request.unit, booking_request.use_date, problems=problems)
    if isinstance(reservation, FirstMinuteTicket):
        # 受付開始直後: queued; the waiting page shows the result after the window.
        return redirect("citizen:first_minute_wait", request.municipality.slug, reservation.pk)
    success(request, _("予約の申込みを受け付けました。"))
    return redirect("citizen:reservation_detail", request.municipality.slug, reservation.pk)


def _too_many(
    request: HttpRequest, booking_request: rules.BookingRequest, error: DomainError
) -> HttpResponse:
    """429: too many booking requests this minute; the page says when to try again."""
    seconds = int(error.params.get("seconds", 60))
    context = {
        "unit": booking_request.unit,
        "use_date": booking_request.use_date,
        "problems": [error],
        "retry_at": clock.now() + dt.timedelta(seconds=seconds),
    }
    response = render(request, "citizen/reserve_taken.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


# Seconds between two loads of the waiting page (meta refresh, no script).
WAIT_REFRESH_SECONDS = 3


@require_http_methods(["GET"])
@registrant_required
def first_minute_wait(request: HttpRequest, municipality: str, ticket_id: int) -> HttpResponse:
    """抽選待ち: the registrant's ticket of a fair window; reloads itself every few seconds
    until the window has been processed, then shows the reservation or the refusal."""
    ticket = opening.ticket_of(registrant_id=request.registrant.pk, ticket_id=ticket_id)
    if ticket is None:
        raise Http404(_("指定された申込みは見つかりません。"))
    ticket = opening.ticket_wait(ticket=ticket)
    processed = ticket.opening.state == FirstMinuteOpening.State.PROCESSED
    seed = ticket.opening.seed or opening.opening_seed(
        ticket.opening.facility_id, ticket.opening.opens_at
    )
    context = {
        "ticket": ticket,
        "processed": processed,
        "refusal": opening.ticket_refusal(ticket),
        "refresh": None if processed else WAIT_REFRESH_SECONDS,
        "seed_hash": opening.seed_commitment(seed),
        "seed": ticket.opening.seed,
    }
    response = render(request, "citizen/first_minute_wait.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


def _page(
    request: HttpRequest, unit: Unit, use_date: dt.date, *, problems: list | None = None
) -> HttpResponse:
    """The booking form with the day's availability (GET), its confirmation (料金を確認する),
    or the form again with what is wrong."""
    registrant = request.registrant
    state = availability.availability_grid(units=[unit], start=use_date, end=use_date)[
        (unit.pk, use_date)
    ]
    form = BookingForm(
        request.POST if request.method == "POST" else None,
        unit=unit,
        registrant=registrant,
        slot_states=state.slots,
    )
    context = {
        "unit": unit,
        "use_date": use_date,
        "state": state,
        "form": form,
        "terms": rules.booking_terms(unit, use_date),
        "registrant_problem": rules.registrant_problem(registrant, today=clock.today()),
    }
    if problems:
        context["problems"] = problems
        form.is_valid()  # the person's input is shown again with the reasons
        return render(request, "citizen/reserve.html", context, status=409)
    if request.method == "POST" and form.is_valid():
        booking_request = form.booking_request(registrant=registrant, use_date=use_date)
        problems = rules.check(booking_request)
        if problems:
            context["problems"] = problems
            return render(request, "citizen/reserve.html", context, status=400)
        try:
            context["quote"] = booking.reservation_quote(booking_request)
        except DomainError as error:
            context["problems"] = [error]
            return render(request, "citizen/reserve.html", context, status=400)
        context["booking_request"] = booking_request
        return render(request, "citizen/reserve_confirm.html", context)
    return render(request, "citizen/reserve.html", context)


@require_http_methods(["GET"])
@registrant_required
def reservation_list(request: HttpRequest, municipality: str) -> HttpResponse:
    today = clock.today()
    mine = (
        Reservation.objects.filter(registrant=request.registrant)
        .select_related("unit__facility")
        .prefetch_related("slots")
    )
    return render(
        request,
        "citizen/reservation_list.html",
        {
            "upcoming": mine.filter(status__in=Reservation.HOLDS_CAPACITY, use_date__gte=today),
            "past": mine.filter(use_date__lt=today)
            .exclude(status=Reservation.Status.CANCELLED)
            .order_by("-use_date"),
            "cancelled": mine.filter(
                status__in=[Reservation.Status.CANCELLED, Reservation.Status.REJECTED]
            ).order_by("-use_date"),
        },
    )


def _mine(request: HttpRequest, reservation_id: int) -> Reservation:
    reservation = (
        Reservation.objects.select_related(
            "unit__facility__municipality", "registrant", "purpose", "reduction"
        )
        .prefetch_related("slots")
        .filter(pk=reservation_id, registrant=request.registrant)
        .first()
    )
    if reservation is None:
        raise Http404(_("指定された予約は見つかりません。"))
    return reservation


@require_http_methods(["GET"])
@registrant_required
def reservation_detail(
    request: HttpRequest, municipality: str, reservation_id: int
) -> HttpResponse:
    reservation = _mine(request, reservation_id)
    terms = booking.cancellation_terms(reservation)
    facility = reservation.unit.facility
    return render(
        request,
        "citizen/reservation_detail.html",
        {
            "reservation": reservation,
            "cancel_terms": terms,
            "changeable": states.allows(reservation, "change"),
            "can_cancel": states.allows(reservation, "cancel"),
            "night_choices": range(1, facility.max_nights + 1),
            "terms": rules.booking_terms(reservation.unit, reservation.use_date),
            "log_pseudonym": public_log.pseudonym(reservation.registrant_id, facility.pk),
            "entry_code": entry_codes.entry_code_for(reservation),
            "money": payment_selectors.reservation_money(
                reservation, online_methods=payment_services.online_methods(facility)
            ),
        },
    )


@require_http_methods(["POST"])
@changes_data
@registrant_required
def reservation_change(
    request: HttpRequest, municipality: str, reservation_id: int
) -> HttpResponse:
    """宿泊数・人数の変更: first a preview with the new fee, then 変更する."""
    reservation = _mine(request, reservation_id)
    changes = {}
    unit = reservation.unit
    limits = {
        # Nights in the column's range reach the booking rules, which say what is allowed.
        "nights": (0, 32767),
        "adults": (0, PERSONS_MAX),
        "children": (0, PERSONS_MAX),
        "infants": (0, PERSONS_MAX),
        "party_size": (1, unit.capacity or PERSONS_MAX),
    }
    for field, (minimum, maximum) in limits.items():
        try:
            value = params.int_param(request.POST.get(field), minimum=minimum, maximum=maximum)
        except params.BadParam as error:
            if field == "nights":
                limit = DomainError("nights_limit", max=unit.facility.max_nights)
                return _bad_request(request, limit.message)
            return _bad_request(request, error.message)
        if value is not None:
            changes[field] = value
    if not changes:
        return redirect("citizen:reservation_detail", municipality, reservation.pk)
    if "nights" in changes and len(changes) > 1:
        # The page has one form for the nights and one for the party: one change at a time.
        return _bad_request(request, _("宿泊数と人数は、一つずつ変更してください。"))
    context = {"reservation": reservation, "changes": changes}
    if request.POST.get("action") == "apply":
        try:
            if "nights" in changes:
                _changed, difference = booking.reservation_change_nights(
                    reservation=reservation, nights=changes["nights"], by=request.user
                )
            else:
                _changed, difference = booking.reservation_change_party(
                    reservation=reservation, by=request.user, **changes
                )
        except DomainError as error:
            context["problems"] = getattr(error, "all", [error])
            return render(request, "citizen/reservation_change.html", context, status=409)
        success(
            request,
            _("予約を変更しました。使用料の差額：%(diff)s円") % {"diff": f"{difference:+,}"},
        )
        return redirect("citizen:reservation_detail", municipality, reservation.pk)
    problems, difference = booking.reservation_change_preview(reservation=reservation, **changes)
    context.update(
        problems=problems, difference=difference, new_total=reservation.fee_total + difference
    )
    return render(
        request, "citizen/reservation_change.html", context, status=400 if problems else 200
    )


@require_http_methods(["GET", "POST"])
@changes_data
@registrant_required
def reservation_cancel(
    request: HttpRequest, municipality: str, reservation_id: int
) -> HttpResponse:
    reservation = _mine(request, reservation_id)
    terms = booking.cancellation_terms(reservation)
    percent, fee = terms.percent, terms.fee
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            return render(
                request,
                "citizen/reservation_cancel.html",
                {
                    "reservation": reservation,
                    "terms": terms,
                    "percent": percent,
                    "fee": fee,
                    "confirm_error": True,
                },
                status=400,
            )
        try:
            booking.reservation_cancel(
                reservation=reservation,
                by=request.user,
                reason=params.text_param(request.POST.get("reason")),
            )
        except DomainError as error:
            return render(
                request,
                "citizen/reservation_cancel.html",
                {
                    "reservation": reservation,
                    "terms": terms,
                    "percent": percent,
                    "fee": fee,
                    "error": error.message,
                },
                status=409,
            )
        success(request, _("予約を取り消しました。取消料：%(fee)s円") % {"fee": f"{fee:,}"})
        return redirect("citizen:reservation_list", municipality)
    return render(
        request,
        "citizen/reservation_cancel.html",
        {"reservation": reservation, "terms": terms, "percent": percent, "fee": fee},
    )


@require_http_methods(["GET"])
@registrant_required
def reservation_permit(
    request: HttpRequest, municipality: str, reservation_id: int
) -> HttpResponse:
    """使用許可書 of the registrant's own confirmed reservation, to print or show at the door."""
    reservation = _mine(request, reservation_id)
    if not permit_available(reservation):
        raise Http404(_("使用許可書は、予約が確定した後に表示できます。"))
    response = HttpResponse(use_permit_pdf(reservation=reservation), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="permit-{reservation.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
