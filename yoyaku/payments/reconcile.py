"""Reconciliation: the ledger against the provider's own records (突合).

Webhooks can be lost and answers can time out; the periodic re-sync repairs what it knows
about, but only the provider's own list shows a payment this system never heard of. Staff
look at every mismatch found here; nothing is changed automatically.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from yoyaku.payments.models import Payment, Refund
from yoyaku.payments.providers import registry
from yoyaku.payments.providers.base import ProviderError, RemotePayment, RemoteStatus
from yoyaku.payments.refunds import COUNTER_PROVIDERS


class MismatchKind(enum.StrEnum):
    UNKNOWN_HERE = "unknown_here"  # paid at the provider, no payment of ours with that ref
    NOT_SUCCEEDED_HERE = "not_succeeded_here"  # paid there, not (yet) succeeded here
    NOT_PAID_THERE = "not_paid_there"  # succeeded here, not paid at the provider
    AMOUNT = "amount"  # both paid, amounts differ
    REFUNDED = "refunded"  # refunded amounts differ

    @property
    def label(self) -> str:
        return str(LABELS[self])


LABELS = {
    MismatchKind.UNKNOWN_HERE: _("決済事業者で支払済み・こちらに記録なし"),
    MismatchKind.NOT_SUCCEEDED_HERE: _("決済事業者で支払済み・こちらでは未入金"),
    MismatchKind.NOT_PAID_THERE: _("こちらで入金済み・決済事業者で未払い"),
    MismatchKind.AMOUNT: _("金額の不一致"),
    MismatchKind.REFUNDED: _("返金額の不一致"),
}


@dataclass(frozen=True)
class Mismatch:
    kind: MismatchKind
    provider: str
    ref: str
    payment: Payment | None  # ours, when we have one
    ours: int  # yen on our side (payment amount or refunds succeeded)
    theirs: int  # yen on the provider's side

    @property
    def label(self) -> str:
        return self.kind.label


def _shares(payment: Payment):
    """The payment, or all payments of its checkout group (one charge at the provider)."""
    if not payment.group:
        return Payment.objects.filter(pk=payment.pk)
    return Payment.objects.filter(provider=payment.provider, group=payment.group)


def _amount_here(payment: Payment) -> int:
    if not payment.group:
        return payment.amount
    return _shares(payment).aggregate(total=Sum("amount"))["total"] or 0


def _refunded_here(payment: Payment) -> int:
    return (
        Refund.objects.filter(
            payment__in=_shares(payment), status=Refund.Status.SUCCEEDED
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )


def reconcile(
    *, provider_name: str, since: dt.datetime, municipality_id: int | None = None
) -> list[Mismatch]:
    """Every difference between the provider's records changed since ``since`` and our
    payments at that provider (of one municipality, when given; a remote payment unknown here
    belongs to no municipality and is always listed).

    Read only. Raises ``ProviderError`` when the provider cannot be reached.
    """
    provider = registry.get(provider_name)
    remote = {r.ref: r for r in provider.list_payments(since_epoch=int(since.timestamp()))}
    ours_qs = Payment.objects.filter(provider=provider_name).select_related(
        "reservation__unit__facility"
    )
    if municipality_id is not None:
        ours_qs = ours_qs.filter(municipality_id=municipality_id)
    by_ref = {p.ref: p for p in ours_qs.exclude(ref="").filter(ref__in=list(remote))}
    others = set()
    if municipality_id is not None:
        others = set(
            Payment.objects.filter(provider=provider_name, ref__in=list(remote))
            .exclude(municipality_id=municipality_id)
            .values_list("ref", flat=True)
        )
    found: list[Mismatch] = []
    for ref, theirs in remote.items():
        if ref in others:
            continue  # another municipality's payment: theirs to reconcile
        found.extend(_compare(provider_name, ref, theirs, by_ref.get(ref)))
    # Succeeded here but absent from the provider's list: ask for each one to be sure.
    missing = ours_qs.filter(status=Payment.Status.SUCCEEDED, succeeded_at__gte=since).exclude(
        ref__in=list(remote)
    )
    seen: set[str] = set()
    for payment in missing:
        if payment.group:
            if payment.group in seen:
                continue  # one charge for the whole checkout group
            seen.add(payment.group)
        theirs = None
        if payment.ref:
            try:
                theirs = provider.fetch(payment.ref)
            except ProviderError:
                theirs = None
        if theirs is None:
            found.append(
                Mismatch(
                    MismatchKind.NOT_PAID_THERE,
                    provider_name,
                    payment.ref,
                    payment,
                    _amount_here(payment),
                    0,
                )
            )
        else:
            found.extend(_compare(provider_name, payment.ref, theirs, payment))
    return found


def _compare(
    provider_name: str, ref: str, theirs: RemotePayment, ours: Payment | None
) -> list[Mismatch]:
    paid_there = theirs.status == RemoteStatus.SUCCEEDED
    if ours is None:
        if paid_there:
            return [Mismatch(MismatchKind.UNKNOWN_HERE, provider_name, ref, None, 0, theirs.amount)]
        return []
    succeeded_here = ours.status == Payment.Status.SUCCEEDED
    if paid_there and not succeeded_here:
        return [
            Mismatch(MismatchKind.NOT_SUCCEEDED_HERE, provider_name, ref, ours, 0, theirs.amount)
        ]
    if succeeded_here and not paid_there:
        amount = _amount_here(ours)
        return [Mismatch(MismatchKind.NOT_PAID_THERE, provider_name, ref, ours, amount, 0)]
    if not succeeded_here:
        return []
    found = []
    amount = _amount_here(ours)
    if amount != theirs.amount:
        found.append(Mismatch(MismatchKind.AMOUNT, provider_name, ref, ours, amount, theirs.amount))
    refunded = _refunded_here(ours)
    if refunded != theirs.refunded:
        found.append(
            Mismatch(MismatchKind.REFUNDED, provider_name, ref, ours, refunded, theirs.refunded)
        )
    return found


def providers_in_use(*, municipality_id: int) -> list[str]:
    """The online providers to reconcile for a municipality: those its payments went through,
    and the one new payments go to."""
    names = set(
        Payment.objects.filter(municipality_id=municipality_id)
        .exclude(provider__in=COUNTER_PROVIDERS)
        .values_list("provider", flat=True)
        .distinct()
    )
    names.add(registry.default_name())
    return sorted(names - COUNTER_PROVIDERS)
