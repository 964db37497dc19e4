"""manage.py payments_check: prove that the books match the reservations.

For every reservation with money: the charges on record equal what its state says (fee,
cancellation fee, or nothing), and every payment and refund recorded as done has exactly one
ledger entry of its amount. Prints each mismatch; exits with status 1 when there is any.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Sum

from yoyaku.core.models import Municipality
from yoyaku.payments import selectors
from yoyaku.payments.models import LedgerEntry, Payment, Refund


class Command(BaseCommand):
    help = "Check that every reservation's ledger entries match its state (exit 1 if not)."

    def add_arguments(self, parser):
        parser.add_argument("--municipality", help="slug: one municipality only")

    def handle(self, *args, **options):
        municipality_id = None
        if options.get("municipality"):
            municipality = Municipality.objects.filter(slug=options["municipality"]).first()
            if municipality is None:
                raise CommandError("unknown municipality")
            municipality_id = municipality.pk
        problems = []
        for reservation, on_record, target in selectors.books_mismatches(
            municipality_id=municipality_id
        ):
            problems.append(
                f"reservation {reservation.number}: charges {on_record} yen, "
                f"state {reservation.status} says {target} yen"
            )
        payments = Payment.objects.filter(status=Payment.Status.SUCCEEDED)
        refunds = Refund.objects.filter(status=Refund.Status.SUCCEEDED)
        if municipality_id is not None:
            payments = payments.filter(municipality_id=municipality_id)
            refunds = refunds.filter(payment__municipality_id=municipality_id)
        for payment in payments.annotate(n=Count("entries"), total=Sum("entries__amount")):
            if payment.n != 1 or payment.total != -payment.amount:
                problems.append(
                    f"payment {payment.pk}: {payment.n} ledger entries for {payment.amount} yen"
                )
        for refund in refunds.annotate(n=Count("entries"), total=Sum("entries__amount")):
            if refund.n != 1 or refund.total != refund.amount:
                problems.append(
                    f"refund {refund.pk}: {refund.n} ledger entries for {refund.amount} yen"
                )
        orphan = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).exclude(
            payment__status=Payment.Status.SUCCEEDED
        )
        for entry in orphan:
            problems.append(f"ledger entry {entry.pk}: a payment entry for a payment not received")
        for line in problems:
            self.stdout.write(line)
        self.stdout.write(f"payments_check: mismatches={len(problems)}")
        if problems:
            raise CommandError(f"{len(problems)} mismatches")
