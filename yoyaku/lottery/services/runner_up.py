"""次点の繰り上げ: capacity a winner gives back goes to the round's runner-ups.

Where the municipality's policy ``lottery_runner_up`` says so, a won booking cancelled,
declined or expired before the round's first-come opening is not held as a block: its
capacity is offered along the published runner-up order (``results.runner_up`` of
``yoyaku-lottery-2``). The first runner-up having a choice that fits it (with what else is
free) gets its best-ranked such choice as a new win awaiting confirmation, with its own
deadline, a mail and an audit row; what is left goes on down the list to choices that use
it. Every applicant who could still take it has then been offered it, so what nobody on the
list can use opens as the round's other free capacity does. Without a runner-up who fits,
the capacity is held as before (``winners.hold_released_capacity``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db import IntegrityError, transaction

from yoyaku.core import clock
from yoyaku.core.models import AuditAction
from yoyaku.facilities.models import Unit
from yoyaku.facilities.selectors import UnitFamily
from yoyaku.lottery import states
from yoyaku.lottery.models import LotteryApplication, LotteryChoice, LotteryRound
from yoyaku.lottery.services.drawing import _capacity, _needs
from yoyaku.lottery.services.winners import hold_cancelled_win
from yoyaku.notifications.services import email_template_queue
from yoyaku.registrants.models import Registrant
from yoyaku.registrants.services import mail_context
from yoyaku.reservations import capacity, wins
from yoyaku.reservations.capacity import basic_slots
from yoyaku.reservations.models import Occupancy, PublicLogEntry, Reservation
from yoyaku.reservations.public_log import public_log_record

A = LotteryApplication.Status

# A runner-up has this long to confirm (never less than the round's own deadline).
CONFIRM_WITHIN = dt.timedelta(days=3)


def _choice_needs(choice: LotteryChoice) -> list[tuple[str, int]]:
    unit = choice.unit
    family = UnitFamily.of(
        Unit.objects.filter(facility_id=unit.facility_id).only("id", "parent_id")
    )
    slots = {slot.pk: slot for slot in choice.slots.all()}
    booking = (unit.pk, choice.use_date, choice.nights, choice.rooms, tuple(sorted(slots)))
    return _needs(booking, {unit.pk: unit}, family, {unit.pk: basic_slots(unit)}, slots)


def _held_keys(reservation: Reservation) -> Counter[str]:
    lodging = reservation.unit.is_lodging
    held: Counter[str] = Counter()
    for unit_id, day, atom in Occupancy.objects.filter(reservation=reservation).values_list(
        "unit_id", "date", "atom"
    ):
        held[f"u{unit_id}:{day}" if lodging else f"u{unit_id}:{day}:{atom}"] += 1
    return held


def _fits(needs: list[tuple[str, int]], extra: Counter[str]) -> bool:
    keys = {key for key, _ in needs}
    unit_ids = {int(key.split(":", 1)[0][1:]) for key in keys}
    free = _capacity(keys, list(Unit.objects.filter(pk__in=unit_ids)))
    return all(free[key] + extra.get(key, 0) >= amount for key, amount in needs)


def _candidates(lottery: LotteryRound) -> list[LotteryApplication]:
    """The round's runner-ups still lost, in the published order, their registrations live
    and below the win cap."""
    document = lottery.published or {}
    order = (document.get("results") or {}).get("runner_up") or []
    if not order:
        return []
    rows = {
        application.pseudonym: application
        for application in LotteryApplication.objects.filter(
            round=lottery, status=A.LOST, pseudonym__in=order
        )
        .exclude(registrant__status__in=Registrant.ENDED)
        .select_related("registrant__municipality")
        .prefetch_related("choices__slots", "choices__unit__slot_schedule__slots")
    }
    won = Counter(
        LotteryApplication.objects.filter(round=lottery, status=A.WON).values_list(
            "registrant_id", flat=True
        )
    )
    cap = lottery.max_wins_per_registrant
    return [rows[p] for p in order if p in rows and (not cap or won[rows[p].registrant_id] < cap)]


def runner_up_take(reservation: Reservation) -> bool:
    """The release handler's first step for a lottery win (``winners.hold_cancelled_win``):
    True when runner-ups took the capacity (the reservation's occupancy was released to
    them), False when the policy is off, first-come has opened, or nobody fits."""
    choice = reservation.lottery_choice
    if choice is None:
        return False
    lottery = choice.application.round
    if not lottery.municipality.lottery_runner_up or not lottery.uses_public_value:
        return False
    now = clock.now()
    if now >= lottery.first_come_opens_at or lottery.status != LotteryRound.Status.DRAWN:
        return False
    held = _held_keys(reservation)
    if not held:
        return False
    taken = False
    for application in _candidates(lottery):
        for candidate in sorted(application.choices.all(), key=lambda c: c.rank):
            needs = _choice_needs(candidate)
            if not needs or not held.keys() & {key for key, _ in needs}:
                continue  # a runner-up takes only choices that use what was given back
            if not _fits(needs, Counter() if taken else held):
                continue
            if not taken:
                capacity.release(reservation)
                taken = True
            if _promote(lottery, application, candidate, now):
                break
    return taken


def _promote(
    lottery: LotteryRound,
    application: LotteryApplication,
    choice: LotteryChoice,
    now: dt.datetime,
) -> bool:
    """One runner-up's win: state, reservation (occupancy), audit row, mail."""
    deadline = max(lottery.confirm_deadline or now, now + CONFIRM_WITHIN)
    try:
        with transaction.atomic():
            application = states.APPLICATION.lock(application, "promote")
            wins.reservations_create_won(
                municipality_id=lottery.municipality_id,
                won=[
                    wins.WonBooking(
                        registrant_id=application.registrant_id,
                        unit_id=choice.unit_id,
                        use_date=choice.use_date,
                        lottery_choice_id=choice.pk,
                        nights=choice.nights,
                        rooms=choice.rooms,
                        adults=choice.adults,
                        children=choice.children,
                        infants=choice.infants,
                        party_size=choice.party_size,
                        slot_ids=tuple(sorted(slot.pk for slot in choice.slots.all())),
                    )
                ],
                at=now,
            )
            states.APPLICATION.move(
                application,
                "promote",
                won_rank=choice.rank,
                confirm_by=deadline,
                updated_at=now,
                audit={
                    "action": AuditAction.LOTTERY_RUNNER_UP,
                    "actor": None,
                    "municipality": lottery.municipality,
                    "data": {"round": lottery.pk, "rank": choice.rank},
                },
            )
            public_log_record(
                kind=PublicLogEntry.Kind.RUNNER_UP,
                facility_id=choice.unit.facility_id,
                unit_id=choice.unit_id,
                use_date=choice.use_date,
                registrant_id=application.registrant_id,
                detail={"round": lottery.pk, "rank": choice.rank, "what": lottery.name},
            )
    except IntegrityError:
        return False  # taken meanwhile: the next runner-up is offered it
    registrant = application.registrant
    if registrant.email:
        email_template_queue(
            to=[registrant.email],
            template="lottery_runner_up",
            context=mail_context(
                registrant,
                round_name=lottery.name,
                won_rank=choice.rank,
                confirm_deadline=f"{clock.local(deadline):%Y-%m-%d %H:%M}",
                pseudonym=application.pseudonym,
                round_id=lottery.pk,
            ),
        )
    return True


def release_cancelled_win(reservation: Reservation) -> bool:
    """The reservations app's release handler for lottery wins: runner-ups first (where the
    policy says so), else the capacity is held until the round's release time."""
    if reservation.lottery_choice_id is None:
        return False
    return runner_up_take(reservation) or hold_cancelled_win(reservation)
