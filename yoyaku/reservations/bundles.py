"""予約のまとまり: whole-facility and series bookings (全館・定期利用) in one step.

A bundle is several ordinary reservations booked in ONE transaction: several units at once
(全館, every room of a floor, a hall with its green room) or one unit on several dates and
slots (定期利用: every Tuesday 夜間 from April to September). Each item keeps everything a
reservation has — its occupancy rows (whose unique key still makes double booking impossible),
its fee as quoted, its ledger, its state — and the bundle adds:

* all or nothing: any item refused by a rule or by the capacity rolls the whole bundle back,
  and the refusal names the item (:class:`BundleRefused`);
* one e-mail for the bundle instead of one per item, one permit listing every item
  (``reservations.bundle_permit``), one page under my page;
* the per-person limit counts a bundle as ONE reservation (``limits.py``): a season is one
  request, not 26;
* cancelling the whole bundle in one confirmation and one mail, each item charged by the
  facility's tiers (free of charge when staff cancel, with a reason);
* 優先予約: staff allocate seasonal series to registered groups before the public booking
  window opens (``priority``), audited.

Series (定期利用) are for registered groups (団体登録), in ``reservations.series``; staff allocate
them too. Reads for the pages (a registrant's bundles, a whole-facility preview) are here as
well, next to the rules they show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from yoyaku.core import clock
from yoyaku.core.dates import japanese_date
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, User
from yoyaku.core.services import audit_record
from yoyaku.facilities import setup_cache
from yoyaku.facilities.models import Purpose, Unit
from yoyaku.notifications.services import email_template_queue
from yoyaku.registrants.models import Registrant
from yoyaku.registrants.services import mail_context
from yoyaku.reservations import booking, capacity, fees, rules, states
from yoyaku.reservations.models import Reservation, ReservationBundle

Kind = ReservationBundle.Kind


class BundleRefused(DomainError):
    """One item of a bundle was refused: nothing was booked. ``index`` is the item's place,
    ``item`` its label, ``problems`` every refusal of that item."""

    def __init__(self, *, index: int, item: str, problems: Sequence[DomainError]) -> None:
        first = problems[0]
        super().__init__("bundle_item_refused", item=item, reason=first.message)
        self.index = index
        self.item_label = item
        self.problems = list(problems)
        self.all = [self]


def item_label(request: rules.BookingRequest) -> str:
    """「2027年4月6日（火） 体育館 夜間」: how an item is named on pages and in mails."""
    slots = "・".join(s.label for s in request.slots)
    return " ".join(
        part for part in (japanese_date(request.use_date), request.unit.name, slots) if part
    )


def reservation_label(reservation: Reservation) -> str:
    return item_label(booking._request_of(reservation))


# — the fee of a bundle —


@dataclass(frozen=True)
class BundleQuote:
    """One fee breakdown for the bundle: each item's quote, and the total."""

    items: list[tuple[rules.BookingRequest, fees.FeeQuote]]
    total: int


def bundle_quote(requests: Sequence[rules.BookingRequest]) -> BundleQuote:
    items = [(request, booking.reservation_quote(request)) for request in requests]
    return BundleQuote(items=items, total=sum(quote.total for _r, quote in items))


# — booking —


def _overlap(requests: Sequence[rules.BookingRequest]) -> int | None:
    """The index of the first item that stands on capacity an earlier item takes (a whole
    and its part on the same slot, the same date twice), else None."""
    family = capacity.family_of([r.unit for r in requests])
    seen: set[tuple[int, dt.date, int]] = set()
    for index, request in enumerate(requests):
        if request.unit.is_lodging:
            continue
        rows = {
            (leaf, day, atom)
            for (leaf, day), atoms in capacity.leaf_atoms(request, family).items()
            for atom in atoms
        }
        if rows & seen:
            return index
        seen |= rows
    return None


def _capacity_refusal(requests: Sequence[rules.BookingRequest]) -> BundleRefused | None:
    """The first item whose capacity is gone (one query per item), named."""
    family = capacity.family_of([r.unit for r in requests])
    for index, request in enumerate(requests):
        problems = capacity.problems(request, family=family)
        if problems:
            return BundleRefused(index=index, item=item_label(request), problems=problems)
    index = _overlap(requests)
    if index is not None:
        return BundleRefused(
            index=index,
            item=item_label(requests[index]),
            problems=[DomainError("bundle_items_overlap")],
        )
    return None


def bundle_book(
    *,
    registrant: Registrant,
    requests: Sequence[rules.BookingRequest],
    kind: str,
    by: User,
    label: str = "",
    channel: str = Reservation.Channel.ONLINE,
    priority: bool = False,
    spec: dict | None = None,
) -> ReservationBundle:
    """Book every request as one bundle, in one transaction: all or nothing.

    Preconditions: every request is for ``registrant``. Each item is judged by the same rules
    as a single booking (``rules.check``), except: the per-person limit counts the bundle once
    (judged on its first item at each facility), and ``priority`` (staff allocation before
    the public opening) lets items be booked before their booking window opens. Any refusal
    raises :class:`BundleRefused` naming the item; nothing is written then. The occupancy
    unique key still refuses any double booking (also between two items of the bundle).
    Side effects: one e-mail listing every item, one audit row for the bundle (and the usual
    one per item).
    """
    requests = list(requests)
    if not requests:
        raise DomainError("bundle_empty")
    if any(r.registrant.pk != registrant.pk for r in requests):
        raise DomainError("unit_not_bookable")
    # First a look at the capacity, without locks: most refusals end here, cheaply.
    refusal = _capacity_refusal(requests)
    if refusal is not None:
        raise refusal
    by_staff = channel != Reservation.Channel.ONLINE
    try:
        with transaction.atomic():
            bundle = ReservationBundle.objects.create(
                municipality=registrant.municipality,
                registrant=registrant,
                kind=kind,
                label=label.strip()[:100],
                priority=priority,
                spec=spec or {},
                created_at=clock.now(),
                created_by=by,
            )
            counted: set[int] = set()  # facilities where the limit was judged for the bundle
            items = []
            for index, request in enumerate(requests):
                waive = {"window_not_open"} if priority else set()
                facility_id = request.unit.facility_id
                if facility_id in counted:
                    waive.add("too_many_reservations")
                counted.add(facility_id)
                try:
                    items.append(
                        booking._book(
                            request,
                            by=by,
                            channel=channel,
                            by_staff=by_staff,
                            setup=setup_cache.setup_of(request.unit),
                            bundle=bundle,
                            notify=False,
                            waive=frozenset(waive),
                        )
                    )
                except DomainError as error:
                    problems = getattr(error, "all", None) or [error]
                    raise BundleRefused(
                        index=index, item=item_label(request), problems=problems
                    ) from error
            total = sum(item.fee_total for item in items)
            audit_record(
                action=AuditAction.BUNDLE_BOOK,
                actor=by,
                municipality=registrant.municipality,
                target=bundle,
                data={
                    "kind": kind,
                    "channel": channel,
                    "priority": priority,
                    "items": [item.pk for item in items],
                    "fee_total": total,
                },
            )
            _mail(bundle, items, "bundle_booked", fee_total=f"{total:,}")
            return bundle
    except IntegrityError as exc:
        # A competitor's row (or two items of the bundle) met the unique key: all rolled back.
        refusal = _capacity_refusal(requests)
        if refusal is not None:
            raise refusal from exc
        raise DomainError("slot_taken") from exc


def _mail(
    bundle: ReservationBundle,
    items: Sequence[Reservation],
    template: str,
    *,
    cancelled: bool = False,
    **extra: Any,
) -> None:
    """One mail for the bundle, one line per item (its fee, or its cancellation fee)."""
    registrant = bundle.registrant
    if not registrant.email:
        return
    lines = []
    for item in items:
        amount = f"取消料 {item.cancellation_fee:,}円" if cancelled else f"{item.fee_total:,}円"
        lines.append(f"・{reservation_label(item)}（予約番号 {item.number}）{amount}")
    email_template_queue(
        to=[registrant.email],
        template=template,
        context=mail_context(
            registrant,
            bundle_number=bundle.number,
            bundle_label=bundle.label,
            bundle_id=bundle.pk,
            bundle_kind=bundle.get_kind_display(),
            item_lines="\n".join(lines),
            item_count=len(items),
            **extra,
        ),
    )


# — cancelling and changing —


def active_items(bundle: ReservationBundle) -> list[Reservation]:
    """The items still to come that can be cancelled (予約確定・審査中・支払待ち …), as the
    cancellation service judges them (state and date)."""
    today = clock.today()
    items = (
        bundle.items.filter(status__in=Reservation.HOLDS_CAPACITY, use_date__gte=today)
        .select_related("unit__facility", "registrant__municipality")
        .prefetch_related("slots")
    )
    return [item for item in items if states.allows(item, "cancel", today=today)]


@dataclass(frozen=True)
class BundleCancelTerms:
    items: list[tuple[Reservation, booking.CancelTerms]]
    total: int


def bundle_cancel_terms(bundle: ReservationBundle, *, by_staff: bool = False) -> BundleCancelTerms:
    """What cancelling the whole bundle now costs: each item by the facility's tiers."""
    items = []
    for item in active_items(bundle):
        terms = (
            booking.CancelTerms(percent=0, fee=0) if by_staff else booking.cancellation_terms(item)
        )
        items.append((item, terms))
    return BundleCancelTerms(items=items, total=sum(t.fee for _i, t in items))


def bundle_cancel(
    *, bundle: ReservationBundle, by: User, reason: str = "", by_staff: bool = False
) -> BundleCancelTerms:
    """Cancel every upcoming item of the bundle in one transaction, with one mail.

    By the registrant: each item's fee by the facility's tiers (and the booking stop of a late
    cancellation, as for one reservation). By staff: a reason is required, free of charge.
    Returns what was charged. Refused (``bundle_nothing_to_cancel``) when nothing is left.
    """
    if by_staff and not reason.strip():
        raise DomainError("reason_required")
    with transaction.atomic():
        bundle = ReservationBundle.objects.select_for_update().get(pk=bundle.pk)
        terms = bundle_cancel_terms(bundle, by_staff=by_staff)
        if not terms.items:
            raise DomainError("bundle_nothing_to_cancel")
        charged = []
        for item, _terms in terms.items:
            item = booking.reservation_cancel(
                reservation=item, by=by, reason=reason, by_staff=by_staff, notify=False
            )
            charged.append((item, booking.CancelTerms(percent=0, fee=item.cancellation_fee)))
        total = sum(item.cancellation_fee for item, _t in charged)
        audit_record(
            action=AuditAction.BUNDLE_CANCEL,
            actor=by,
            municipality=bundle.municipality,
            target=bundle,
            data={
                "by_staff": by_staff,
                "items": [item.pk for item, _t in charged],
                "fee": total,
                "reason": reason.strip(),
            },
        )
        _mail(
            bundle,
            [item for item, _t in charged],
            "bundle_cancelled",
            cancelled=True,
            cancellation_fee=f"{total:,}",
            reason=reason.strip(),
        )
    return BundleCancelTerms(items=charged, total=total)


# — reads for the pages —


def bundles_of(registrant: Registrant) -> list[ReservationBundle]:
    """The registrant's bundles, newest first, with their items (two queries)."""
    return list(
        ReservationBundle.objects.filter(registrant=registrant).prefetch_related("items__unit")
    )


def bundle_items(bundle: ReservationBundle) -> list[Reservation]:
    return list(
        bundle.items.select_related("unit__facility")
        .prefetch_related("slots")
        .order_by("use_date", "unit__order", "id")
    )


@dataclass(frozen=True)
class BundleSummary:
    items: list[Reservation]
    total: int  # the fees of the items that hold capacity or were used
    cancellation_fees: int
    active: int


def bundle_summary(bundle: ReservationBundle) -> BundleSummary:
    items = bundle_items(bundle)
    live = [i for i in items if i.status in (*Reservation.HOLDS_CAPACITY, Reservation.Status.USED)]
    return BundleSummary(
        items=items,
        total=sum(i.fee_total for i in live),
        cancellation_fees=sum(i.cancellation_fee for i in items),
        active=sum(1 for i in items if i.holds_capacity and i.use_date >= clock.today()),
    )


# — several units at once (全館・複数室場) —


@dataclass
class WholeItem:
    request: rules.BookingRequest
    problems: list[DomainError]
    fee: int = 0

    @property
    def label(self) -> str:
        return item_label(self.request)


@dataclass
class WholePreview:
    items: list[WholeItem]

    @property
    def total(self) -> int:
        return sum(i.fee for i in self.items)

    @property
    def bookable(self) -> bool:
        return bool(self.items) and not any(i.problems for i in self.items)


def whole_requests(
    *,
    registrant: Registrant,
    units: Sequence[Unit],
    use_date: dt.date,
    slot_codes: Sequence[str],
    party_size: int,
    purpose: Purpose | None = None,
) -> list[rules.BookingRequest]:
    """One request per unit for the same date and slots (by code: 午前, 夜間 … of each unit's
    own schedule); a unit without one of the slots is refused with ``slot_not_in_schedule``."""
    requests = []
    for unit in units:
        schedule = list(unit.slot_schedule.slots.all()) if unit.slot_schedule else []
        slots = [s for s in schedule if s.code in set(slot_codes)]
        if len(slots) != len(set(slot_codes)):
            raise BundleRefused(
                index=len(requests),
                item=f"{japanese_date(use_date)} {unit.name}",
                problems=[DomainError("slot_not_in_schedule")],
            )
        requests.append(
            rules.BookingRequest(
                registrant=registrant,
                unit=unit,
                use_date=use_date,
                slots=slots,
                party_size=party_size,
                purpose=purpose,
            )
        )
    return requests


def whole_preview(requests: Sequence[rules.BookingRequest]) -> WholePreview:
    """Each item with what refuses it (the rules, the capacity, another item on the same
    capacity) or its fee: shown before 予約する; the limit counts the bundle once."""
    items = []
    counted: set[int] = set()
    for request in requests:
        skip = {"too_many_reservations"} if request.unit.facility_id in counted else set()
        counted.add(request.unit.facility_id)
        problems = [p for p in rules.check(request) if p.code not in skip]
        fee = 0
        if not problems:
            try:
                fee = booking.reservation_quote(request).total
            except DomainError as error:
                problems = [error]
        items.append(WholeItem(request=request, problems=problems, fee=fee))
    index = _overlap(requests)
    if index is not None:
        items[index].problems.append(DomainError("bundle_items_overlap"))
    return WholePreview(items=items)
