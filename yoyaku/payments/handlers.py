"""What the payments app tells the apps below it, registered in ``AppConfig.ready``."""

from __future__ import annotations

from django.utils.translation import gettext as _

from yoyaku.core.errors import DomainError
from yoyaku.core.models import User
from yoyaku.notifications.services import email_template_queue
from yoyaku.payments import ledger, refunds, selectors
from yoyaku.payments.models import Payment
from yoyaku.registrants import hooks as registrant_hooks
from yoyaku.registrants.models import Registrant
from yoyaku.registrants.services import mail_context
from yoyaku.reservations import hooks as reservation_hooks
from yoyaku.reservations.models import Reservation

R = Reservation.Status


def on_money_changed(reservation: Reservation, *, verb: str, by: User | None) -> None:
    """Inside the transaction of the change: the charges follow the state, overpaid money
    goes back through the provider that took it, and a new amount owed is announced."""
    written = ledger.sync_charges(reservation, verb=verb, by=by)
    if verb == "pay" or written == 0:
        return
    balance = ledger.balance(reservation)
    if balance < 0:
        refunds.plan(
            reservation,
            by=by,
            reason={"cancel": "取消", "change": "変更による減額"}.get(verb, "再計算による減額"),
        )
    elif written > 0 and balance > 0 and verb in ("change", "recalculate", "cancel"):
        paid_before = Payment.objects.filter(
            reservation=reservation, status=Payment.Status.SUCCEEDED
        ).exists()
        # A fee recalculated by staff (Ukiha art. 10.4) is always announced: the person did
        # not ask for the change and may have nothing else telling them to pay.
        if paid_before or reservation.status == R.CANCELLED or verb == "recalculate":
            _mail_owed(reservation, balance)


def _mail_owed(reservation: Reservation, balance: int) -> None:
    registrant = reservation.registrant
    if not registrant.email:
        return
    email_template_queue(
        to=[registrant.email],
        template="payment_additional",
        context=mail_context(
            registrant,
            reservation_number=reservation.number,
            facility_name=reservation.unit.facility.name,
            unit_name=reservation.unit.name,
            amount=f"{balance:,}",
            cancelled=reservation.status == R.CANCELLED,
            reservation_id=reservation.pk,
        ),
    )


def unpaid_blocks_booking(*, registrant: Registrant) -> list[DomainError]:
    debt = selectors.registrant_debt(registrant=registrant)
    return [DomainError("unpaid_balance", amount=f"{debt:,}")] if debt > 0 else []


def unpaid_obligation(*, registrant: Registrant) -> list[str]:
    debt = selectors.registrant_debt(registrant=registrant)
    return [_("未払いの料金（%(fee)s円）") % {"fee": f"{debt:,}"}] if debt > 0 else []


def register() -> None:
    reservation_hooks.register_money_handler(on_money_changed)
    reservation_hooks.register_booking_check(unpaid_blocks_booking)
    registrant_hooks.register_obligation_provider(unpaid_obligation)
