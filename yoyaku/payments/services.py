"""Taking money: start an online payment, learn what happened to it, record counter payments.

The order that keeps money safe:

1. :func:`payment_start` commits a ``Payment`` row with its idempotency key *before* calling the
   provider, and a reservation has at most one open payment (a partial unique key). A double
   click, a second tab or the back button finds the open payment and returns its page; a
   crash between our commit and the provider's answer is repaired by calling again, since the
   provider sees the same key.
2. Nothing changes on a browser's word or a webhook's: :func:`payment_sync` re-reads the
   payment from the provider and applies what it says, under a row lock, once
   (:func:`apply_remote` does nothing for a status already recorded).
3. The ledger entry of a payment, the reservation's confirmation (支払待ち → 予約確定) and any
   refund it makes necessary are one transaction.

まとめて支払う (:func:`bundle_payment_start`): one checkout at the provider for what several
reservations of a bundle owe. Each reservation gets its own ``Payment`` row for its share; the
rows share a ``group`` key (the checkout's idempotency key) and the provider's ref, and every
status the provider reports is applied to all of them together, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, AuditVia, User
from yoyaku.core.services import audit_record
from yoyaku.facilities.models import Facility
from yoyaku.notifications.services import email_template_queue
from yoyaku.payments import ledger, refunds
from yoyaku.payments.models import LedgerEntry, Payment, WebhookEvent
from yoyaku.payments.providers import registry
from yoyaku.payments.providers.base import (
    Method,
    ProviderError,
    RemotePayment,
    RemoteStatus,
    StartRequest,
)
from yoyaku.registrants.services import mail_context
from yoyaku.reservations import payable
from yoyaku.reservations.models import Reservation, ReservationBundle

R = Reservation.Status
P = Payment.Status
PAYABLE_STATES = ledger.PAYABLE_STATES
DEFAULT_PAYMENT_DAYS = 3  # how long a payment page or number lasts without a deadline


def online_methods(facility: Facility) -> list[str]:
    """The online methods this facility accepts (none when online payment is off)."""
    if not payable.accepts_online_payment(facility):
        return []
    chosen = facility.payment_methods or [m.value for m in Method]
    return [m for m in (Method.CARD, Method.KONBINI, Method.PAYPAY) if m in chosen]


def _description(reservation: Reservation) -> str:
    return f"{reservation.unit.facility.name} {reservation.unit.name} 使用料（予約番号 {reservation.number}）"


def _site(path: str) -> str:
    return f"{settings.YOYAKU_SITE_URL}{path}"


def payment_start(
    *, reservation: Reservation, method: str, by: User, _retry: bool = False
) -> Payment:
    """支払う: the open payment of this reservation, or a new one for its balance.

    Refused (``DomainError``) when the facility takes no online payment or not this method,
    when nothing is owed, or when the reservation is not to be paid. Calls the provider
    outside the database transaction; a ``ProviderError`` is said to the person as
    「ただいま決済サービスに接続できません」 and the same payment is resumed next time.
    """
    provider_name = registry.default_name()
    # An open payment may already be settled at the provider (a card declined a moment ago,
    # before its notice arrived): learn that first, so a retry starts afresh instead of
    # sending the person back to a finished page.
    for open_payment in Payment.objects.filter(
        reservation_id=reservation.pk, status__in=Payment.OPEN
    ).exclude(ref=""):
        try:
            synced = payment_sync(payment=open_payment)
        except ProviderError:
            continue
        if synced.status == P.SUCCEEDED:
            raise DomainError("payment_already_received")
    with transaction.atomic():
        reservation = (
            Reservation.objects.select_for_update(of=("self",))
            .select_related("unit__facility", "registrant", "municipality")
            .get(pk=reservation.pk)
        )
        if method not in online_methods(reservation.unit.facility):
            raise DomainError("payment_method_unavailable")
        if reservation.status not in PAYABLE_STATES:
            raise DomainError("payment_not_due")
        owed = ledger.balance(reservation)
        if owed <= 0:
            raise DomainError("payment_nothing_owed")
        payment = Payment.objects.filter(reservation=reservation, status__in=Payment.OPEN).first()
        stale = (
            payment
            if payment and (payment.group or payment.method != method or payment.amount != owed)
            else None
        )
        if payment is None:
            now = clock.now()
            expires = reservation.payment_due_at or now + dt.timedelta(days=DEFAULT_PAYMENT_DAYS)
            try:
                with transaction.atomic():
                    payment = Payment.objects.create(
                        municipality_id=reservation.municipality_id,
                        registrant_id=reservation.registrant_id,
                        reservation=reservation,
                        provider=provider_name,
                        method=method,
                        amount=owed,
                        key=f"pay_{uuid.uuid4().hex}",
                        created_at=now,
                        created_by=by,
                        updated_at=now,
                        expires_at=expires,
                    )
            except IntegrityError as exc:  # another tab opened one a moment ago
                raise DomainError("payment_in_progress") from exc
            audit_record(
                action=AuditAction.PAYMENT_START,
                actor=by,
                municipality=reservation.municipality,
                target=payment,
                data={"amount": owed, "method": method, "provider": provider_name},
            )
    if stale is not None:
        # Another method or amount was chosen: close the open payment first (outside the
        # transaction: the provider is called), then start afresh, once.
        _close_open(stale, by=by)
        if _retry:
            raise DomainError("payment_in_progress")
        return payment_start(reservation=reservation, method=method, by=by, _retry=True)
    if payment.redirect_url or payment.code:
        return payment
    return _send_start(payment, reservation)


def _send_start(payment: Payment, reservation: Reservation) -> Payment:
    provider = registry.get(payment.provider)
    back = reverse(
        "citizen:payment_return",
        kwargs={"municipality": reservation.municipality.slug, "payment_id": payment.pk},
    )
    detail = reverse(
        "citizen:reservation_detail",
        kwargs={"municipality": reservation.municipality.slug, "reservation_id": reservation.pk},
    )
    try:
        started = provider.start(
            StartRequest(
                key=payment.key,
                amount=payment.amount,
                method=Method(payment.method),
                description=_description(reservation),
                return_url=_site(back),
                cancel_url=_site(detail),
                expires_at_epoch=int(payment.expires_at.timestamp()),
                metadata={"payment": str(payment.pk), "reservation": str(reservation.pk)},
            )
        )
    except ProviderError as exc:
        raise DomainError("payment_provider_down") from exc
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        payment.ref = started.ref
        payment.redirect_url = started.redirect_url
        payment.code = started.code
        if payment.status == P.CREATED and started.code:
            payment.status = P.PENDING
        payment.updated_at = clock.now()
        payment.save(update_fields=["ref", "redirect_url", "code", "status", "updated_at"])
    return payment


def _close_open(payment: Payment, *, by: User | None) -> None:
    """Another method or amount was chosen: the open payment is cancelled at the provider
    first; if the money arrived meanwhile, it is recorded instead."""
    remote = None
    if payment.ref:
        try:
            remote = registry.get(payment.provider).cancel(payment.ref)
        except ProviderError as exc:
            raise DomainError("payment_provider_down") from exc
    if remote is not None and remote.status == RemoteStatus.SUCCEEDED:
        apply_remote(payment, remote, via=None, by=by)
        raise DomainError("payment_already_received")
    with transaction.atomic():
        for member in _members(payment):
            if member.status in Payment.OPEN:
                _set_status(member, P.CANCELED, by=by)


def _members(payment: Payment) -> list[Payment]:
    """The payment, or every payment of its checkout group, locked (in a transaction)."""
    if not payment.group:
        return [Payment.objects.select_for_update().get(pk=payment.pk)]
    return list(
        Payment.objects.select_for_update()
        .filter(provider=payment.provider, group=payment.group)
        .order_by("id")
    )


def _set_status(payment: Payment, status: str, *, by: User | None, via: str | None = None) -> None:
    payment.status = status
    payment.updated_at = clock.now()
    payment.save(update_fields=["status", "updated_at"])
    audit_record(
        action=AuditAction.PAYMENT_FAILED if status == P.FAILED else AuditAction.PAYMENT_CLOSED,
        actor=by,
        municipality=payment.municipality,
        target=payment,
        data={"status": status},
        via=AuditVia(ledger.via_of(by, via)),
    )


def payment_sync(*, payment: Payment, via: str | None = None) -> Payment:
    """Read the payment from its provider and apply what it says (idempotent)."""
    if not payment.ref or payment.provider == "counter":
        return payment
    remote = registry.get(payment.provider).fetch(payment.ref)
    return apply_remote(payment, remote, via=via, by=None)


@transaction.atomic
def apply_remote(
    payment: Payment, remote: RemotePayment, *, via: str | None, by: User | None
) -> Payment:
    """Record the provider's view of a payment, once. A success writes the ledger entry,
    confirms a reservation awaiting payment, or — for a reservation no longer to be paid —
    is refunded at once and flagged for staff.

    A payment of a checkout group is applied with all of its group: each reservation's share
    is recorded as that reservation's payment, and one mail says what was received."""
    if payment.group:
        return _apply_group(payment, remote, via=via, by=by)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status == P.SUCCEEDED:
        return payment
    if remote.status == RemoteStatus.SUCCEEDED:
        return _record_success(payment, amount=remote.amount, via=via, by=by)
    return _apply_open(payment, remote, via=via, by=by)


def _apply_group(
    payment: Payment, remote: RemotePayment, *, via: str | None, by: User | None
) -> Payment:
    members = _members(payment)
    received = []
    for member in members:
        if member.status == P.SUCCEEDED:
            continue
        if remote.status == RemoteStatus.SUCCEEDED:
            # Each share as requested: a total that differs at the provider is listed by
            # the reconciliation (which compares the group's sum with the provider's charge).
            received.append(
                _record_success(member, amount=member.amount, via=via, by=by, mail=False)
            )
        else:
            _apply_open(member, remote, via=via, by=by)
    if received:
        _mail_group_received(received)
    return next(m for m in members if m.pk == payment.pk)


def _apply_open(
    payment: Payment, remote: RemotePayment, *, via: str | None, by: User | None
) -> Payment:
    """A status other than success: pending (with its konbini number) or closed."""
    if remote.status == RemoteStatus.PENDING:
        if remote.code and payment.code != remote.code:
            payment.code = remote.code
        if payment.status == P.CREATED:
            payment.status = P.PENDING
        payment.updated_at = clock.now()
        payment.save(update_fields=["code", "status", "updated_at"])
        return payment
    closing = {
        RemoteStatus.FAILED: P.FAILED,
        RemoteStatus.EXPIRED: P.EXPIRED,
        RemoteStatus.CANCELED: P.CANCELED,
    }[remote.status]
    if payment.status != closing:
        _set_status(payment, closing, by=by, via=via)
    return payment


def _record_success(
    payment: Payment, *, amount: int, via: str | None, by: User | None, mail: bool = True
) -> Payment:
    reservation = (
        Reservation.objects.select_for_update(of=("self",))
        .select_related("registrant__municipality", "unit__facility")
        .get(pk=payment.reservation_id)
    )
    now = clock.now()
    payment.status = P.SUCCEEDED
    payment.succeeded_at = now
    payment.updated_at = now
    if amount != payment.amount:
        # The provider's amount is what moved; our request is kept in the audit row.
        payment.amount = amount
    late = reservation.status not in PAYABLE_STATES or ledger.balance(reservation) <= 0
    payment.late = late
    payment.save(update_fields=["status", "succeeded_at", "updated_at", "amount", "late"])
    ledger.entry(
        reservation, LedgerEntry.Kind.PAYMENT, -payment.amount, by=by, via=via, payment=payment
    )
    audit_record(
        action=AuditAction.PAYMENT_LATE if late else AuditAction.PAYMENT_RECEIVED,
        actor=by,
        municipality=reservation.municipality,
        target=payment,
        data={"amount": payment.amount, "reservation": reservation.pk, "method": payment.method},
        via=AuditVia(ledger.via_of(by, via)),
    )
    if reservation.status == R.AWAITING_PAYMENT and ledger.balance(reservation) <= 0:
        payable.reservation_mark_paid(reservation=reservation, by=by, via=ledger.via_of(by, via))
    if ledger.balance(reservation) < 0:
        refunds.plan(
            reservation,
            by=by,
            reason="期限後・取消後の入金" if late else "過払い",
        )
    if mail:
        _mail_received(payment, reservation)
    return payment


def _mail_received(payment: Payment, reservation: Reservation) -> None:
    registrant = reservation.registrant
    if not registrant.email:
        return
    email_template_queue(
        to=[registrant.email],
        template="payment_received",
        context=mail_context(
            registrant,
            reservation_number=reservation.number,
            facility_name=reservation.unit.facility.name,
            unit_name=reservation.unit.name,
            amount=f"{payment.amount:,}",
            method=payment.get_method_display(),
            late=payment.late,
            reservation_status=reservation.get_status_display(),
            reservation_id=reservation.pk,
            payment_id=payment.pk,
        ),
    )


def _jdate(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _mail_group_received(payments: list[Payment]) -> None:
    """One mail for one checkout: every reservation it paid, with its share."""
    reservations = {
        r.pk: r
        for r in Reservation.objects.select_related(
            "registrant__municipality", "unit__facility", "bundle"
        ).filter(pk__in=[p.reservation_id for p in payments])
    }
    first = reservations[payments[0].reservation_id]
    registrant = first.registrant
    if not registrant.email:
        return
    items = [
        {
            "number": reservations[p.reservation_id].number,
            "use_date": _jdate(reservations[p.reservation_id].use_date),
            "facility_name": reservations[p.reservation_id].unit.facility.name,
            "unit_name": reservations[p.reservation_id].unit.name,
            "amount": f"{p.amount:,}",
            "late": p.late,
            "status": reservations[p.reservation_id].get_status_display(),
        }
        for p in payments
    ]
    email_template_queue(
        to=[registrant.email],
        template="bundle_payment_received",
        context=mail_context(
            registrant,
            bundle_number=first.bundle.number if first.bundle else "",
            bundle_id=first.bundle_id,
            amount=f"{sum(p.amount for p in payments):,}",
            method=payments[0].get_method_display(),
            items=items,
            late=any(p.late for p in payments),
        ),
    )


def bundle_payable(bundle: ReservationBundle) -> dict[int, int]:
    """What each item of the bundle still owes that まとめて支払う takes: items awaiting
    payment (支払待ち) with a balance above zero, by reservation id."""
    items = list(bundle.items.filter(status=R.AWAITING_PAYMENT).order_by("pk"))
    owed = {item.pk: ledger.balance(item) for item in items}
    return {pk: amount for pk, amount in owed.items() if amount > 0}


def bundle_methods(bundle: ReservationBundle) -> list[str]:
    """The online methods every facility of the bundle's payable items accepts."""
    payable_ids = list(bundle_payable(bundle))
    units = {
        r.unit.facility_id: r.unit.facility
        for r in Reservation.objects.select_related("unit__facility").filter(pk__in=payable_ids)
    }
    if not units:
        return []
    methods = None
    for facility in units.values():
        here = online_methods(facility)
        methods = here if methods is None else [m for m in methods if m in here]
    return methods or []


def bundle_payment_start(
    *, bundle: ReservationBundle, method: str, by: User, _retry: bool = False
) -> Payment:
    """まとめて支払う: one checkout at the provider for the sum of what the bundle's items
    awaiting payment still owe; returns the payment whose page the person goes to.

    The open checkout of the same items, method and amounts is resumed (a double click, a
    second tab); any other open payment of those items (one started from an item's own page,
    or a checkout for other amounts) is closed at the provider first, as :func:`payment_start`
    does for a changed amount. Refused like :func:`payment_start`.
    """
    provider_name = registry.default_name()
    item_ids = list(bundle.items.values_list("pk", flat=True))
    for open_payment in Payment.objects.filter(
        reservation_id__in=item_ids, status__in=Payment.OPEN
    ).exclude(ref=""):
        try:
            payment_sync(payment=open_payment)
        except ProviderError:
            continue
    stale: list[Payment] = []
    members: list[Payment] = []
    with transaction.atomic():
        items = list(
            Reservation.objects.select_for_update(of=("self",))
            .select_related("unit__facility", "municipality")
            .filter(pk__in=item_ids)
            .order_by("pk")
        )
        owed = {}
        for item in items:
            if item.status == R.AWAITING_PAYMENT and (balance := ledger.balance(item)) > 0:
                owed[item.pk] = balance
        if not owed:
            raise DomainError("payment_nothing_owed")
        due = [item for item in items if item.pk in owed]
        for item in due:
            if method not in online_methods(item.unit.facility):
                raise DomainError("payment_method_unavailable")
        open_payments = list(
            Payment.objects.filter(reservation_id__in=item_ids, status__in=Payment.OPEN).order_by(
                "id"
            )
        )
        groups = {p.group for p in open_payments}
        if (
            len(groups) == 1
            and "" not in groups
            and {(p.reservation_id, p.amount) for p in open_payments} == set(owed.items())
            and all(p.method == method and p.provider == provider_name for p in open_payments)
        ):
            members = open_payments
        elif open_payments:
            stale = open_payments
        else:
            now = clock.now()
            deadlines = [item.payment_due_at for item in due if item.payment_due_at]
            expires = min(deadlines) if deadlines else now + dt.timedelta(days=DEFAULT_PAYMENT_DAYS)
            group = f"grp_{uuid.uuid4().hex}"
            try:
                with transaction.atomic():
                    for item in due:
                        members.append(
                            Payment.objects.create(
                                municipality_id=item.municipality_id,
                                registrant_id=item.registrant_id,
                                reservation=item,
                                provider=provider_name,
                                method=method,
                                amount=owed[item.pk],
                                key=f"pay_{uuid.uuid4().hex}",
                                group=group,
                                created_at=now,
                                created_by=by,
                                updated_at=now,
                                expires_at=expires,
                            )
                        )
            except IntegrityError as exc:  # another tab opened one a moment ago
                raise DomainError("payment_in_progress") from exc
            for payment in members:
                audit_record(
                    action=AuditAction.PAYMENT_START,
                    actor=by,
                    municipality=bundle.municipality,
                    target=payment,
                    data={
                        "amount": payment.amount,
                        "method": method,
                        "provider": provider_name,
                        "group": group,
                        "bundle": bundle.pk,
                    },
                )
    if stale:
        closed: set[str] = set()
        for payment in stale:
            if payment.group and payment.group in closed:
                continue
            closed.add(payment.group)
            _close_open(payment, by=by)
        if _retry:
            raise DomainError("payment_in_progress")
        return bundle_payment_start(bundle=bundle, method=method, by=by, _retry=True)
    lead = members[0]
    if lead.redirect_url or lead.code:
        return lead
    return _send_group_start(members, bundle)


def _send_group_start(members: list[Payment], bundle: ReservationBundle) -> Payment:
    lead = members[0]
    slug = bundle.municipality.slug
    back = reverse("citizen:payment_return", kwargs={"municipality": slug, "payment_id": lead.pk})
    detail = reverse("citizen:bundle_detail", kwargs={"municipality": slug, "bundle_id": bundle.pk})
    try:
        started = registry.get(lead.provider).start(
            StartRequest(
                key=lead.group,
                amount=sum(p.amount for p in members),
                method=Method(lead.method),
                description=f"予約のまとまり {bundle.number} 使用料（{len(members)}件）",
                return_url=_site(back),
                cancel_url=_site(detail),
                expires_at_epoch=int(lead.expires_at.timestamp()),
                metadata={"group": lead.group, "bundle": str(bundle.pk)},
            )
        )
    except ProviderError as exc:
        raise DomainError("payment_provider_down") from exc
    with transaction.atomic():
        for payment in _members(lead):
            payment.ref = started.ref
            payment.redirect_url = started.redirect_url
            payment.code = started.code
            if payment.status == P.CREATED and started.code:
                payment.status = P.PENDING
            payment.updated_at = clock.now()
            payment.save(update_fields=["ref", "redirect_url", "code", "status", "updated_at"])
            if payment.pk == lead.pk:
                lead = payment
    return lead


def payment_record_counter(
    *, reservation: Reservation, amount: int, method: str, receipt_number: str, by: User
) -> Payment:
    """窓口払い / 銀行振込: staff record money received, with the receipt number."""
    if method not in (Payment.Method.COUNTER, Payment.Method.TRANSFER):
        raise DomainError("payment_method_unavailable")
    if not 0 < amount <= 10_000_000:
        raise DomainError("payment_amount_invalid")
    receipt_number = receipt_number.strip()
    if not receipt_number:
        raise DomainError("receipt_number_required")
    with transaction.atomic():
        locked = Reservation.objects.select_for_update(of=("self",)).get(pk=reservation.pk)
        if locked.status not in PAYABLE_STATES:
            raise DomainError("payment_not_due")
        if amount > ledger.balance(locked):
            raise DomainError("payment_more_than_owed", owed=f"{max(0, ledger.balance(locked)):,}")
        now = clock.now()
        payment = Payment.objects.create(
            municipality_id=locked.municipality_id,
            registrant_id=locked.registrant_id,
            reservation=locked,
            provider="counter",
            method=method,
            amount=amount,
            key=f"ctr_{uuid.uuid4().hex}",
            receipt_number=receipt_number[:40],
            status=P.PENDING,
            created_at=now,
            created_by=by,
            updated_at=now,
        )
        audit_record(
            action=AuditAction.PAYMENT_COUNTER,
            actor=by,
            municipality=locked.municipality,
            target=payment,
            data={"amount": amount, "method": method, "receipt_number": receipt_number},
        )
        return _record_success(payment, amount=amount, via=AuditVia.STAFF, by=by)


class WebhookRejected(Exception):
    """The notification's signature (or shape) did not check out: nothing was recorded."""


def webhook_receive(*, provider_name: str, body: bytes, headers) -> str:
    """A provider's notification: verified, recorded once, then the payment is re-read.

    Returns the outcome for the record. A signature that fails raises ``ProviderError`` (the
    view answers 400). A payment we do not know is recorded for staff, never dropped.
    """
    provider = registry.get(provider_name)
    try:
        notice = provider.parse_webhook(body=body, headers=headers)
    except ProviderError as exc:
        raise WebhookRejected(str(exc)) from exc
    if not notice.payment_ref:
        return "ignored"  # an event about nothing of ours (another kind of object)
    now = clock.now()
    event, created = WebhookEvent.objects.get_or_create(
        provider=provider_name,
        event_id=notice.event_id,
        defaults={"kind": notice.kind, "payment_ref": notice.payment_ref, "received_at": now},
    )
    if not created and event.processed_at is not None:
        return "duplicate"
    payment = Payment.objects.filter(provider=provider_name, ref=notice.payment_ref).first()
    if payment is None:
        outcome = "unknown payment"
        audit_record(
            action=AuditAction.PAYMENT_UNKNOWN,
            target=event,
            data={"provider": provider_name, "ref": notice.payment_ref, "kind": notice.kind},
            via=AuditVia.WEBHOOK,
        )
    else:
        before = payment.status
        payment = payment_sync(payment=payment, via=AuditVia.WEBHOOK)
        outcome = "applied" if payment.status != before else "no change"
    WebhookEvent.objects.filter(pk=event.pk).update(processed_at=clock.now(), outcome=outcome)
    return outcome
