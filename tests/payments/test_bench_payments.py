"""The payments bench keeps working: a small run under every fault ends with nothing charged
twice, no confirmation lost, nothing refunded twice and the books matching the provider."""

from __future__ import annotations

import io

import pytest

from bench import payments

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_payments_bench__under_faults__loses_nothing_and_charges_nothing_twice():
    out = io.StringIO()
    checks = payments.run(40, out=out)
    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith(
        "payments: charged_twice=0 lost_confirmations=0 refunded_twice=0 ledger_mismatches=0 n=40 "
    ), out.getvalue()
    assert checks["unpaid"] == 0
    # The faults did happen: without them the zeros would prove nothing.
    figures = dict(item.split("=") for item in last.removeprefix("payments: ").split())
    assert int(figures["duplicates"]) > 0
    assert int(figures["dropped"]) > 0
    assert int(figures["resynced"]) > 0
