"""Lottery rounds: create, apply, change, withdraw, draw, confirm, expire, release.

The drawing itself is the pure function ``lottery.algorithm.draw``; this module turns
applications into its input (resource keys and capacities), writes the result in one
transaction (so a crash leaves nothing half-written and the drawing can simply run again),
and publishes what anyone needs to verify it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, Municipality, Notice, User
from yoyaku.core.services import audit_record, audit_record_many
from yoyaku.facilities.models import Slot, Unit
from yoyaku.facilities.selectors import UnitFamily
from yoyaku.lottery import algorithm, states
from yoyaku.lottery.models import LotteryApplication, LotteryChoice, LotteryRound
from yoyaku.notifications.services import email_template_queue
from yoyaku.registrants.models import Registrant
from yoyaku.registrants.services import mail_context, registrant_record_use
from yoyaku.reservations import capacity, fees, rules
from yoyaku.reservations import states as reservation_states
from yoyaku.reservations.booking import reservations_cancel_expired_win
from yoyaku.reservations.capacity import atoms_of_slot, basic_slots
from yoyaku.reservations.models import Occupancy, Reservation, UnitBlock

A = LotteryApplication.Status

# Rules of an ordinary booking that do not apply to a lottery choice: the lottery *is* the way
# to book these dates, before the first-come window opens.
NOT_FOR_LOTTERY = {
    "lottery_period",
    "window_not_open",
    "window_closed",
    "too_many_reservations",
    "service_closed",
}


def phase(lottery: LotteryRound, at: dt.datetime | None = None) -> str:
    """before / open / closed / drawn — derived from the times, so it needs no job to move."""
    at = at or clock.now()
    if lottery.status == LotteryRound.Status.DRAWN:
        return "drawn"
    if at < lottery.applications_open_at:
        return "before"
    if at < lottery.applications_close_at:
        return "open"
    return "closed"


# The numbers of a round's rules and their bounds (the console form offers the same).
ROUND_NUMBERS = {
    "max_applications_per_registrant": (1, 20),
    "max_choices": (1, 3),
    "max_wins_per_registrant": (1, 20),
    "loser_weight_rounds": (0, 12),
    "cancelled_win_release_hours": (0, 720),
}
ROUND_TIMES = (
    "applications_open_at",
    "applications_close_at",
    "draw_at",
    "confirm_deadline",
    "first_come_opens_at",
)


def round_problems(*, municipality: Municipality, fields: dict[str, Any]) -> list[DomainError]:
    """What is wrong with a round's settings, each refusal naming its field:
    受付開始 < 受付終了 ≤ 抽選 < 当選の確認期限 ≤ 先着順の受付開始, the use dates after the close,
    the numbers within their bounds, a name not yet used. Missing values are left to the
    caller's own required-field check (``round_create`` refuses them)."""
    problems: list[DomainError] = []
    name = (fields.get("name") or "").strip()
    if name and LotteryRound.objects.filter(municipality=municipality, name=name).exists():
        problems.append(DomainError("round_name_taken", field="name"))
    opens, closes = fields.get("applications_open_at"), fields.get("applications_close_at")
    draw, deadline = fields.get("draw_at"), fields.get("confirm_deadline")
    first_come = fields.get("first_come_opens_at")
    use_from, use_until = fields.get("use_from"), fields.get("use_until")
    if opens and closes and closes <= opens:
        problems.append(DomainError("round_close_before_open", field="applications_close_at"))
    if closes and draw and draw < closes:
        problems.append(DomainError("round_draw_before_close", field="draw_at"))
    if draw and first_come and first_come < draw:
        problems.append(DomainError("round_first_come_before_draw", field="first_come_opens_at"))
    if draw and deadline and deadline <= draw:
        problems.append(DomainError("round_deadline_before_draw", field="confirm_deadline"))
    elif deadline and first_come and first_come < deadline:
        problems.append(DomainError("round_deadline_after_first_come", field="confirm_deadline"))
    if use_from and use_until and use_until < use_from:
        problems.append(DomainError("round_use_order", field="use_until"))
    if use_from and closes and use_from <= clock.local(closes).date():
        problems.append(DomainError("round_use_before_close", field="use_from"))
    for number, (low, high) in ROUND_NUMBERS.items():
        value = fields.get(number)
        if value is not None and not (isinstance(value, int) and low <= value <= high):
            problems.append(
                DomainError("round_number_out_of_range", field=number, min=low, max=high)
            )
    return problems


@transaction.atomic
def round_create(
    *, municipality: Municipality, by: User | None, units: list[Unit], **fields: Any
) -> LotteryRound:
    """A new round with a fresh secret seed; its SHA-256 is public from now on.

    Refuses (``DomainError`` naming the field) what :func:`round_problems` finds, a missing
    name, time or use date, and units of another municipality."""
    fields["name"] = (fields.get("name") or "").strip()
    if not fields["name"]:
        raise DomainError("round_name_required", field="name")
    for required in (*ROUND_TIMES, "use_from", "use_until"):
        if fields.get(required) is None:
            raise DomainError("required", field=required)
    if not units or any(u.facility.municipality_id != municipality.pk for u in units):
        raise DomainError("round_units_required", field="units")
    problems = round_problems(municipality=municipality, fields=fields)
    if problems:
        raise problems[0]
    seed = secrets.token_bytes(32)
    lottery = LotteryRound.objects.create(
        municipality=municipality,
        seed=seed.hex(),
        seed_sha256=algorithm.seed_commitment(seed),
        **fields,
    )
    lottery.units.set(units)
    audit_record(
        action=AuditAction.LOTTERY_CREATE,
        actor=by,
        municipality=municipality,
        target=lottery,
        data={"seed_sha256": lottery.seed_sha256},
    )
    return lottery


@dataclass
class ChoiceRequest:
    unit: Unit
    use_date: dt.date
    nights: int = 1
    rooms: int = 1
    adults: int = 0
    children: int = 0
    infants: int = 0
    party_size: int = 0
    slots: list[Slot] = field(default_factory=list)

    def dates(self) -> list[dt.date]:
        count = self.nights if self.unit.is_lodging and 1 <= self.nights <= 31 else 1
        return [self.use_date + dt.timedelta(days=i) for i in range(count)]


def _check_choices(
    lottery: LotteryRound, registrant: Registrant, choices: list[ChoiceRequest]
) -> None:
    if not 1 <= len(choices) <= lottery.max_choices:
        raise DomainError("lottery_choice_count", max=lottery.max_choices)
    unit_ids = set(lottery.units.values_list("pk", flat=True))
    problems: list[DomainError] = []
    for rank, choice in enumerate(choices, start=1):
        if choice.unit.pk not in unit_ids:
            raise DomainError("lottery_unit_not_in_round", rank=rank)
        if not all(lottery.use_from <= day <= lottery.use_until for day in choice.dates()):
            raise DomainError("lottery_date_not_in_round", rank=rank)
        request = rules.BookingRequest(
            registrant=registrant,
            unit=choice.unit,
            use_date=choice.use_date,
            nights=choice.nights,
            slots=choice.slots,
            rooms=choice.rooms,
            adults=choice.adults,
            children=choice.children,
            infants=choice.infants,
            party_size=choice.party_size,
            purpose=choice.unit.purposes.first(),
        )
        for problem in rules.check(request, check_capacity=False):
            if problem.code not in NOT_FOR_LOTTERY:
                problem.params["rank"] = rank
                problems.append(problem)
    if problems:
        error = problems[0]
        error.all = problems
        raise error


def _check_applicant(lottery: LotteryRound, registrant: Registrant) -> None:
    if phase(lottery) != "open":
        raise DomainError("lottery_not_open")
    if lottery.municipality_id != registrant.municipality_id:
        raise DomainError("lottery_not_open")
    problem = rules.registrant_problem(registrant, today=clock.today())
    if problem is not None:
        raise problem
    if not registrant.is_eligible(lottery.eligible_categories):
        raise DomainError("category_not_allowed")


def _save_choices(application: LotteryApplication, choices: list[ChoiceRequest]) -> None:
    application.choices.all().delete()
    for rank, choice in enumerate(choices, start=1):
        saved = LotteryChoice.objects.create(
            application=application,
            rank=rank,
            unit=choice.unit,
            use_date=choice.use_date,
            nights=choice.nights if choice.unit.is_lodging else 1,
            rooms=choice.rooms if choice.unit.is_lodging else 1,
            adults=choice.adults,
            children=choice.children,
            infants=choice.infants,
            party_size=choice.party_size,
        )
        if choice.slots:
            saved.slots.set(choice.slots)


@transaction.atomic
def lottery_apply(
    *, lottery: LotteryRound, registrant: Registrant, choices: list[ChoiceRequest], by: User
) -> LotteryApplication:
    """抽選申込み: up to ``max_choices`` ranked choices, within the round's limits."""
    lottery = LotteryRound.objects.select_for_update().get(pk=lottery.pk)
    _check_applicant(lottery, registrant)
    count = (
        LotteryApplication.objects.filter(round=lottery, registrant=registrant)
        .exclude(status=A.WITHDRAWN)
        .count()
    )
    if count >= lottery.max_applications_per_registrant:
        raise DomainError("lottery_application_limit", max=lottery.max_applications_per_registrant)
    _check_choices(lottery, registrant, choices)
    now = clock.now()
    application = LotteryApplication.objects.create(
        round=lottery,
        registrant=registrant,
        pseudonym=secrets.token_hex(8),
        created_at=now,
        updated_at=now,
    )
    _save_choices(application, choices)
    registrant_record_use(registrant=registrant)
    audit_record(
        action=AuditAction.LOTTERY_APPLY,
        actor=by,
        municipality=lottery.municipality,
        target=application,
    )
    return application


@transaction.atomic
def lottery_change(
    *, application: LotteryApplication, choices: list[ChoiceRequest], by: User
) -> LotteryApplication:
    application = states.APPLICATION.lock(application, "change")
    _check_applicant(application.round, application.registrant)
    _check_choices(application.round, application.registrant, choices)
    _save_choices(application, choices)
    return states.APPLICATION.move(
        application,
        "change",
        updated_at=clock.now(),
        audit={
            "action": AuditAction.LOTTERY_CHANGE,
            "actor": by,
            "municipality": application.round.municipality,
        },
    )


@transaction.atomic
def lottery_withdraw(*, application: LotteryApplication, by: User) -> LotteryApplication:
    application = states.APPLICATION.lock(application, "withdraw")
    if phase(application.round) != "open":
        raise DomainError("lottery_not_open")
    return states.APPLICATION.move(
        application,
        "withdraw",
        updated_at=clock.now(),
        audit={
            "action": AuditAction.LOTTERY_WITHDRAW,
            "actor": by,
            "municipality": application.round.municipality,
        },
    )


def lottery_withdraw_for_registrant(
    *, registrant: Registrant, by: User | None, reason: str = ""
) -> int:
    """The registration ended: its applications not yet drawn leave every round."""
    count = 0
    for application in LotteryApplication.objects.filter(registrant=registrant, status=A.SUBMITTED):
        with transaction.atomic():
            try:
                application = states.APPLICATION.lock(application, "withdraw")
            except DomainError:  # drawn or withdrawn meanwhile
                continue
            states.APPLICATION.move(
                application,
                "withdraw",
                updated_at=clock.now(),
                audit={
                    "action": AuditAction.LOTTERY_WITHDRAW,
                    "actor": by,
                    "municipality": application.round.municipality,
                    "data": {"registration_ended": True},
                },
            )
        count += 1
    return count


# — the drawing —


def _registrant_key(seed: bytes, registrant_id: int) -> str:
    """A pseudonymous key per registrant, for win caps in the published data."""
    return hmac.new(seed, f"registrant:{registrant_id}".encode(), hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class _ChoiceRow:
    """A choice as plain values: a drawing reads 300,000 of them, so no model instances."""

    id: int
    application_id: int
    rank: int
    unit_id: int
    use_date: dt.date
    nights: int
    rooms: int
    adults: int
    children: int
    infants: int
    party_size: int
    slot_ids: tuple[int, ...]


@dataclass
class _Input:
    applications: list[algorithm.Application]
    capacity: dict[str, int]
    # pseudonym → (application id, registrant id)
    by_pseudonym: dict[str, tuple[int, int]]
    choices: dict[tuple[int, int], _ChoiceRow]  # (application id, rank) → choice
    units: dict[int, Unit]
    slots: dict[int, Slot]


def _needs(
    choice: _ChoiceRow,
    units: dict[int, Unit],
    family: UnitFamily,
    basics: dict[int, list[Slot]],
    slots: dict[int, Slot],
) -> list[tuple[str, int]]:
    if units[choice.unit_id].is_lodging:
        return [
            (f"u{choice.unit_id}:{choice.use_date + dt.timedelta(days=i)}", choice.rooms)
            for i in range(choice.nights)
        ]
    atoms: set[int] = set()
    for slot_id in choice.slot_ids:
        atoms |= set(atoms_of_slot(slots[slot_id], basics[choice.unit_id]))
    return [
        (f"u{leaf}:{choice.use_date}:{atom}", 1)
        for leaf in family.leaves(choice.unit_id)
        for atom in sorted(atoms)
    ]


def _recent_losers(lottery: LotteryRound) -> set[int]:
    if not lottery.loser_weight_rounds:
        return set()
    recent = list(
        LotteryRound.objects.filter(
            municipality=lottery.municipality, status=LotteryRound.Status.DRAWN
        )
        .exclude(pk=lottery.pk)
        .order_by("-drawn_at")
        .values_list("pk", flat=True)[: lottery.loser_weight_rounds]
    )
    lost = set(
        LotteryApplication.objects.filter(round_id__in=recent, status=A.LOST).values_list(
            "registrant_id", flat=True
        )
    )
    won = set(
        LotteryApplication.objects.filter(round_id__in=recent, status=A.WON).values_list(
            "registrant_id", flat=True
        )
    )
    return lost - won


def _build_input(lottery: LotteryRound, seed: bytes) -> _Input:
    """Read the round's applications as plain values (joins, never long IN lists)."""
    live = {"application__round": lottery, "application__status": A.SUBMITTED}
    applications = list(
        LotteryApplication.objects.filter(round=lottery, status=A.SUBMITTED)
        .exclude(registrant__status__in=Registrant.ENDED)
        .order_by("pk")
        .values_list("pk", "pseudonym", "registrant_id", "registrant__kind")
    )
    slot_links: dict[int, list[int]] = defaultdict(list)
    for choice_id, slot_id in LotteryChoice.slots.through.objects.filter(
        **{f"lotterychoice__{k}": v for k, v in live.items()}
    ).values_list("lotterychoice_id", "slot_id"):
        slot_links[choice_id].append(slot_id)
    choices: dict[int, list[_ChoiceRow]] = defaultdict(list)
    by_key: dict[tuple[int, int], _ChoiceRow] = {}
    for row in (
        LotteryChoice.objects.filter(**live)
        .order_by("application_id", "rank")
        .values_list(
            "pk",
            "application_id",
            "rank",
            "unit_id",
            "use_date",
            "nights",
            "rooms",
            "adults",
            "children",
            "infants",
            "party_size",
        )
    ):
        choice = _ChoiceRow(*row, slot_ids=tuple(sorted(slot_links.get(row[0], ()))))
        choices[choice.application_id].append(choice)
        by_key[(choice.application_id, choice.rank)] = choice
    unit_ids = {c.unit_id for c in by_key.values()} | set(
        lottery.units.values_list("pk", flat=True)
    )
    units = {
        u.pk: u
        for u in Unit.objects.filter(pk__in=unit_ids)
        .select_related("slot_schedule", "facility")
        .prefetch_related("slot_schedule__slots", "purposes")
    }
    family = UnitFamily.of(
        Unit.objects.filter(facility_id__in={u.facility_id for u in units.values()}).only(
            "id", "parent_id"
        )
    )
    basics = {pk: basic_slots(u) for pk, u in units.items()}
    slots = {
        s.pk: s for u in units.values() if u.slot_schedule for s in u.slot_schedule.slots.all()
    }
    losers = _recent_losers(lottery)
    rows: list[algorithm.Application] = []
    keys: set[str] = set()
    for application_id, pseudonym, registrant_id, kind in applications:
        wanted = []
        for choice in choices.get(application_id, ()):
            needs = _needs(choice, units, family, basics, slots)
            if not needs:
                continue  # nothing bookable in it (the rules refuse such choices at apply time)
            keys.update(key for key, _ in needs)
            wanted.append(algorithm.Choice(rank=choice.rank, needs=needs))
        tier = 1 if lottery.groups_first and kind != Registrant.Kind.GROUP else 0
        rows.append(
            algorithm.Application(
                id=pseudonym,
                registrant=_registrant_key(seed, registrant_id),
                tier=tier,
                weight=2 if registrant_id in losers else 1,
                choices=wanted,
            )
        )
    return _Input(
        applications=rows,
        capacity=_capacity(keys, list(units.values())),
        by_pseudonym={p: (a, r) for a, p, r, _kind in applications},
        choices=by_key,
        units=units,
        slots=slots,
    )


# What runs once a drawing has committed, given the round's id: the tasks module registers
# the sending of the results (AppConfig.ready), so that services never import tasks.
AFTER_DRAWING: list = []


def _capacity(keys: set[str], units: list[Unit]) -> dict[str, int]:
    """What is free before the drawing: staff blocks and earlier bookings already count."""
    rooms = {u.pk: u.room_count or 0 for u in units if u.is_lodging}
    parsed = [key.split(":") for key in keys]
    unit_ids = {int(p[0][1:]) for p in parsed}
    dates = {dt.date.fromisoformat(p[1]) for p in parsed}
    taken: Counter[str] = Counter()
    for unit_id, day, atom in Occupancy.objects.filter(
        unit_id__in=unit_ids, date__in=dates
    ).values_list("unit_id", "date", "atom"):
        if unit_id in rooms:
            taken[f"u{unit_id}:{day}"] += 1
        else:
            taken[f"u{unit_id}:{day}:{atom}"] += 1
    capacity = {}
    for key, part in zip(keys, parsed, strict=True):
        unit_id = int(part[0][1:])
        total = rooms.get(unit_id, 1)
        capacity[key] = max(0, total - taken[key])
    return capacity


def lottery_draw(
    *, lottery: LotteryRound, by: User | None = None, fail_after: int | None = None
) -> LotteryRound:
    """抽選: run once, after the application window. One transaction: either every result,
    reservation, notice and the publication are written, or nothing is (``fail_after`` lets a
    test crash the drawing half-way). Winners get a reservation awaiting confirmation.
    """
    with transaction.atomic():
        lottery = LotteryRound.objects.select_for_update().get(pk=lottery.pk)
        if lottery.status == LotteryRound.Status.DRAWN:
            raise DomainError("lottery_already_drawn")
        if clock.now() < lottery.applications_close_at:
            raise DomainError("lottery_still_open")
        seed = bytes.fromhex(lottery.seed)
        data = _build_input(lottery, seed)
        settings = {"max_wins_per_registrant": lottery.max_wins_per_registrant}
        result = algorithm.draw(
            data.applications, data.capacity, seed, lottery.max_wins_per_registrant
        )
        _write_results(lottery, data, result, by=by, fail_after=fail_after)
        lottery.status = LotteryRound.Status.DRAWN
        lottery.drawn_at = clock.now()
        lottery.published = algorithm.published_document(
            {"id": lottery.pk, "name": lottery.name, "municipality": lottery.municipality.slug},
            seed,
            data.applications,
            data.capacity,
            settings,
            result,
        )
        lottery.save(update_fields=["status", "drawn_at", "published"])
        _full_notices(lottery)
        # The results are sent after commit, outside the drawing's transaction: rendering and
        # queueing 100,000 mails must not hold the locks of the drawing.
        for handler in AFTER_DRAWING:
            transaction.on_commit(lambda handler=handler: handler(lottery.pk))
        audit_record(
            action=AuditAction.LOTTERY_DRAW,
            actor=by,
            municipality=lottery.municipality,
            target=lottery,
            data={
                "applications": len(data.applications),
                "wins": sum(1 for w in result.wins.values() if w),
            },
        )
    return lottery


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write_results(
    lottery: LotteryRound,
    data: _Input,
    result: algorithm.Result,
    *,
    by: User | None,
    fail_after: int | None,
) -> None:
    """Statuses in a handful of UPDATEs, the winners' reservations, slots and occupancy in
    bulk: a round of 100,000 applications must not cost a query per applicant. This is the
    lottery application's documented bulk path (``lottery.states``): every application moved
    gets its own audit row, written in bulk too."""
    now = clock.now()
    won_ids = {data.by_pseudonym[p][0] for p, rank in result.wins.items() if rank}
    all_ids = sorted(a for a, _r in data.by_pseudonym.values())
    for action, ids in (
        (AuditAction.LOTTERY_WIN, [a for a in all_ids if a in won_ids]),
        (AuditAction.LOTTERY_LOSE, [a for a in all_ids if a not in won_ids]),
    ):
        audit_record_many(
            action=action,
            actor=by,
            municipality=lottery.municipality,
            target_type=LotteryApplication._meta.label_lower,
            target_ids=ids,
            data={"round": lottery.pk},
        )
    LotteryApplication.objects.filter(round=lottery, status=A.SUBMITTED).update(
        status=A.LOST, won_rank=None, updated_at=now
    )
    winners: list[tuple[int, int, _ChoiceRow]] = []  # (application id, registrant id, choice)
    by_rank: dict[int, list[int]] = defaultdict(list)
    for pseudonym, rank in result.wins.items():
        if not rank:
            continue
        application_id, registrant_id = data.by_pseudonym[pseudonym]
        by_rank[rank].append(application_id)
        winners.append((application_id, registrant_id, data.choices[(application_id, rank)]))
    for rank, ids in by_rank.items():
        for chunk in _chunks(ids):
            LotteryApplication.objects.filter(pk__in=chunk).update(
                status=A.WON, won_rank=rank, updated_at=now
            )
    if not winners:
        return
    registrants: dict[int, Registrant] = {}
    for chunk in _chunks(sorted({r for _, r, _ in winners})):
        registrants.update(
            Registrant.objects.filter(pk__in=chunk)
            .only("pk", "user_id", "category", "kind")
            .in_bulk()
        )
    quotes: dict[tuple, fees.FeeQuote] = {}  # many winners book the same thing: quote once
    reservations = [
        _winner_reservation(lottery, data, registrants[registrant_id], choice, now, quotes)
        for _, registrant_id, choice in winners
    ]
    Reservation.objects.bulk_create(reservations, batch_size=500)
    if fail_after is not None and len(reservations) >= fail_after:
        raise RuntimeError("simulated crash during the drawing")
    through = Reservation.slots.through
    through.objects.bulk_create(
        [
            through(reservation_id=reservation.pk, slot_id=slot_id)
            for reservation, (_, _, choice) in zip(reservations, winners, strict=True)
            for slot_id in choice.slot_ids
        ],
        batch_size=1000,
    )
    capacity.take_many(_winner_needs(data, reservations, winners))


def _winner_reservation(
    lottery: LotteryRound,
    data: _Input,
    registrant: Registrant,
    choice: _ChoiceRow,
    now: dt.datetime,
    quotes: dict[tuple, fees.FeeQuote],
) -> Reservation:
    unit = data.units[choice.unit_id]
    rate_class = fees.rate_class_for(registrant)
    key = (
        unit.pk,
        choice.use_date,
        choice.nights,
        choice.slot_ids,
        choice.adults,
        choice.children,
        rate_class,
    )
    quote = quotes.get(key)
    if quote is None:
        quote = quotes[key] = fees.fee_quote(
            unit=unit,
            use_date=choice.use_date,
            nights=choice.nights,
            slots=[data.slots[s] for s in choice.slot_ids],
            adults=choice.adults,
            children=choice.children,
            rate_class=rate_class,
        )
    purposes = list(unit.purposes.all())
    return Reservation(
        municipality_id=lottery.municipality_id,
        registrant_id=registrant.pk,
        unit_id=unit.pk,
        use_date=choice.use_date,
        nights=choice.nights if unit.is_lodging else 1,
        rooms=choice.rooms if unit.is_lodging else 1,
        adults=choice.adults,
        children=choice.children,
        infants=choice.infants,
        party_size=choice.party_size,
        purpose=purposes[0] if purposes else None,
        status=Reservation.Status.AWAITING_CONFIRMATION,
        channel=Reservation.Channel.LOTTERY,
        fee_total=quote.total,
        fee_breakdown=quote.as_json(),
        created_at=now,
        created_by_id=registrant.user_id,
        lottery_choice_id=choice.id,
    )


def _winner_needs(
    data: _Input, reservations: list[Reservation], winners: list[tuple[int, int, _ChoiceRow]]
) -> list[tuple[Reservation, capacity.Need]]:
    """The capacity the algorithm allotted; the capacity module gives rooms the lowest free
    numbers, and the unique key still refuses any overlap, so a wrong allotment fails loudly."""
    holders = []
    for reservation, (_, _, choice) in zip(reservations, winners, strict=True):
        unit = data.units[choice.unit_id]
        nights = choice.nights if unit.is_lodging else 1
        need = capacity.Need(
            unit=unit,
            dates=[choice.use_date + dt.timedelta(days=i) for i in range(nights)],
            rooms=choice.rooms,
            slots=[data.slots[s] for s in choice.slot_ids],
        )
        holders.append((reservation, need))
    return holders


def _full_notices(lottery: LotteryRound) -> None:
    """「…宿泊の…は…の当選者で満室になりました。」 for lodging nights the winners filled."""
    taken: dict[tuple[int, dt.date], int] = defaultdict(int)
    first_nights: dict[tuple[int, dt.date], dt.date] = {}
    winners = Reservation.objects.filter(lottery_choice__application__round=lottery).select_related(
        "unit__facility"
    )
    units = {}
    for reservation in winners:
        if not reservation.unit.is_lodging:
            continue
        units[reservation.unit_id] = reservation.unit
        for i in range(reservation.nights):
            night = reservation.use_date + dt.timedelta(days=i)
            taken[(reservation.unit_id, night)] += reservation.rooms
            first_nights.setdefault((reservation.unit_id, night), reservation.use_date)
    occupied = Counter(
        Occupancy.objects.filter(unit_id__in=units, date__in={n for _, n in taken}).values_list(
            "unit_id", "date"
        )
    )
    by_facility_night: dict[tuple[int, dt.date], list[Unit]] = defaultdict(list)
    for (unit_id, night), _rooms in taken.items():
        unit = units[unit_id]
        if occupied[(unit_id, night)] >= (unit.room_count or 0):
            by_facility_night[(unit.facility_id, night)].append(unit)
    for (_facility_id, night), full_units in sorted(
        by_facility_night.items(), key=lambda kv: kv[0][1]
    ):
        facility = full_units[0].facility
        if (
            len(full_units)
            < facility.units.filter(booking_kind=Unit.BookingKind.LODGING, is_active=True).count()
        ):
            continue  # some room type of the facility is still free
        first = min(first_nights[(u.pk, night)] for u in full_units)
        Notice.objects.create(
            municipality=lottery.municipality,
            title=f"{night:%Y年%-m月%-d日}宿泊の{facility.name}は満室になりました",
            body=(
                f"<p>{night:%Y年%-m月%-d日}宿泊の{facility.name}は{first:%Y年%-m月%-d日}からの"
                "当選者で満室になりました。抽選の申込みは現在できませんのでご了承ください。</p>"
            ),
            published_at=clock.now(),
            expires_at=clock.at(night + dt.timedelta(days=1)),
        )


# — after the drawing —


@transaction.atomic
def lottery_confirm_win(*, reservation: Reservation, by: User) -> Reservation:
    """当選の確認: the winner takes the reservation before the deadline."""
    # Locks the reservation row only (PostgreSQL refuses FOR UPDATE across the nullable join to
    # the lottery choice); the round is only read.
    reservation = reservation_states.lock(reservation, "confirm_win")
    lottery = LotteryRound.objects.get(applications__choices__reservation=reservation)
    if lottery.confirm_deadline and clock.now() > lottery.confirm_deadline:
        raise DomainError("lottery_confirm_deadline_passed")
    return reservation_states.RESERVATION.move(
        reservation,
        "confirm_win",
        audit={
            "action": AuditAction.RESERVATION_LOTTERY_CONFIRM,
            "actor": by,
            "municipality": reservation.municipality,
        },
        decided_at=clock.now(),
    )


def hold_cancelled_win(reservation: Reservation) -> bool:
    """The reservations app's release handler: True when the capacity stays held."""
    return reservation.lottery_choice_id is not None and bool(hold_released_capacity(reservation))


def hold_released_capacity(
    reservation: Reservation, *, reason: str = "抽選の当選取消分（先着受付前）"
) -> UnitBlock | None:
    """A cancelled win's capacity stays held until the round's release time, then opens
    first-come (e.g. noon of the next day), so that nobody can snipe it at once."""
    choice = reservation.lottery_choice
    if choice is None:
        return None
    lottery = choice.application.round
    release_at = max(
        clock.now() + dt.timedelta(hours=lottery.cancelled_win_release_hours),
        lottery.first_come_opens_at,
    )
    if release_at <= clock.now():
        return None
    block = UnitBlock.objects.create(
        unit=reservation.unit,
        start_date=reservation.use_date,
        end_date=reservation.last_night,
        reason=reason,
        created_at=clock.now(),
        release_at=release_at,
    )
    capacity.hold(reservation, block)
    return block


def lottery_expire_unconfirmed(*, now: dt.datetime | None = None) -> int:
    """Wins not confirmed by the deadline are cancelled (their capacity held until release)."""
    now = now or clock.now()
    due = Reservation.objects.filter(
        status=Reservation.Status.AWAITING_CONFIRMATION,
        lottery_choice__application__round__confirm_deadline__lt=now,
    )
    count = 0
    for reservation in due:
        try:
            reservations_cancel_expired_win(reservation=reservation)
        except DomainError:
            continue  # confirmed or cancelled meanwhile: nothing to expire
        count += 1
    return count


def release_held_blocks(*, now: dt.datetime | None = None) -> int:
    now = now or clock.now()
    return capacity.blocks_release(
        UnitBlock.objects.filter(release_at__isnull=False, release_at__lte=now)
    )


def lottery_draw_due(*, now: dt.datetime | None = None) -> list[int]:
    """Rounds whose drawing time has come and that have not been drawn (the scheduler calls it)."""
    now = now or clock.now()
    return list(
        LotteryRound.objects.filter(draw_at__lte=now)
        .exclude(status=LotteryRound.Status.DRAWN)
        .values_list("pk", flat=True)
    )


def lottery_results_mail(*, lottery: LotteryRound, batch_size: int = 500) -> int:
    """E-mail every applicant of a drawn round their result (the task after the drawing)."""
    sent = 0
    deadline = (
        f"{clock.local(lottery.confirm_deadline):%Y-%m-%d %H:%M}"
        if lottery.confirm_deadline
        else ""
    )
    applications = (
        LotteryApplication.objects.filter(round=lottery, status__in=[A.WON, A.LOST])
        .select_related("registrant__municipality")
        .order_by("pk")
    )
    for application in applications.iterator(chunk_size=batch_size):
        registrant = application.registrant
        if not registrant.email:
            continue
        email_template_queue(
            to=[registrant.email],
            template="lottery_result",
            context=mail_context(
                registrant,
                round_name=lottery.name,
                won=application.status == A.WON,
                won_rank=application.won_rank,
                confirm_deadline=deadline,
            ),
        )
        sent += 1
    return sent
