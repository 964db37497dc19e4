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
from django.db.models import F

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, User
from yoyaku.core.services import audit_record, audit_record_many
from yoyaku.facilities.models import Slot, Unit
from yoyaku.facilities.selectors import UnitFamily
from yoyaku.lottery import algorithm, publication
from yoyaku.lottery.models import (
    LotteryApplication,
    LotteryChoice,
    LotteryCommitment,
    LotteryRound,
)
from yoyaku.lottery.services import public
from yoyaku.lottery.services.winners import full_notices
from yoyaku.notifications.services import email_send_many, email_template_render
from yoyaku.registrants.models import Registrant
from yoyaku.registrants.services import mail_context
from yoyaku.reservations import wins
from yoyaku.reservations.capacity import atoms_of_slot, basic_slots
from yoyaku.reservations.models import Occupancy

A = LotteryApplication.Status


def _registrant_key(seed: bytes, registrant_id: int) -> str:
    """A pseudonymous key per registrant, for win caps in the published data."""
    return hmac.new(seed, f"registrant:{registrant_id}".encode(), hashlib.sha256).hexdigest()[:16]


@dataclass
class _Input:
    applications: list[algorithm.Application]
    capacity: dict[str, int]
    # pseudonym → (application id, registrant id)
    by_pseudonym: dict[str, tuple[int, int]]


# What a choice asks for, as the drawing sees it: (unit id, use date, nights, rooms, slot ids).
_Booking = tuple[int, dt.date, int, int, tuple[int, ...]]


def _needs(
    booking: _Booking,
    units: dict[int, Unit],
    family: UnitFamily,
    basics: dict[int, list[Slot]],
    slots: dict[int, Slot],
) -> list[tuple[str, int]]:
    unit_id, use_date, nights, rooms, slot_ids = booking
    if units[unit_id].is_lodging:
        return [(f"u{unit_id}:{use_date + dt.timedelta(days=i)}", rooms) for i in range(nights)]
    atoms: set[int] = set()
    for slot_id in slot_ids:
        atoms |= set(atoms_of_slot(slots[slot_id], basics[unit_id]))
    return [
        (f"u{leaf}:{use_date}:{atom}", 1)
        for leaf in family.leaves(unit_id)
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
    """Read the round's applications as plain values (joins, never long IN lists).

    100,000 applications have 300,000 choices but only a few thousand distinct bookings (unit,
    date, nights, rooms, slots): each distinct booking's needs are worked out once and the
    same list is shared by every choice that asks for it, and the choices are streamed, never
    held as rows, so the drawing's memory stays a few hundred MB.
    """
    live = {"application__round": lottery, "application__status": A.SUBMITTED}
    applications = list(
        LotteryApplication.objects.filter(round=lottery, status=A.SUBMITTED)
        .exclude(registrant__status__in=Registrant.ENDED)
        .order_by("pk")
        .values_list("pk", "pseudonym", "registrant_id", "registrant__kind")
    )
    unit_ids = set(lottery.units.values_list("pk", flat=True)) | set(
        LotteryChoice.objects.filter(**live).values_list("unit_id", flat=True).distinct()
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
    slot_links: dict[int, list[int]] = defaultdict(list)
    for choice_id, slot_id in (
        LotteryChoice.slots.through.objects.filter(
            **{f"lotterychoice__{k}": v for k, v in live.items()}
        )
        .values_list("lotterychoice_id", "slot_id")
        .iterator(chunk_size=_STREAM_CHUNK)
    ):
        slot_links[choice_id].append(slot_id)
    drawn = {application_id for application_id, *_ in applications}
    needs_of: dict[_Booking, list[tuple[str, int]]] = {}
    wanted: dict[int, list[algorithm.Choice]] = defaultdict(list)
    for choice_id, application_id, rank, unit_id, use_date, nights, rooms in (
        LotteryChoice.objects.filter(**live)
        .order_by("application_id", "rank")
        .values_list("pk", "application_id", "rank", "unit_id", "use_date", "nights", "rooms")
        .iterator(chunk_size=_STREAM_CHUNK)
    ):
        slot_ids = slot_links.pop(choice_id, None)
        if application_id not in drawn:
            continue  # the registrant's registration ended: not in the drawing
        booking = (unit_id, use_date, nights, rooms, tuple(sorted(slot_ids or ())))
        needs = needs_of.get(booking)
        if needs is None:
            needs = needs_of[booking] = _needs(booking, units, family, basics, slots)
        if not needs:
            continue  # nothing bookable in it (the rules refuse such choices at apply time)
        wanted[application_id].append(algorithm.Choice(rank=rank, needs=needs))
    losers = _recent_losers(lottery)
    rows: list[algorithm.Application] = []
    for application_id, pseudonym, registrant_id, kind in applications:
        tier = 1 if lottery.groups_first and kind != Registrant.Kind.GROUP else 0
        rows.append(
            algorithm.Application(
                id=pseudonym,
                registrant=_registrant_key(seed, registrant_id),
                tier=tier,
                weight=2 if registrant_id in losers else 1,
                choices=wanted.pop(application_id, []),
            )
        )
    keys = {key for needs in needs_of.values() for key, _ in needs}
    return _Input(
        applications=rows,
        capacity=_capacity(keys, list(units.values())),
        by_pseudonym={p: (a, r) for a, p, r, _kind in applications},
    )


# Rows fetched per round trip when streaming the choices (a server-side cursor on PostgreSQL).
_STREAM_CHUNK = 20_000


# What runs once a drawing has committed, given the round's id: the tasks module registers
# the sending of the results (AppConfig.ready), so that services never import tasks.
AFTER_DRAWING: list = []


def _capacity_of(applications: list[algorithm.Application]) -> dict[str, int]:
    """The capacity of every resource the (frozen) applications need."""
    keys = {key for application in applications for c in application.choices for key, _ in c.needs}
    unit_ids = {int(key.split(":", 1)[0][1:]) for key in keys}
    return _capacity(keys, list(Unit.objects.filter(pk__in=unit_ids)))


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

    A ``yoyaku-lottery-2`` round draws only once its public value is confirmed, with the seed
    derived from the secret key (refused if it no longer matches the published hash), on the
    applications frozen at the close (frozen now if the job has not run yet). An application
    withdrawn after the freeze (registration ended, facility closed) keeps its place in the
    drawing; its win, if any, is not booked.
    """
    with transaction.atomic():
        lottery = (
            LotteryRound.objects.select_for_update()
            .select_related("municipality")
            .get(pk=lottery.pk)
        )
        if lottery.status == LotteryRound.Status.DRAWN:
            raise DomainError("lottery_already_drawn")
        if clock.now() < lottery.applications_close_at:
            raise DomainError("lottery_still_open")
        second = lottery.uses_public_value
        if second and not lottery.public_value_confirmed:
            raise DomainError("lottery_public_value_missing")
        seed = public.round_seed(lottery)
        data = _build_input(lottery, seed)
        if second:
            frozen = public.frozen_applications(lottery)
            if frozen is None:
                frozen = public.freeze_locked(lottery, data.applications)
            else:
                data.capacity = _capacity_of(frozen)
            data.applications = frozen
        settings = {"max_wins_per_registrant": lottery.max_wins_per_registrant}
        result = algorithm.draw(
            data.applications,
            data.capacity,
            seed,
            lottery.max_wins_per_registrant,
            public_value=lottery.public_value if second else None,
        )
        _write_results(lottery, data, result, by=by, fail_after=fail_after)
        lottery.status = LotteryRound.Status.DRAWN
        lottery.drawn_at = clock.now()
        text = _published_text(lottery, seed, data, settings, result)
        lottery.publish(text)
        lottery.save(update_fields=["status", "drawn_at", "published_gzip"])
        public.commitment_add(
            lottery,
            LotteryCommitment.Kind.DRAWN,
            hashlib.sha256(text.encode("utf-8")).hexdigest(),
        )
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


def _published_text(
    lottery: LotteryRound,
    seed: bytes,
    data: _Input,
    settings: dict,
    result: algorithm.Result,
) -> str:
    """``document_dumps(published_document(…))``, without holding the 100,000 applications'
    JSON objects at once: the header is built without them and each application is encoded
    as the text is written (the same text, byte for byte)."""
    second = lottery.uses_public_value
    document = publication.published_document(
        {"id": lottery.pk, "name": lottery.name, "municipality": lottery.municipality.slug},
        seed,
        [],
        data.capacity,
        settings,
        result,
        public_value=lottery.public_value if second else None,
        public_source=lottery.public_source if second else None,
    )
    if second:
        # The frozen applications, sorted by id: their hash was published at the close.
        document["applications_sha256"] = lottery.applications_sha256
    document["applications"] = (application.to_json() for application in data.applications)
    return publication.document_dumps(document)


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
    by_rank: dict[int, list[int]] = defaultdict(list)
    drawing_order: list[int] = []  # the winners' application ids, in the order drawn
    for pseudonym, rank in result.wins.items():
        if rank and pseudonym in data.by_pseudonym:  # else withdrawn after the freeze
            application_id = data.by_pseudonym[pseudonym][0]
            by_rank[rank].append(application_id)
            drawing_order.append(application_id)
    won_ids = {a for ids in by_rank.values() for a in ids}
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
    # Winners first, then every application still submitted has lost (those left out of the
    # drawing too): each row is written once.
    for rank, ids in sorted(by_rank.items()):
        for chunk in _chunks(sorted(ids)):
            LotteryApplication.objects.filter(pk__in=chunk, status=A.SUBMITTED).update(
                status=A.WON, won_rank=rank, updated_at=now
            )
    LotteryApplication.objects.filter(round=lottery, status=A.SUBMITTED).update(
        status=A.LOST, won_rank=None, updated_at=now
    )
    if not won_ids:
        return
    reservations = wins.reservations_create_won(
        municipality_id=lottery.municipality_id, won=_won_bookings(lottery, drawing_order), at=now
    )
    if fail_after is not None and len(reservations) >= fail_after:
        raise RuntimeError("simulated crash during the drawing")


def _won_bookings(lottery: LotteryRound, drawing_order: list[int]) -> list[wins.WonBooking]:
    """The winning choice of every won application, read back after the statuses were written
    (two queries, by join): the drawing does not keep 300,000 choices in memory for them.
    In the order drawn, as the rooms are numbered in that order."""
    won = {"application__round": lottery, "application__status": A.WON}
    slot_ids: dict[int, list[int]] = defaultdict(list)
    for choice_id, slot_id in LotteryChoice.slots.through.objects.filter(
        **{f"lotterychoice__{k}": v for k, v in won.items()},
        lotterychoice__rank=F("lotterychoice__application__won_rank"),
    ).values_list("lotterychoice_id", "slot_id"):
        slot_ids[choice_id].append(slot_id)
    bookings = {
        application_id: wins.WonBooking(
            registrant_id=registrant_id,
            unit_id=unit_id,
            use_date=use_date,
            lottery_choice_id=choice_id,
            nights=nights,
            rooms=rooms,
            adults=adults,
            children=children,
            infants=infants,
            party_size=party_size,
            slot_ids=tuple(sorted(slot_ids.get(choice_id, ()))),
        )
        for (
            application_id,
            choice_id,
            registrant_id,
            unit_id,
            use_date,
            nights,
            rooms,
            adults,
            children,
            infants,
            party_size,
        ) in LotteryChoice.objects.filter(**won, rank=F("application__won_rank")).values_list(
            "application_id",
            "pk",
            "application__registrant_id",
            "unit_id",
            "use_date",
            "nights",
            "rooms",
            "adults",
            "children",
            "infants",
            "party_size",
        )
    }
    return [bookings[application_id] for application_id in drawing_order]


def lottery_draw_due(*, now: dt.datetime | None = None) -> list[int]:
    """Rounds whose drawing time has come, that have not been drawn and can be: a round of
    ``yoyaku-lottery-2`` only once its public value is confirmed (the scheduler calls it)."""
    now = now or clock.now()
    return list(
        LotteryRound.objects.filter(draw_at__lte=now)
        .exclude(status=LotteryRound.Status.DRAWN)
        .exclude(algorithm=LotteryRound.ALGORITHM_2, public_value_confirmed_at__isnull=True)
        .values_list("pk", flat=True)
    )


def lottery_freeze(*, lottery: LotteryRound) -> LotteryRound:
    """The window has closed: freeze the applications as they will be drawn and publish
    their hash (``applications_sha256``). Once; nothing to do for old rounds or when done.
    The scheduler runs it at the close; the drawing does it if the job has not."""
    with transaction.atomic():
        lottery = (
            LotteryRound.objects.select_for_update()
            .select_related("municipality")
            .get(pk=lottery.pk)
        )
        if (
            not lottery.uses_public_value
            or lottery.applications_frozen_at is not None
            or lottery.status == LotteryRound.Status.DRAWN
        ):
            return lottery
        if clock.now() < lottery.applications_close_at:
            raise DomainError("lottery_still_open")
        data = _build_input(lottery, public.round_seed(lottery))
        public.freeze_locked(lottery, data.applications)
    return lottery


# Results mailed per task: the worker sends a batch through one mail connection, and a round
# of 100,000 applicants is 200 task rows instead of 100,000.
RESULTS_PER_BATCH = 500


def lottery_results_batches(
    *, lottery: LotteryRound, batch_size: int = RESULTS_PER_BATCH
) -> list[tuple[int, int]]:
    """The drawn round's applications in (first id, last id) ranges of ``batch_size``, for
    one results-mail task each (the task after the drawing enqueues them)."""
    ids = list(
        LotteryApplication.objects.filter(round=lottery, status__in=[A.WON, A.LOST])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return [(chunk[0], chunk[-1]) for chunk in _chunks(ids, batch_size)]


def lottery_results_mail(
    *, lottery: LotteryRound, first_id: int | None = None, last_id: int | None = None
) -> int:
    """E-mail the applicants of a drawn round their result, those with ids in [first_id,
    last_id] (all without them), through one connection to the mail server; returns how many
    were sent. Runs in the worker after the drawing has committed, never inside it."""
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
    if first_id is not None:
        applications = applications.filter(pk__gte=first_id)
    if last_id is not None:
        applications = applications.filter(pk__lte=last_id)
    mails = [
        email_template_render(
            to=[application.registrant.email],
            template="lottery_result",
            context=mail_context(
                application.registrant,
                round_name=lottery.name,
                won=application.status == A.WON,
                won_rank=application.won_rank,
                confirm_deadline=deadline,
                pseudonym=application.pseudonym,
                seed_sha256=lottery.seed_sha256,
                round_id=lottery.pk,
            ),
        )
        for application in applications.iterator(chunk_size=RESULTS_PER_BATCH)
        if application.registrant.email
    ]
    return email_send_many(mails)
