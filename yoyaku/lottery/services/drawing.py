"""The drawing of a round and its publication, and the results mailed afterwards.

The drawing itself is the pure function ``lottery.algorithm.draw``; this module turns
applications into its input (resource keys and capacities), writes the result in one
transaction (so a crash leaves nothing half-written and the drawing can simply run again),
and publishes what anyone needs to verify it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db import transaction

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, User
from yoyaku.core.services import audit_record, audit_record_many
from yoyaku.facilities.models import Slot, Unit
from yoyaku.facilities.selectors import UnitFamily
from yoyaku.lottery import algorithm
from yoyaku.lottery.models import LotteryApplication, LotteryChoice, LotteryRound
from yoyaku.lottery.services.winners import full_notices
from yoyaku.notifications.services import email_template_queue
from yoyaku.registrants.models import Registrant
from yoyaku.registrants.services import mail_context
from yoyaku.reservations import wins
from yoyaku.reservations.capacity import atoms_of_slot, basic_slots
from yoyaku.reservations.models import Occupancy

A = LotteryApplication.Status


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
        full_notices(lottery)
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
    """Statuses in a handful of UPDATEs, the winners' reservations (slots, fees and occupancy)
    in bulk through the reservations app: a round of 100,000 applications must not cost a query
    per applicant. This is the lottery application's documented bulk path (``lottery.states``):
    every application moved gets its own audit row, written in bulk too."""
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
    reservations = wins.reservations_create_won(
        municipality_id=lottery.municipality_id,
        won=[
            wins.WonBooking(
                registrant_id=registrant_id,
                unit_id=choice.unit_id,
                use_date=choice.use_date,
                lottery_choice_id=choice.id,
                nights=choice.nights,
                rooms=choice.rooms,
                adults=choice.adults,
                children=choice.children,
                infants=choice.infants,
                party_size=choice.party_size,
                slot_ids=choice.slot_ids,
            )
            for _, registrant_id, choice in winners
        ],
        at=now,
    )
    if fail_after is not None and len(reservations) >= fail_after:
        raise RuntimeError("simulated crash during the drawing")


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
