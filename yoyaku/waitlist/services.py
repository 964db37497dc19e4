"""キャンセル待ち: join, withdraw, offer freed capacity, accept, decline, expire.

Every write is one transaction with its audit row; the public log gets a row for every offer,
acceptance and pass (``reservations.public_log``). The draw among the waiters of one need is
random but checkable: a fresh seed, and the waiters' public pseudonyms ordered by
HMAC-SHA256(seed, pseudonym); the seed and the order are written to the public log, so anyone
can recompute the order (:func:`draw_order`). Mails leave after commit.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from yoyaku.core import clock
from yoyaku.core.dates import japanese_date
from yoyaku.core.errors import DomainError
from yoyaku.core.lifecycle import Lifecycle, table
from yoyaku.core.models import AuditAction, User
from yoyaku.core.services import audit_record
from yoyaku.facilities import setup_cache
from yoyaku.facilities.models import Facility, Unit
from yoyaku.notifications.services import email_template_queue
from yoyaku.registrants.services import mail_context
from yoyaku.reservations import booking, capacity, limits, rules
from yoyaku.reservations.models import PublicLogEntry, Reservation, UnitBlock
from yoyaku.reservations.public_log import (
    drawn_order,
    pseudonym,
    public_log_blocks_released,
    public_log_record,
)
from yoyaku.waitlist.models import Offer, Wait

W = Wait.Status
O = Offer.Status  # noqa: E741

WAIT: Lifecycle[Wait] = Lifecycle(
    model=Wait,
    table=table(
        offer=([W.WAITING], W.OFFERED),
        accept=([W.OFFERED], W.ACCEPTED),
        decline=([W.OFFERED], W.DECLINED),
        expire=([W.OFFERED], W.EXPIRED),
        withdraw=([W.WAITING], W.WITHDRAWN),
        close=([W.WAITING], W.CLOSED),
    ),
    wrong_state="waitlist_wrong_state",
)
OFFER: Lifecycle[Offer] = Lifecycle(
    model=Offer,
    table=table(
        accept=([O.OPEN], O.ACCEPTED),
        decline=([O.OPEN], O.DECLINED),
        expire=([O.OPEN], O.EXPIRED),
    ),
    wrong_state="waitlist_wrong_state",
    select_related=("wait__registrant__user", "wait__unit__facility__municipality", "block"),
)

HOLD_REASON = "キャンセル待ちの案内中"
FREED_TASK = "yoyaku.waitlist.tasks.waitlist_freed"


# — the rules —


def cutoff_days(facility: Facility) -> int:
    """Waits and offers are possible until this many days before the use date (never later
    than first-come booking closes)."""
    return max(facility.waitlist_closes_days_before, facility.closes_days_before)


def last_day_for(facility: Facility, use_date: dt.date) -> dt.date:
    return use_date - dt.timedelta(days=cutoff_days(facility))


def accept_minutes(facility: Facility, use_date: dt.date, today: dt.date) -> int:
    """The accept window: shorter when the use date is near."""
    if (use_date - today).days <= facility.waitlist_near_days:
        return facility.waitlist_near_accept_minutes
    return facility.waitlist_accept_minutes


def draw_order(seed: str, subjects: Iterable[str]) -> list[str]:
    """The waiters' pseudonyms in drawn order (the public log's draw, ``drawn_order``)."""
    return drawn_order(seed, subjects)


def request_of(wait: Wait, **overrides: Any) -> rules.BookingRequest:
    """The booking the wait stands for (what accepting its offer books)."""
    values: dict[str, Any] = {
        "registrant": wait.registrant,
        "unit": wait.unit,
        "use_date": wait.use_date,
        "nights": wait.nights,
        "slots": list(wait.slots.all()),
        "rooms": wait.rooms,
        "adults": wait.adults,
        "children": wait.children,
        "infants": wait.infants,
        "party_size": wait.party_size,
        "purpose": wait.purpose,
        "commercial": wait.commercial,
    }
    values.update(overrides)
    return rules.BookingRequest(**values)


def _key(wait: Wait) -> tuple:
    """The need a wait is for: waiters of the same need are drawn among each other."""
    return (
        wait.unit_id,
        wait.use_date,
        wait.nights,
        wait.rooms,
        frozenset(s.pk for s in wait.slots.all()),
    )


def what_of(wait: Wait) -> str:
    if wait.unit.is_lodging:
        return f"{wait.nights}泊・{wait.rooms}室"
    return "・".join(slot.label for slot in wait.slots.all())


def _refuse(problems: list[DomainError]) -> None:
    if problems:
        error = problems[0]
        error.all = problems
        raise error


# — joining and withdrawing —


def waitlist_join(*, request: rules.BookingRequest, by: User) -> Wait:
    """キャンセル待ちに登録: only for capacity that is full now, and only for someone the
    booking rules would let book it (status, penalties, limits, window), so that an offer is
    never made to someone who could not book it."""
    unit, registrant = request.unit, request.registrant
    facility = unit.facility
    if not facility.waitlist_enabled:
        raise DomainError("waitlist_disabled")
    last = last_day_for(facility, request.use_date)
    if clock.today() > last:
        raise DomainError("waitlist_closed", date=japanese_date(last))
    setup = setup_cache.setup_of(unit)
    with transaction.atomic():
        limits.lock_registrant(registrant.pk)
        _refuse(rules.check(request, check_capacity=False))
        if not capacity.problems(request, family=setup.family):
            raise DomainError("waitlist_not_full")
        active = list(
            Wait.objects.filter(
                registrant=registrant, facility=facility, status__in=Wait.ACTIVE
            ).prefetch_related("slots")
        )
        key = (
            unit.pk,
            request.use_date,
            request.nights if unit.is_lodging else 1,
            request.rooms if unit.is_lodging else 1,
            frozenset(s.pk for s in request.slots),
        )
        if any(_key(w) == key for w in active):
            raise DomainError("waitlist_duplicate")
        if len(active) >= facility.waitlist_max_per_person:
            raise DomainError("waitlist_limit", max=facility.waitlist_max_per_person)
        wait = Wait.objects.create(
            registrant=registrant,
            facility=facility,
            unit=unit,
            use_date=request.use_date,
            nights=key[2],
            rooms=key[3],
            adults=request.adults,
            children=request.children,
            infants=request.infants,
            party_size=request.party_size,
            purpose=request.purpose,
            commercial=request.commercial,
            created_at=clock.now(),
        )
        wait.slots.set(request.slots)
        audit_record(
            action=AuditAction.WAITLIST_JOIN,
            actor=by,
            municipality=facility.municipality,
            target=wait,
            data={"unit": unit.pk, "use_date": request.use_date.isoformat()},
        )
    return wait


def waitlist_withdraw(*, wait: Wait, by: User) -> Wait:
    """取下げ. A wait with an open offer declines the offer (it passes to the next waiter)."""
    with transaction.atomic():
        fresh = Wait.objects.select_for_update().get(pk=wait.pk)
        if fresh.status == W.OFFERED:
            offer = fresh.offers.filter(status=O.OPEN).first()
            if offer is not None:
                _pass(OFFER.lock(offer, "decline"), verb="decline", by=by)
                return Wait.objects.get(pk=wait.pk)
        return WAIT.move(
            WAIT.lock(fresh, "withdraw"),
            "withdraw",
            audit={
                "action": AuditAction.WAITLIST_WITHDRAW,
                "actor": by,
                "municipality": fresh.facility.municipality,
            },
            ended_at=clock.now(),
        )


# — freed capacity → an offer —


def capacity_freed(unit: Unit, dates: list[dt.date]) -> None:
    """The listener of ``reservations.capacity``: after the commit that freed capacity, a task
    offers it to the waiters (only when the facility has any)."""
    facility_id = unit.facility_id

    def enqueue() -> None:
        if Wait.objects.filter(facility_id=facility_id, status=W.WAITING).exists():
            import_string(FREED_TASK).enqueue(facility_id)

    transaction.on_commit(enqueue)


def waitlist_offer_freed(*, facility_id: int | None = None) -> int:
    """Offer every need that fits now (its capacity free) to one of its waiters; returns the
    number of offers made. Run by the task after a release and, as a backstop, every minute."""
    today = clock.today()
    waits = (
        Wait.objects.filter(status=W.WAITING, use_date__gte=today, facility__waitlist_enabled=True)
        .select_related("registrant", "unit__facility__municipality", "purpose")
        .prefetch_related("slots")
    )
    if facility_id is not None:
        waits = waits.filter(facility_id=facility_id)
    groups: dict[tuple, list[Wait]] = defaultdict(list)
    for wait in waits:
        if today <= last_day_for(wait.unit.facility, wait.use_date):
            groups[_key(wait)].append(wait)
    made = 0
    for group in groups.values():
        try:
            with transaction.atomic():
                made += _offer(group) is not None
        except IntegrityError:
            continue  # another worker held the same capacity first
    return made


# Not a reason to pass a waiter over: the system's service hours (an offer made at night is
# answered in the morning; the deadline is what counts).
NOT_PERSONAL = {"service_closed"}


def _eligible(waits: Iterable[Wait]) -> list[Wait]:
    """The waiters who could book the need now (the booking rules, capacity aside)."""
    return [
        w
        for w in waits
        if not [
            p
            for p in rules.check(request_of(w), check_capacity=False)
            if p.code not in NOT_PERSONAL
        ]
    ]


def _offer(group: list[Wait], *, block: UnitBlock | None = None, chain: Offer | None = None):
    """Draw one waiter of the group and offer them the capacity: held by a new block, or by
    ``block`` (the hold of a declined or expired offer). None when nobody can take it."""
    first = group[0]
    unit, facility = first.unit, first.unit.facility
    need = request_of(first)
    setup = setup_cache.setup_of(unit)
    if block is None and capacity.problems(need, family=setup.family):
        return None
    eligible = _eligible(group)
    if not eligible:
        return None
    seed = secrets.token_hex(16)
    by_subject = {pseudonym(w.registrant_id, facility.pk): w for w in eligible}
    order = draw_order(seed, by_subject)
    chosen = WAIT.lock(by_subject[order[0]], "offer")
    now = clock.now()
    if block is None:
        slots = list(need.slots)
        block = UnitBlock.objects.create(
            unit=unit,
            start_date=first.use_date,
            end_date=first.last_date,
            slot=slots[0] if len(slots) == 1 else None,
            rooms=first.rooms if unit.is_lodging else None,
            reason=HOLD_REASON,
            created_at=now,
        )
        capacity.take(need, block=block, family=setup.family)
    deadline = now + dt.timedelta(minutes=accept_minutes(facility, first.use_date, clock.today()))
    offer = Offer.objects.create(
        wait=chosen,
        block=block,
        chain=chain,
        offered_at=now,
        deadline=deadline,
        seed=seed,
        order=order,
    )
    WAIT.move(chosen, "offer", audit=None)
    public_log_record(
        kind=PublicLogEntry.Kind.WAITLIST_OFFER,
        facility_id=facility.pk,
        unit_id=unit.pk,
        use_date=first.use_date,
        registrant_id=chosen.registrant_id,
        detail={
            "what": what_of(first),
            "seed": seed,
            "order": order,
            "deadline": deadline.isoformat(),
        },
    )
    audit_record(
        action=AuditAction.WAITLIST_OFFER,
        actor=None,
        municipality=facility.municipality,
        target=offer,
        data={"wait": chosen.pk, "block": block.pk, "waiters": len(order)},
    )
    _mail(chosen, "waitlist_offer", deadline=f"{clock.local(deadline):%Y-%m-%d %H:%M}")
    return offer


def _mail(wait: Wait, template: str, **extra: Any) -> None:
    registrant = wait.registrant
    if not registrant.email:
        return
    email_template_queue(
        to=[registrant.email],
        template=template,
        context=mail_context(
            registrant,
            facility_name=wait.unit.facility.name,
            unit_name=wait.unit.name,
            use_date=f"{wait.use_date:%Y-%m-%d}",
            what=what_of(wait),
            **extra,
        ),
    )


# — answering an offer —


def waitlist_accept(*, offer: Offer, by: User) -> Reservation:
    """受ける: the held capacity becomes a normal booking of the wait, through the booking
    service (rules, fee, 支払待ち or 審査, mail), in one transaction. Refused (nothing changes,
    the hold stays) when the deadline passed or a rule refuses the booking now."""
    with transaction.atomic():
        offer = OFFER.lock(offer, "accept")
        if offer.deadline <= clock.now():
            raise DomainError("waitlist_offer_expired")
        wait = WAIT.lock(offer.wait, "accept")
        if offer.block is not None:
            # The hold's rows go and the booking's come in the same transaction: nobody else
            # can take the capacity in between, and no listener hears of it (no loop).
            block, offer.block = offer.block, None
            capacity.block_remove(block, notify=False)
        reservation = booking.reservation_book(request=request_of(wait), by=by)
        now = clock.now()
        OFFER.move(
            offer,
            "accept",
            audit={
                "action": AuditAction.WAITLIST_ACCEPT,
                "actor": by,
                "municipality": wait.facility.municipality,
                "data": {"reservation": reservation.pk},
            },
            decided_at=now,
            reservation=reservation,
        )
        WAIT.move(wait, "accept", audit=None, ended_at=now)
        public_log_record(
            kind=PublicLogEntry.Kind.WAITLIST_ACCEPTED,
            facility_id=wait.facility_id,
            unit_id=wait.unit_id,
            use_date=wait.use_date,
            registrant_id=wait.registrant_id,
            detail={"what": what_of(wait)},
        )
    return reservation


def waitlist_decline(*, offer: Offer, by: User) -> Offer:
    """辞退する: the capacity passes to the next waiter (or back to first-come)."""
    with transaction.atomic():
        return _pass(OFFER.lock(offer, "decline"), verb="decline", by=by)


def waitlist_expire_due(*, now: dt.datetime | None = None) -> int:
    """Offers past their deadline pass on; waits past the last day close. Returns the number
    of offers expired."""
    now = now or clock.now()
    count = 0
    for offer in Offer.objects.filter(status=O.OPEN, deadline__lte=now):
        with transaction.atomic():
            locked = Offer.objects.select_for_update().filter(pk=offer.pk, status=O.OPEN).first()
            if locked is None:
                continue
            _pass(OFFER.lock(locked, "expire"), verb="expire", by=None)
        count += 1
    today = clock.local(now).date()
    for wait in Wait.objects.filter(status=W.WAITING).select_related("facility__municipality"):
        if today > last_day_for(wait.facility, wait.use_date):
            with transaction.atomic():
                WAIT.move(WAIT.lock(wait, "close"), "close", audit=None, ended_at=now)
    return count


def _pass(offer: Offer, *, verb: str, by: User | None) -> Offer:
    """Inside the caller's transaction, ``offer`` locked: decline or expire it and hand its
    hold to the next waiter of the same need by a new draw; nobody left: first-come."""
    now = clock.now()
    wait = offer.wait
    municipality = wait.unit.facility.municipality
    OFFER.move(
        offer,
        verb,
        audit={
            "action": AuditAction.WAITLIST_PASS,
            "actor": by,
            "municipality": municipality,
            "data": {"verb": verb, "wait": wait.pk},
        },
        decided_at=now,
    )
    WAIT.move(WAIT.lock(wait, verb), verb, audit=None, ended_at=now)
    public_log_record(
        kind=PublicLogEntry.Kind.WAITLIST_PASSED,
        facility_id=wait.facility_id,
        unit_id=wait.unit_id,
        use_date=wait.use_date,
        registrant_id=wait.registrant_id,
        detail={"what": what_of(wait), "reason": verb},
    )
    if verb == "expire":
        _mail(wait, "waitlist_expired")
    block = offer.block
    if block is None:  # the hold was lifted by staff: the capacity is already free
        return offer
    chain = offer.chain or offer
    already = Offer.objects.filter(block=block).values_list("wait_id", flat=True)
    key = _key(wait)
    group = [
        w
        for w in Wait.objects.filter(
            unit_id=wait.unit_id,
            use_date=wait.use_date,
            status=W.WAITING,
        )
        .exclude(pk__in=list(already))
        .select_related("registrant", "unit__facility__municipality", "purpose")
        .prefetch_related("slots")
        if _key(w) == key
    ]
    today = clock.today()
    if (
        group
        and today <= last_day_for(wait.unit.facility, wait.use_date)
        and _offer(group, block=block, chain=chain) is not None
    ):
        return offer
    public_log_blocks_released([block], reason="キャンセル待ちの案内先なし・先着受付へ")
    capacity.block_remove(block, notify=False)
    return offer
