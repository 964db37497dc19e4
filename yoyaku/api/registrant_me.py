"""The registrant's own API (/api/v1/me/…), with a personal token: my registration, my
reservations (book, change, cancel), my lottery applications (apply, change, withdraw), my
payments and balance, and starting a payment.

Each operation parses, finds the registrant's own object (another's is 404, as if it did not
exist), calls the same service or selector as the pages, and shapes the answer. Writes need
the token's write scope and honour ``Idempotency-Key``.
"""

# No "from __future__ import annotations": the idempotency wrapper lives in another module,
# whose globals would not resolve the schemas named in the annotations.
from django.http import Http404, HttpRequest
from ninja import Query, Router

from yoyaku.api import registrant_schemas as s
from yoyaku.api.errors import Problem
from yoyaku.api.http import AddressThrottle, PageParams, page
from yoyaku.api.idempotency import IDEMPOTENCY, idempotent
from yoyaku.api.public import Id
from yoyaku.api.registrant_auth import RegistrantToken, TokenThrottle, require_write
from yoyaku.core.dates import japanese_datetime
from yoyaku.core.errors import DomainError
from yoyaku.facilities import setup_cache
from yoyaku.facilities.models import Purpose, ReductionCategory, Slot, Unit
from yoyaku.integrity import services as integrity
from yoyaku.integrity.models import Sighting
from yoyaku.lottery import services as lottery
from yoyaku.lottery.models import LotteryApplication, LotteryRound
from yoyaku.payments import selectors as money
from yoyaku.payments import services as payments
from yoyaku.payments.models import Payment
from yoyaku.registrants import selectors as registrant_selectors
from yoyaku.registrants.models import Registrant
from yoyaku.reservations import booking, opening, rules
from yoyaku.reservations.models import FirstMinuteTicket, Reservation
from yoyaku.security.services import client_ip

router = Router(tags=["me"], auth=RegistrantToken(), throttle=[AddressThrottle(), TokenThrottle()])

AUTH = {401: Problem}
READ = {401: Problem, 404: Problem}
WRITE = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    409: Problem,
    422: Problem,
    503: Problem,
}


def _registrant(request: HttpRequest) -> Registrant:
    return request.registrant


# --- shaping -------------------------------------------------------------------------------


def _reservation(r: Reservation, balance: int) -> dict:
    return {
        "id": r.pk,
        "number": r.number,
        "status": r.status,
        "status_label": str(r.get_status_display()),
        "facility": r.unit.facility.slug,
        "unit_id": r.unit_id,
        "unit": r.unit.name,
        "use_date": r.use_date,
        "nights": r.nights,
        "slots": [slot.code for slot in r.slots.all()],
        "rooms": r.rooms,
        "adults": r.adults,
        "children": r.children,
        "infants": r.infants,
        "party_size": r.party_size,
        "fee_total": r.fee_total,
        "cancellation_fee": r.cancellation_fee,
        "balance": balance,
        "payment_due_at": r.payment_due_at,
        "created_at": r.created_at,
        "cancelled_at": r.cancelled_at,
    }


def _reservation_one(r: Reservation) -> dict:
    return _reservation(r, money.reservation_balance(r))


def _payment(p: Payment) -> dict:
    return {
        "id": p.pk,
        "reservation_id": p.reservation_id,
        "method": p.method,
        "amount": p.amount,
        "status": p.status,
        "status_label": str(p.get_status_display()),
        "redirect_url": p.redirect_url,
        "code": p.code,
        "created_at": p.created_at,
        "expires_at": p.expires_at,
        "succeeded_at": p.succeeded_at,
        "refunds": [
            {
                "id": f.pk,
                "amount": f.amount,
                "status": f.status,
                "created_at": f.created_at,
                "done_at": f.done_at,
            }
            for f in p.refunds.all()
        ],
    }


def _application(a: LotteryApplication) -> dict:
    return {
        "id": a.pk,
        "round_id": a.round_id,
        "round": a.round.name,
        "status": a.status,
        "status_label": str(a.get_status_display()),
        "won_rank": a.won_rank,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
        "choices": [
            {
                "rank": c.rank,
                "unit_id": c.unit_id,
                "unit": c.unit.name,
                "use_date": c.use_date,
                "nights": c.nights,
                "rooms": c.rooms,
                "adults": c.adults,
                "children": c.children,
                "infants": c.infants,
                "party_size": c.party_size,
                "slots": [slot.code for slot in c.slots.all()],
            }
            for c in sorted(a.choices.all(), key=lambda c: c.rank)
        ],
    }


# --- finding the registrant's own objects ----------------------------------------------------


def _reservations(registrant: Registrant):
    return (
        Reservation.objects.filter(registrant=registrant)
        .select_related("unit__facility")
        .prefetch_related("slots")
        .order_by("-use_date", "-id")
    )


def _mine(request: HttpRequest, reservation_id: int) -> Reservation:
    found = _reservations(_registrant(request)).filter(pk=reservation_id).first()
    if found is None:
        raise Http404
    return found


def _applications(registrant: Registrant):
    return (
        LotteryApplication.objects.filter(registrant=registrant)
        .select_related("round")
        .prefetch_related("choices__unit", "choices__slots")
        .order_by("-created_at", "-id")
    )


def _my_application(request: HttpRequest, application_id: int) -> LotteryApplication:
    found = _applications(_registrant(request)).filter(pk=application_id).first()
    if found is None:
        raise Http404
    return found


def _unit(registrant: Registrant, unit_id: int) -> Unit:
    """An active unit of the registrant's municipality, from the setup cache (its facility,
    schedule with slots and purposes loaded)."""
    setup = setup_cache.unit_setup(municipality_id=registrant.municipality_id, unit_id=unit_id)
    if setup is None or not setup.unit.is_active:
        raise Http404
    return setup.unit


def _slots(unit: Unit, codes: list[str]) -> list[Slot]:
    """The unit's slots by code; a code it does not have is a missing thing: 404."""
    if unit.is_lodging or not codes:
        return []
    wanted = set(codes)
    found = [slot for slot in unit.slot_schedule.slots.all() if slot.code in wanted]
    if len(found) != len(wanted):
        raise Http404
    return found


def _purpose(unit: Unit, purpose_id: int | None) -> Purpose | None:
    if purpose_id is None:
        return None
    found = next((p for p in unit.purposes.all() if p.pk == purpose_id), None)
    if found is None:
        raise Http404
    return found


def _reductions(registrant: Registrant):
    """The categories the booking form offers this registrant (granted, or needing none)."""
    return registrant_selectors.reductions_offered(registrant)


def _reduction(registrant: Registrant, reduction_id: int | None) -> ReductionCategory | None:
    if reduction_id is None:
        return None
    found = _reductions(registrant).filter(pk=reduction_id).first()
    if found is None:
        raise Http404
    return found


def _item(thing) -> dict:
    return {"id": thing.pk, "name": thing.name, "name_en": thing.name_en}


# --- my registration -------------------------------------------------------------------------


@router.get("/me", response={200: s.RegistrationOut, **AUTH}, summary="My registration")
def me(request: HttpRequest):
    r = _registrant(request)
    return {
        "user_number": r.user_number,
        "kind": r.kind,
        "status": r.status,
        "status_label": str(r.get_status_display()),
        "name": r.name,
        "name_kana": r.name_kana,
        "email": r.email,
        "valid_until": r.valid_until,
        "municipality": r.municipality.slug,
        "booking_refusal": registrant_selectors.booking_refusal(r),
    }


# --- my reservations -------------------------------------------------------------------------


@router.get(
    "/me/units/{unit_id}/booking-options",
    response={200: s.BookingOptionsOut, **READ},
    summary="The purposes and fee reductions I may choose when booking a unit",
)
def booking_options(request: HttpRequest, unit_id: int = Id):
    registrant = _registrant(request)
    unit = _unit(registrant, unit_id)
    purposes = list(unit.purposes.all())
    return {
        "unit_id": unit.pk,
        "purposes": [_item(p) for p in purposes],
        "purpose_required": bool(purposes),
        "reductions": [_item(c) for c in _reductions(registrant)],
    }


@router.get(
    "/me/reservations",
    response={200: s.ReservationPage, **AUTH},
    summary="My reservations, latest first",
)
def my_reservations(request: HttpRequest, paging: Query[PageParams]):
    result = page(_reservations(_registrant(request)), paging)
    balances = money.balances([r.pk for r in result["items"]])
    result["items"] = [_reservation(r, balances.get(r.pk, 0)) for r in result["items"]]
    return result


@router.get(
    "/me/reservations/{reservation_id}",
    response={200: s.ReservationOut, **READ},
    summary="One of my reservations",
)
def my_reservation(request: HttpRequest, reservation_id: int = Id):
    return _reservation_one(_mine(request, reservation_id))


@router.post(
    "/me/reservations",
    response={201: s.ReservationOut, **WRITE},
    summary="Book (the same rules as the booking page)",
    openapi_extra=IDEMPOTENCY,
)
@idempotent
def book(request: HttpRequest, payload: s.BookIn):
    require_write(request)
    registrant = _registrant(request)
    unit = _unit(registrant, payload.unit_id)
    booking_request = rules.BookingRequest(
        registrant=registrant,
        unit=unit,
        use_date=payload.use_date,
        nights=payload.nights,
        slots=_slots(unit, payload.slots),
        rooms=payload.rooms,
        adults=payload.adults,
        children=payload.children,
        infants=payload.infants,
        party_size=payload.party_size,
        purpose=_purpose(unit, payload.purpose_id),
        commercial=payload.commercial,
        reduction=_reduction(registrant, payload.reduction_id),
    )
    reservation = opening.booking_submit(request=booking_request, by=request.auth.user)
    if isinstance(reservation, FirstMinuteTicket):
        # 受付開始直後: queued (202); the result is on the waiting page after the window.
        raise DomainError(
            "first_minute_queued",
            closes=japanese_datetime(reservation.opening.closes_at),
            ticket=reservation.pk,
        )
    return 201, _reservation_one(_mine(request, reservation.pk))


@router.post(
    "/me/reservations/{reservation_id}/nights",
    response={200: s.ChangeOut, **WRITE},
    summary="Change the nights of a stay (宿泊数の変更)",
    openapi_extra=IDEMPOTENCY,
)
@idempotent
def change_nights(request: HttpRequest, payload: s.NightsIn, reservation_id: int = Id):
    require_write(request)
    reservation = _mine(request, reservation_id)
    _changed, difference = booking.reservation_change_nights(
        reservation=reservation, nights=payload.nights, by=request.auth.user
    )
    return 200, {
        "reservation": _reservation_one(_mine(request, reservation_id)),
        "difference": difference,
    }


@router.post(
    "/me/reservations/{reservation_id}/party",
    response={200: s.ChangeOut, **WRITE},
    summary="Change the party (人数の変更)",
    openapi_extra=IDEMPOTENCY,
)
@idempotent
def change_party(request: HttpRequest, payload: s.PartyIn, reservation_id: int = Id):
    require_write(request)
    reservation = _mine(request, reservation_id)
    _changed, difference = booking.reservation_change_party(
        reservation=reservation, by=request.auth.user, **payload.dict()
    )
    return 200, {
        "reservation": _reservation_one(_mine(request, reservation_id)),
        "difference": difference,
    }


@router.post(
    "/me/reservations/{reservation_id}/cancel",
    response={200: s.ReservationOut, **WRITE},
    summary="Cancel (取消); free within the undo window, else the cancellation fee of today's tier applies",
    openapi_extra=IDEMPOTENCY,
)
@idempotent
def cancel(request: HttpRequest, payload: s.CancelIn, reservation_id: int = Id):
    require_write(request)
    reservation = _mine(request, reservation_id)
    booking.reservation_cancel(reservation=reservation, by=request.auth.user, reason=payload.reason)
    return 200, _reservation_one(_mine(request, reservation_id))


# --- money ---------------------------------------------------------------------------------


@router.post(
    "/me/reservations/{reservation_id}/payments",
    response={201: s.PaymentOut, **WRITE},
    summary="Start paying a reservation: the provider's page to open, or a konbini code",
    openapi_extra=IDEMPOTENCY,
)
@idempotent
def pay(request: HttpRequest, payload: s.PaymentIn, reservation_id: int = Id):
    require_write(request)
    reservation = _mine(request, reservation_id)
    payment = payments.payment_start(
        reservation=reservation, method=payload.method, by=request.auth.user
    )
    return 201, _payment(Payment.objects.prefetch_related("refunds").get(pk=payment.pk))


@router.get(
    "/me/payments", response={200: s.PaymentPage, **AUTH}, summary="My payments and refunds"
)
def my_payments(request: HttpRequest, paging: Query[PageParams]):
    found = money.registrant_payments(registrant=_registrant(request)).order_by(
        "-created_at", "-id"
    )
    result = page(found, paging)
    result["items"] = [_payment(p) for p in result["items"]]
    return result


@router.get(
    "/me/balance",
    response={200: s.BalanceOut, **AUTH},
    summary="What I owe: per reservation, and debts",
)
def my_balance(request: HttpRequest):
    registrant = _registrant(request)
    dues = money.registrant_dues(registrant=registrant)
    return {
        "owed_total": sum(d.amount for d in dues),
        "debt": money.registrant_debt(registrant=registrant),
        "dues": [
            {
                "reservation_id": d.reservation.pk,
                "amount": d.amount,
                "payment_due_at": d.reservation.payment_due_at,
            }
            for d in dues
        ],
    }


# --- my lottery applications -----------------------------------------------------------------


def _choices(registrant: Registrant, choices: list[s.ChoiceIn]) -> list[lottery.ChoiceRequest]:
    result = []
    for choice in choices:
        unit = _unit(registrant, choice.unit_id)
        result.append(
            lottery.ChoiceRequest(
                unit=unit,
                use_date=choice.use_date,
                nights=choice.nights,
                rooms=choice.rooms,
                adults=choice.adults,
                children=choice.children,
                infants=choice.infants,
                party_size=choice.party_size,
                slots=_slots(unit, [choice.slot] if choice.slot else []),
            )
        )
    return result


@router.get(
    "/me/lottery-applications",
    response={200: s.ApplicationPage, **AUTH},
    summary="My lottery applications, latest first",
)
def my_applications(request: HttpRequest, paging: Query[PageParams]):
    result = page(_applications(_registrant(request)), paging)
    result["items"] = [_application(a) for a in result["items"]]
    return result


@router.get(
    "/me/lottery-applications/{application_id}",
    response={200: s.ApplicationOut, **READ},
    summary="One of my lottery applications",
)
def my_application(request: HttpRequest, application_id: int = Id):
    return _application(_my_application(request, application_id))


@router.post(
    "/me/lottery-applications",
    response={201: s.ApplicationOut, **WRITE},
    summary="Apply to a lottery round (抽選申込み)",
    openapi_extra=IDEMPOTENCY,
)
@idempotent
def apply(request: HttpRequest, payload: s.ApplyIn):
    require_write(request)
    registrant = _registrant(request)
    lottery_round = LotteryRound.objects.filter(
        pk=payload.round_id, municipality=registrant.municipality
    ).first()
    if lottery_round is None:
        raise Http404
    application = lottery.lottery_apply(
        lottery=lottery_round,
        registrant=registrant,
        choices=_choices(registrant, payload.choices),
        by=request.auth.user,
    )
    # No device cookie through the API: the network prefix only.
    integrity.sighting_record(
        registrant=registrant,
        kind=Sighting.Kind.LOTTERY_APPLY,
        device_id=None,
        ip=client_ip(request),
        lottery_round=lottery_round,
    )
    return 201, _application(_my_application(request, application.pk))


@router.put(
    "/me/lottery-applications/{application_id}",
    response={200: s.ApplicationOut, **WRITE},
    summary="Change the choices of my application",
    openapi_extra=IDEMPOTENCY,
)
@idempotent
def change_application(request: HttpRequest, payload: s.ChoicesIn, application_id: int = Id):
    require_write(request)
    application = _my_application(request, application_id)
    lottery.lottery_change(
        application=application,
        choices=_choices(_registrant(request), payload.choices),
        by=request.auth.user,
    )
    return 200, _application(_my_application(request, application_id))


@router.post(
    "/me/lottery-applications/{application_id}/withdraw",
    response={200: s.ApplicationOut, **WRITE},
    summary="Withdraw my application (取下げ)",
    openapi_extra=IDEMPOTENCY,
)
@idempotent
def withdraw(request: HttpRequest, application_id: int = Id):
    require_write(request)
    application = _my_application(request, application_id)
    lottery.lottery_withdraw(application=application, by=request.auth.user)
    return 200, _application(_my_application(request, application_id))
