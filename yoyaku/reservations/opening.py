"""受付開始直後の公平な受付: a fair first minute, and per-registrant attempt limits.

The gate in front of :func:`reservations.booking.reservation_book` for registrants (the booking
page and the API call :func:`booking_submit`; staff booking on behalf do not pass here).

* **Attempt limit.** At most ``ATTEMPTS_PER_MINUTE`` booking requests per registrant per
  clock minute, counted in Django's cache (one increment; Redis in production, shared by every
  process): no SQL query, so the rush path keeps its query count.
* **Opening moments.** A use date opens for first-come booking at ``rules.opens_at`` (the
  opening day at the facility's ``opening_hour``); a lottery round's ``first_come_opens_at``
  (the end of its hold period, ``hooks.hold_periods``) is the opening moment of its unit-dates.
* **The fair window.** With ``Facility.fair_window_seconds`` > 0, a request for a unit-date
  whose opening moment was less than that many seconds ago is not served by arrival order: it
  becomes the registrant's one ticket of that opening (facility + moment). A later request of
  the same registrant in the window replaces the ticket's choice; never a second ticket.
* **Processing.** After the window the tickets are served once, in a random order: seed =
  HMAC-SHA256(key derived from ``SECRET_KEY``, "facility id|opening moment"), order by
  HMAC-SHA256(seed, ticket pseudonym). Each ticket is booked by the normal
  ``reservation_book`` (rules, fees, payment, mail); its result is stored on the ticket and one
  public-log row per ticket carries position, pseudonym, result and the seed, so anyone can
  re-derive the order (:func:`ticket_order`). Triggered by a task enqueued to run at the
  window's end and by the first waiting page refreshed after it; the opening row's lock makes
  it happen exactly once.

With the window off (0) nothing here reads the database: the decision is made from the
facility's settings (already loaded with the unit) and the clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string

from yoyaku.core import cache as versioned
from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import User
from yoyaku.facilities import setup_cache
from yoyaku.facilities.catalogue import avail_scope
from yoyaku.facilities.models import Purpose, ReductionCategory, Slot, Unit
from yoyaku.reservations import booking, hooks, rules
from yoyaku.reservations.models import (
    FirstMinuteOpening,
    FirstMinuteTicket,
    PublicLogEntry,
    Reservation,
)
from yoyaku.reservations.public_log import drawn_order, pseudonym, public_log_record

ATTEMPTS_PER_MINUTE = 10
PROCESS_TASK = "yoyaku.reservations.tasks.first_minute_process"
_SEED_SALT = "yoyaku.reservations.opening.seed"
BOOKED = "booked"


# — attempt limit —


def booking_attempt_record(*, registrant_id: int, at: dt.datetime | None = None) -> None:
    """Count one booking request of this registrant; refuse past ``ATTEMPTS_PER_MINUTE`` in
    the current clock minute with ``DomainError("booking_attempts_exceeded", seconds=…)``
    (seconds until the minute ends). One cache increment; no SQL."""
    at = at or clock.now()
    stamp = int(at.timestamp())
    key = f"book-attempts:{registrant_id}:{stamp // 60}"
    try:
        count = cache.incr(key)
    except ValueError:
        count = 1 if cache.add(key, 1, timeout=120) else cache.incr(key)
    if count > ATTEMPTS_PER_MINUTE:
        raise DomainError("booking_attempts_exceeded", seconds=60 - stamp % 60)


# — opening moments —


def _lottery_openings(unit: Unit, dates: list[dt.date]) -> list[dt.datetime]:
    """The first-come opening times of the lottery rounds holding any of these unit-dates
    (cached with the facility's availability, which a new round bumps)."""
    related = sorted(setup_cache.setup_of(unit).family.related(unit.pk))
    start, end = dates[0], dates[-1]

    def build() -> list[dt.datetime]:
        periods = hooks.hold_periods(unit_ids=related, start=start, end=end)
        return sorted({until for unit_id, _f, _l, until in periods if unit_id in set(related)})

    return versioned.remember(
        [avail_scope(unit.facility_id)],
        f"lottery-openings:{unit.pk}:{start.isoformat()}:{end.isoformat()}",
        build,
    )


# After a window, first-come requests of the same opening first make sure its tickets were
# served (they wait on the opening's lock while it is processed), for this long.
SERVE_TICKETS_FIRST = dt.timedelta(minutes=10)


def recent_opening(request: rules.BookingRequest, *, at: dt.datetime) -> dt.datetime | None:
    """The opening moment of this request's unit-dates that ``at`` follows by less than the
    facility's fair window plus ``SERVE_TICKETS_FIRST``; None when the facility has no window
    (decided from its settings, no query) or no opening is that recent."""
    facility = request.unit.facility
    seconds = facility.fair_window_seconds
    if not seconds:
        return None
    span = dt.timedelta(seconds=seconds) + SERVE_TICKETS_FIRST
    moment = rules.opens_at(facility, request.use_date)
    if moment <= at < moment + span:
        return moment
    for moment in _lottery_openings(request.unit, request.dates):
        if moment <= at < moment + span:
            return clock.local(moment)
    return None


def fair_opening(request: rules.BookingRequest, *, at: dt.datetime) -> dt.datetime | None:
    """The opening moment whose fair window ``at`` falls in, for this request; None (first
    come, first served) when the facility has no window or no opening was that recent."""
    moment = recent_opening(request, at=at)
    if moment is None or at >= moment + dt.timedelta(
        seconds=request.unit.facility.fair_window_seconds
    ):
        return None
    return moment


def _serve_tickets_first(facility_id: int, moment: dt.datetime) -> None:
    """Just after a window: its tickets are served before any first-come request."""
    pending = FirstMinuteOpening.objects.filter(
        facility_id=facility_id, opens_at=moment, state=FirstMinuteOpening.State.QUEUEING
    ).values_list("pk", flat=True)
    for opening_id in list(pending):
        opening_process(opening_id=opening_id)


# — tickets —


def _choice_of(request: rules.BookingRequest) -> dict:
    return {
        "nights": request.nights,
        "slots": [slot.pk for slot in request.slots],
        "rooms": request.rooms,
        "adults": request.adults,
        "children": request.children,
        "infants": request.infants,
        "party_size": request.party_size,
        "purpose": request.purpose.pk if request.purpose else None,
        "commercial": request.commercial,
        "reduction": request.reduction.pk if request.reduction else None,
    }


def _enqueue_processing(opening: FirstMinuteOpening) -> None:
    task = import_string(PROCESS_TASK)
    if task.get_backend().supports_defer:
        task.using(run_after=opening.closes_at).enqueue(opening.pk)
    # Otherwise the first waiting page refreshed after the window processes it.


def ticket_submit(
    *, request: rules.BookingRequest, moment: dt.datetime, at: dt.datetime | None = None
) -> FirstMinuteTicket:
    """Queue this request as the registrant's ticket of the facility's opening at ``moment``:
    the first request makes the ticket (and the opening, whose processing is enqueued for the
    window's end), a later one in the window replaces its choice. One transaction."""
    at = at or clock.now()
    facility = request.unit.facility
    registrant = request.registrant
    with transaction.atomic():
        opening, created = FirstMinuteOpening.objects.get_or_create(
            facility=facility,
            opens_at=moment,
            defaults={"closes_at": moment + dt.timedelta(seconds=facility.fair_window_seconds)},
        )
        if created:
            transaction.on_commit(lambda: _enqueue_processing(opening))
        values = {
            "unit": request.unit,
            "use_date": request.use_date,
            "choice": _choice_of(request),
            "updated_at": at,
        }
        ticket, made = FirstMinuteTicket.objects.select_for_update().get_or_create(
            opening=opening,
            registrant=registrant,
            defaults={
                **values,
                "pseudonym": pseudonym(registrant.pk, facility.pk),
                "created_at": at,
            },
        )
        if not made and ticket.position is None:
            for name, value in values.items():
                setattr(ticket, name, value)
            ticket.requests += 1
            ticket.save(update_fields=[*values, "requests"])
    ticket.opening = opening
    return ticket


def booking_submit(*, request: rules.BookingRequest, by: User) -> Reservation | FirstMinuteTicket:
    """予約の申込み by a registrant (page or API): counted against the attempt limit, then
    queued as a ticket inside a fair window, or booked first-come by ``reservation_book``.

    Raises ``DomainError("booking_attempts_exceeded")`` past the limit, and every refusal of
    ``reservation_book``."""
    now = clock.now()
    booking_attempt_record(registrant_id=request.registrant.pk, at=now)
    moment = recent_opening(request, at=now)
    if moment is None:
        return booking.reservation_book(request=request, by=by)
    facility = request.unit.facility
    if now < moment + dt.timedelta(seconds=facility.fair_window_seconds):
        return ticket_submit(request=request, moment=moment, at=now)
    _serve_tickets_first(facility.pk, moment)
    return booking.reservation_book(request=request, by=by)


# — the random order —


def opening_seed(facility_id: int, opens_at: dt.datetime) -> str:
    """The opening's seed (hex): HMAC-SHA256 under a key derived from ``SECRET_KEY`` of
    "facility id|opening moment in Japan time". Published after processing."""
    message = f"{facility_id}|{clock.local(opens_at).isoformat()}"
    return salted_hmac(_SEED_SALT, message, algorithm="sha256").hexdigest()


def seed_commitment(seed: str) -> str:
    """SHA-256 of the seed, shown on the waiting page before the seed is published."""
    return hashlib.sha256(bytes.fromhex(seed)).hexdigest()


def ticket_order(seed: str, pseudonyms: Iterable[str]) -> list[str]:
    """The order the tickets are served in: the public log's draw (``drawn_order``), which
    anyone can recompute from the log (standard library only)."""
    return drawn_order(seed, pseudonyms)


def _request_of(ticket: FirstMinuteTicket) -> rules.BookingRequest:
    choice = ticket.choice
    unit = Unit.objects.select_related("facility__municipality").get(pk=ticket.unit_id)
    slots_by_id = {s.pk: s for s in Slot.objects.filter(pk__in=choice.get("slots") or [])}
    return rules.BookingRequest(
        registrant=ticket.registrant,
        unit=unit,
        use_date=ticket.use_date,
        nights=choice.get("nights", 1),
        slots=[slots_by_id[pk] for pk in choice.get("slots") or [] if pk in slots_by_id],
        rooms=choice.get("rooms", 1),
        adults=choice.get("adults", 0),
        children=choice.get("children", 0),
        infants=choice.get("infants", 0),
        party_size=choice.get("party_size", 0),
        purpose=Purpose.objects.filter(pk=choice.get("purpose")).first()
        if choice.get("purpose")
        else None,
        commercial=bool(choice.get("commercial")),
        reduction=ReductionCategory.objects.filter(pk=choice.get("reduction")).first()
        if choice.get("reduction")
        else None,
    )


def _what(request: rules.BookingRequest) -> str:
    """What the ticket asked for, in words ("午前", "2泊・1室"), as the public log says it."""
    if request.unit.is_lodging:
        return f"{request.nights}泊・{request.rooms}室"
    return "・".join(slot.label for slot in request.slots)


def _serve(ticket: FirstMinuteTicket) -> str:
    """Book the ticket's choice through ``reservation_book``; store the result on the ticket.
    Returns what it asked for, in words."""
    request = _request_of(ticket)
    try:
        with transaction.atomic():
            reservation = booking.reservation_book(request=request, by=ticket.registrant.user)
    except DomainError as error:
        ticket.result_code = error.code
        ticket.result_params = {k: str(v) for k, v in error.params.items()}
    else:
        ticket.reservation = reservation
        ticket.result_code = BOOKED
    return _what(request)


def opening_process(*, opening_id: int) -> FirstMinuteOpening:
    """Serve an opening's tickets in the seeded random order, once.

    Locks the opening row: of the task and any number of waiting pages arriving together,
    the first processes and the others find it processed. Before ``closes_at`` it does
    nothing. Side effects: the reservations (and their mails) of the tickets served, one
    public-log row per ticket, the seed published on the opening.
    """
    with transaction.atomic():
        opening = (
            FirstMinuteOpening.objects.select_for_update()
            .select_related("facility")
            .get(pk=opening_id)
        )
        now = clock.now()
        if opening.state == FirstMinuteOpening.State.PROCESSED or now < opening.closes_at:
            return opening
        seed = opening_seed(opening.facility_id, opening.opens_at)
        tickets = {
            t.pseudonym: t
            for t in opening.tickets.select_related("registrant__user", "registrant__municipality")
        }
        moment = clock.local(opening.opens_at).isoformat()
        for position, name in enumerate(ticket_order(seed, tickets), start=1):
            ticket = tickets[name]
            ticket.position = position
            what = _serve(ticket)
            ticket.save(update_fields=["position", "reservation", "result_code", "result_params"])
            public_log_record(
                kind=PublicLogEntry.Kind.FIRST_MINUTE_ORDER,
                facility_id=opening.facility_id,
                unit_id=ticket.unit_id,
                use_date=ticket.use_date,
                registrant_id=ticket.registrant_id,
                at=now,
                detail={
                    "what": what,
                    "position": position,
                    "pseudonym": ticket.pseudonym,
                    "result": ticket.result_code,
                    "seed": seed,
                    "opening": moment,
                    "tickets": len(tickets),
                },
            )
        opening.state = FirstMinuteOpening.State.PROCESSED
        opening.seed = seed
        opening.processed_at = now
        opening.save(update_fields=["state", "seed", "processed_at"])
    return opening


def openings_process_due(*, now: dt.datetime | None = None) -> int:
    """Process every opening whose window has ended (a catch-up for lost tasks)."""
    now = now or clock.now()
    due = FirstMinuteOpening.objects.filter(
        state=FirstMinuteOpening.State.QUEUEING, closes_at__lte=now
    ).values_list("pk", flat=True)
    for opening_id in list(due):
        opening_process(opening_id=opening_id)
    return len(due)


# — reading —


def ticket_of(*, registrant_id: int, ticket_id: int) -> FirstMinuteTicket | None:
    """The registrant's own ticket (None for anyone else's), with what its page shows."""
    return (
        FirstMinuteTicket.objects.select_related(
            "opening__facility", "unit__facility", "reservation"
        )
        .filter(pk=ticket_id, registrant_id=registrant_id)
        .first()
    )


def ticket_wait(*, ticket: FirstMinuteTicket) -> FirstMinuteTicket:
    """The waiting page's read: past the window and not yet processed, process it now (once,
    see :func:`opening_process`) and read the ticket again."""
    opening = ticket.opening
    if opening.state == FirstMinuteOpening.State.QUEUEING and clock.now() >= opening.closes_at:
        opening_process(opening_id=opening.pk)
        refreshed = ticket_of(registrant_id=ticket.registrant_id, ticket_id=ticket.pk)
        assert refreshed is not None
        return refreshed
    return ticket


def ticket_refusal(ticket: FirstMinuteTicket) -> DomainError | None:
    """The refusal a processed ticket got, as the error every face translates."""
    if not ticket.result_code or ticket.result_code == BOOKED:
        return None
    return DomainError(ticket.result_code, **ticket.result_params)
