"""The payment flow under faults: nothing charged twice, nothing lost, nothing refunded twice.

N reservations at a hall that requires payment online (Ukiha art. 10.3) are booked through
``reservation_book`` and paid by card through the payment sandbox, in-process: the sandbox's
WSGI application answers the provider adapter and the card page, and its webhooks are handed
to ``services.webhook_receive`` (what the webhook view calls), one at a time as a real sender
does. The clock is ``yoyaku.core.clock`` moved forward by the bench; the sandbox reads it too.

The faulted run (seeded dice): 20 % of the webhooks sent twice, 10 % held back so that later
ones overtake them, the sandbox's webhooks normally arriving after the browser returns but 5 %
before it, 5 % of the payments whose webhook is never sent and whose browser never comes back
(only ``jobs.payments_resync`` can learn of them, once the clock is past ``RESYNC_AFTER``), the
provider down for a tenth of the run (``payment_start`` is refused with
``payment_provider_down`` and the person tries again later), N/10 double clicks
(``payment_start`` twice, the card form sent twice), then cancellations of paid reservations
whose refunds N/10 of the time are carried out by the provider but answered with a 504
(``timeout_after_commit``): they stay requested until ``refunds_retry`` sends them again with
the same key. At the end the webhook queue is flushed and the minute job runs.

Then the books are checked against the provider, not against our own bookkeeping:
``charged_twice`` (a reservation with more than one succeeded payment at the provider, or
more than one payment entry in the ledger), ``lost_confirmations`` (money taken at the
provider whose payment or reservation does not say so), ``refunded_twice`` (more refunded at
the provider than our succeeded refunds say), ``ledger_mismatches`` (``payments_check`` plus
every paid reservation at balance 0, confirmed or cancelled).

The same payments without any fault run first, on their own municipality and sandbox, as the
baseline: ``fault_time_ratio`` is the faulted flow's time over the baseline's. Booking is not
timed. ``--database-url`` works as for lottery-db (an empty database, migrated by the bench).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import math
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

PAYMENTS = 1000
SEED = 20260610
START = dt.datetime(2026, 6, 1, 10, 0)  # Japan time, a Monday within service hours
SANDBOX = "http://sandbox.bench"
API_KEY = "sandbox-key"
SECRET = "bench-webhook-secret"
CARD = {"card_number": "4242 4242 4242 4242", "exp": "12/40", "cvc": "123"}
SLOT_FEES = {"am": 1000, "pm": 1300, "night": 1300}
FIRST_DAY = 10  # use dates from 10 days ahead: deadlines stay days away during the run
DAYS = 30
TIERS = [{"days_before": 14, "percent": 0}, {"days_before": 0, "percent": 50}]
# Shares of the faulted run.
DUPLICATE, OUT_OF_ORDER, EARLY_WEBHOOK, LOST = 0.20, 0.10, 0.05, 0.05
DOWN_FROM, DOWN_UNTIL = 0.45, 0.55  # the stretch of the run with the provider down
CANCELLED = 0.15  # paid reservations cancelled afterwards (refunds)
WEBHOOK_DELAY = 2.0  # seconds: the browser is normally back before the webhook


# — set-up —


def _configure(database_url: str | None, directory: Path) -> None:
    from django.conf import settings

    if settings.configured:
        raise SystemExit("payments sets Django up itself: run it once per process")
    os.environ["DJANGO_SETTINGS_MODULE"] = "yoyaku.settings"
    os.environ["DEBUG"] = "1"
    os.environ["YOYAKU_DATA_DIR"] = str(directory)
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _migrate(require_empty: bool) -> None:
    from django.core.management import call_command
    from django.db import connection

    if require_empty and connection.introspection.table_names():
        raise SystemExit("payments: the database given by --database-url must be empty")
    call_command("migrate", verbosity=0, interactive=False)


class Clock:
    """``yoyaku.core.clock`` frozen at a moment the bench moves forward."""

    def __init__(self, start: dt.datetime) -> None:
        from yoyaku.core import clock

        self._clock = clock
        self._moment = start
        self._context: Any = None
        self._freeze()

    def _freeze(self) -> None:
        self.close()
        self._context = self._clock.travel(self._moment)
        self._context.__enter__()

    def advance(self, seconds: float) -> None:
        self._moment = self._clock.now() + dt.timedelta(seconds=seconds)
        self._freeze()

    def epoch(self) -> float:
        return self._clock.now().timestamp()

    def close(self) -> None:
        if self._context is not None:
            self._context.__exit__(None, None, None)
            self._context = None


@dataclass
class Plan:
    reservation: Any
    user: Any
    double_click: bool = False
    early_webhook: bool = False
    lost: bool = False
    cancel: bool = False
    refund_timeout: bool = False


@dataclass
class Figures:
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process only: unaffected by a busy disk (SQLite's fsync)
    start_refused: int = 0  # payment_start refused while the provider was down
    person_retries: int = 0
    double_clicks: int = 0
    double_click_split: int = 0  # a second click that made a second payment (must be 0)
    browser_unchecked: int = 0  # browser returns that could not read the provider
    webhook_errors: int = 0
    outcomes: Counter = field(default_factory=Counter)
    refunds: int = 0
    refund_timeouts: int = 0
    minute: dict = field(default_factory=dict)


def _site(slug: str, n: int) -> tuple[Any, Any, list[Any]]:
    """A municipality, a staff member and a hall of meeting rooms that requires payment."""
    from django.contrib.auth.hashers import make_password

    from yoyaku.core.models import Municipality, User
    from yoyaku.facilities.models import Facility, FeeRule, Slot, SlotSchedule, Unit

    municipality = Municipality.objects.create(
        slug=slug,
        name="ベンチ市",
        name_en="Bench City",
        system_name="ベンチ市公共施設予約システム",
        registration_mode=Municipality.RegistrationMode.REVIEW_BEFORE_BOOKING,
        resident_label="ベンチ市内在住の方",
        worker_label="ベンチ市内在勤の方",
    )
    staff = User.objects.create(
        username=User.make_username(municipality, User.Kind.STAFF, "admin"),
        municipality=municipality,
        login_id="admin",
        kind=User.Kind.STAFF,
        staff_role=User.StaffRole.ADMIN,
        is_staff=True,
        password=make_password(None),
    )
    schedule = SlotSchedule.objects.create(municipality=municipality, name="3区分")
    slots = Slot.objects.bulk_create(
        [
            Slot(schedule=schedule, code="am", label="午前", start=dt.time(9), end=dt.time(12)),
            Slot(schedule=schedule, code="pm", label="午後", start=dt.time(13), end=dt.time(17)),
            Slot(schedule=schedule, code="night", label="夜間", start=dt.time(18), end=dt.time(21)),
        ]
    )
    facility = Facility.objects.create(
        municipality=municipality,
        slug="hall",
        name="ベンチ市民会館",
        kind=Facility.Kind.HALL,
        closed_at_year_end=False,
        payment_mode=Facility.PaymentMode.REQUIRED,
        payment_methods=["card"],
        max_active_reservations=1000,
        cancellation_tiers=TIERS,
    )
    rooms = math.ceil(n / (len(slots) * DAYS))
    units = [
        Unit.objects.create(
            facility=facility,
            name=f"会議室{i}",
            booking_kind=Unit.BookingKind.SLOT,
            slot_schedule=schedule,
            capacity=30,
            order=i,
        )
        for i in range(1, rooms + 1)
    ]
    FeeRule.objects.bulk_create(
        FeeRule(
            unit=unit,
            effective_from=dt.date(2024, 4, 1),
            basis=FeeRule.Basis.PER_SLOT,
            slot=slot,
            rate_class=FeeRule.RateClass.RESIDENT,
            amount_yen=SLOT_FEES[slot.code],
        )
        for unit in units
        for slot in slots
    )
    return municipality, staff, units


def _registrants(municipality: Any, staff: Any, count: int, tag: int) -> list[Any]:
    from yoyaku.registrants.models import Registrant
    from yoyaku.registrants.services import registration_apply, registration_approve

    people = []
    for i in range(count):
        n = tag * 10_000 + i
        applied = registration_apply(
            municipality=municipality,
            data={
                "kind": Registrant.Kind.INDIVIDUAL,
                "category": Registrant.Category.RESIDENT,
                "name_kana": "ベンチ　タロウ",
                "name": f"便地　太郎{n}",
                "birth_date": dt.date(1950, 1, 1) + dt.timedelta(days=(n * 37) % 18000),
                "phone": f"0943-{n // 10_000:02d}-{n % 10_000:04d}",
                "email": f"bench{n}@example.jp",
                "postal_code": "839-1393",
                "prefecture": "福岡県",
                "city": "うきは市",
                "street": "吉井町新治３１６",
            },
        )
        people.append(registration_approve(registrant=applied, by=staff))
    return people


def _book(units: list[Any], people: list[Any], n: int) -> list[tuple[Any, Any]]:
    """N reservations awaiting payment: (reservation, the registrant's user)."""
    from yoyaku.core import clock
    from yoyaku.reservations import booking, rules

    today = clock.today()
    slots = list(units[0].slot_schedule.slots.order_by("start"))
    booked = []
    for i in range(n):
        person = people[i % len(people)]
        unit = units[i % len(units)]
        rest = i // len(units)
        request = rules.BookingRequest(
            registrant=person,
            unit=unit,
            use_date=today + dt.timedelta(days=FIRST_DAY + rest // len(slots)),
            slots=[slots[rest % len(slots)]],
            party_size=10,
        )
        booked.append((booking.reservation_book(request=request, by=person.user), person.user))
    return booked


# — the flow —


class Webhooks:
    """The site's webhook door for the sandbox, one delivery at a time (as a sending thread
    does): a delivery made while another is being handled waits for the next pump."""

    def __init__(self, figures: Figures) -> None:
        self.figures = figures
        self.busy = False

    def deliver(self, url: str, body: bytes, headers: Any) -> int:
        from yoyaku.payments import services
        from yoyaku.payments.providers.base import ProviderError

        lowered = {key.lower(): value for key, value in headers.items()}
        try:
            outcome = services.webhook_receive(provider_name="sandbox", body=body, headers=lowered)
        except services.WebhookRejected:
            self.figures.webhook_errors += 1
            return 400
        except ProviderError:
            self.figures.outcomes["provider down (503)"] += 1
            return 503
        self.figures.outcomes[outcome] += 1
        return 200

    def guard(self, app: Any) -> None:
        dispatcher = app.dispatcher
        pump, flush = dispatcher.pump, dispatcher.flush

        def once(send: Any) -> Any:
            def guarded() -> int:
                if self.busy:
                    return 0
                self.busy = True
                try:
                    return send()
                finally:
                    self.busy = False

            return guarded

        dispatcher.pump, dispatcher.flush = once(pump), once(flush)


def _sandbox(clock: Clock, figures: Figures) -> Any:
    from yoyaku.payments.providers import registry
    from yoyaku.payments.providers.sandbox import SandboxProvider
    from yoyaku.payments.sandbox import Config, make_app, wsgi_transport

    webhooks = Webhooks(figures)
    app = make_app(
        Config(
            public_url=SANDBOX,
            webhook_url="http://site.bench/payments/webhook/sandbox/",
            secret=SECRET,
            api_key=API_KEY,
            clock=clock.epoch,
            sender=webhooks.deliver,
            seed=SEED,
        )
    )
    webhooks.guard(app)
    provider = SandboxProvider(
        base_url=SANDBOX,
        webhook_secret=SECRET,
        api_key=API_KEY,
        transport=wsgi_transport(app),
        clock=clock.epoch,
    )
    registry.install("sandbox", provider)
    return app


def _card_page(app: Any, ref: str) -> int:
    from yoyaku.payments.sandbox.transport import call_wsgi

    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, _ = call_wsgi(app, "POST", f"{SANDBOX}/pay/{ref}", headers, urlencode(CARD).encode())
    return status


def _pay(app: Any, clock: Clock, plan: Plan, figures: Figures) -> bool:
    """One person pays; False when the provider was down and they will try again later."""
    from yoyaku.core.errors import DomainError
    from yoyaku.payments import services
    from yoyaku.payments.providers.base import ProviderError

    try:
        payment = services.payment_start(reservation=plan.reservation, method="card", by=plan.user)
    except DomainError as refused:
        if refused.code != "payment_provider_down":
            raise
        figures.start_refused += 1
        return False
    if plan.double_click:
        figures.double_clicks += 1
        again = services.payment_start(reservation=plan.reservation, method="card", by=plan.user)
        figures.double_click_split += again.pk != payment.pk
    if plan.lost:
        app.switches.update({"drop_webhooks": 1.0})
    status = _card_page(app, payment.ref)
    if plan.lost:
        app.switches.update({"drop_webhooks": 0.0})
        return True  # and the tab is closed: no return to the site
    if plan.double_click:
        _card_page(app, payment.ref)  # the form sent twice: the sandbox has paid once
    assert status == 303, f"the card page answered {status}"
    if plan.early_webhook:
        clock.advance(WEBHOOK_DELAY + 0.5)
        app.dispatcher.pump()
    try:
        services.payment_sync(payment=payment)  # what the return page does
    except ProviderError:
        figures.browser_unchecked += 1
    return True


def _flow(
    app: Any, clock: Clock, plans: list[Plan], figures: Figures, *, faults: bool, rng: random.Random
) -> None:
    from yoyaku.payments import jobs
    from yoyaku.reservations import booking
    from yoyaku.reservations.models import Reservation

    if faults:
        app.switches.update(
            {
                "duplicate_webhooks": DUPLICATE,
                "out_of_order": OUT_OF_ORDER,
                "webhook_delay_seconds": WEBHOOK_DELAY,
            }
        )
    n = len(plans)
    later: list[Plan] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    for i, plan in enumerate(plans):
        if faults and i == int(n * DOWN_FROM):
            app.switches.update({"down": True})
        if faults and i == int(n * DOWN_UNTIL):
            app.switches.update({"down": False})
        clock.advance(rng.uniform(1.0, 3.0))
        if not _pay(app, clock, plan, figures):
            later.append(plan)
    app.switches.update({"down": False})
    for plan in later:  # back after the outage: the same payment is resumed
        figures.person_retries += 1
        clock.advance(rng.uniform(1.0, 3.0))
        if not _pay(app, clock, plan, figures):
            raise AssertionError("the provider is up again; payment_start still refused")
    clock.advance(60)
    app.dispatcher.pump()
    for plan in plans:
        if not plan.cancel:
            continue
        reservation = Reservation.objects.get(pk=plan.reservation.pk)
        if reservation.status != Reservation.Status.CONFIRMED:
            continue  # a lost confirmation still unknown: the jobs decide, not us
        if plan.refund_timeout:
            app.switches.update({"timeout_after_commit": 1.0})
            figures.refund_timeouts += 1
        clock.advance(rng.uniform(1.0, 3.0))
        # The refund task runs right after the commit (the worker).
        booking.reservation_cancel(reservation=reservation, by=plan.user, reason="都合により")
        figures.refunds += 1
        if plan.refund_timeout:
            app.switches.update({"timeout_after_commit": 0.0})
    clock.advance(jobs.RESYNC_AFTER.total_seconds() + 60)
    app.dispatcher.flush()
    figures.minute = jobs.payments_minute()
    app.dispatcher.flush()
    figures.seconds = time.perf_counter() - started
    figures.cpu_seconds = time.process_time() - cpu_started


def _plans(booked: list[tuple[Any, Any]], faults: bool, rng: random.Random) -> list[Plan]:
    n = len(booked)
    plans = [Plan(reservation, user) for reservation, user in booked]
    rng.shuffle(plans)
    picks = list(range(n))
    for plan in (plans[i] for i in rng.sample(picks, round(n * CANCELLED))):
        plan.cancel = True
    if not faults:
        return plans
    for i in rng.sample(picks, round(n * LOST)):
        plans[i].lost = True
    for i in rng.sample(picks, round(n * EARLY_WEBHOOK)):
        plans[i].early_webhook = not plans[i].lost
    for i in rng.sample(picks, round(n / 10)):
        plans[i].double_click = True
    cancelled = [p for p in plans if p.cancel and not p.lost]
    for plan in cancelled[: round(n / 10)]:
        plan.refund_timeout = True
    return plans


# — measuring, from the provider's side —


def _remote_payments(app: Any) -> list[dict]:
    from yoyaku.payments.sandbox.transport import call_wsgi

    headers = {"Authorization": f"Bearer {API_KEY}"}
    status, _, body = call_wsgi(app, "GET", f"{SANDBOX}/v1/payments?since=0", headers, b"")
    assert status == 200, status
    return json.loads(body)["data"]


def _check(app: Any, municipality: Any, plans: list[Plan]) -> dict[str, int]:
    from django.core.management import CommandError, call_command
    from django.db.models import Count, Sum

    from yoyaku.payments import ledger
    from yoyaku.payments.models import LedgerEntry, Payment, Refund
    from yoyaku.reservations.models import Reservation

    R = Reservation.Status
    remote = _remote_payments(app)
    ours = {r.pk: r for r in Reservation.objects.filter(municipality=municipality)}
    succeeded: Counter = Counter()
    lost = 0
    for item in remote:
        if item["status"] != "succeeded":
            continue
        reservation = ours[int(item["metadata"]["reservation"])]
        succeeded[reservation.pk] += 1
        payment = Payment.objects.filter(provider="sandbox", ref=item["id"]).first()
        expected = R.CANCELLED if reservation.cancelled_at else R.CONFIRMED
        recorded = payment is not None and payment.status == Payment.Status.SUCCEEDED
        lost += not recorded or reservation.status != expected
    entries = (
        LedgerEntry.objects.filter(municipality=municipality, kind=LedgerEntry.Kind.PAYMENT)
        .values("reservation")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    twice = {pk for pk, count in succeeded.items() if count > 1} | {
        row["reservation"] for row in entries
    }
    refunded_twice = 0
    for item in remote:
        recorded = Refund.objects.filter(
            payment__provider="sandbox", payment__ref=item["id"], status=Refund.Status.SUCCEEDED
        ).aggregate(total=Sum("amount"), n=Count("id"))
        given = sum(r["amount"] for r in item["refunds"])
        if given > (recorded["total"] or 0) or len(item["refunds"]) > recorded["n"]:
            refunded_twice += 1
    out = io.StringIO()
    with contextlib.suppress(CommandError):  # it says how many, then exits with status 1
        call_command("payments_check", municipality=municipality.slug, stdout=out)
    found = re.search(r"mismatches=(\d+)", out.getvalue())
    mismatches = int(found.group(1)) if found else 1
    unpaid = 0
    for reservation in ours.values():
        if reservation.status in (R.CONFIRMED, R.CANCELLED):
            mismatches += ledger.balance(reservation) != 0
        else:
            unpaid += 1
    return {
        "charged_twice": len(twice),
        "lost_confirmations": lost,
        "refunded_twice": refunded_twice,
        "ledger_mismatches": mismatches,
        "unpaid": unpaid,
        "provider_payments": len(remote),
    }


# — the bench —


@dataclass
class Run:
    figures: Figures
    checks: dict[str, int]
    attempts: int
    duplicated: int
    retried: int
    dropped: int
    booking_seconds: float


def _run_one(slug: str, tag: int, n: int, faults: bool) -> Run:
    from yoyaku.core import clock as core_clock
    from yoyaku.payments.providers import registry

    rng = random.Random(SEED + tag)
    clock = Clock(core_clock.at(START.date(), START.time()) + dt.timedelta(hours=tag))
    try:
        started = time.perf_counter()
        municipality, staff, units = _site(slug, n)
        people = _registrants(municipality, staff, max(2, n // 40), tag)
        plans = _plans(_book(units, people, n), faults, rng)
        booking_seconds = time.perf_counter() - started
        figures = Figures()
        app = _sandbox(clock, figures)
        try:
            _flow(app, clock, plans, figures, faults=faults, rng=rng)
            checks = _check(app, municipality, plans)
        finally:
            registry.reset()
        report = app.dispatcher.report()
        first = Counter(a["event"] for a in report["attempts"] if a["attempt"] == 1)
        return Run(
            figures=figures,
            checks=checks,
            attempts=len(report["attempts"]),
            duplicated=sum(count - 1 for count in first.values()),
            retried=sum(1 for a in report["attempts"] if a["attempt"] > 1),
            dropped=len(report["dropped"]),
            booking_seconds=booking_seconds,
        )
    finally:
        clock.close()


def run(n: int = PAYMENTS, out: Any = None) -> dict[str, int]:
    """Both runs in the database Django is set up with; prints the figures and returns the
    faulted run's checks. Used by ``main`` and by the test that keeps the bench working."""
    from django.test.utils import override_settings

    out = out or sys.stdout
    settings = {
        "TASKS": {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        # Registrants are built through the services; their initial password's hash is not
        # what this bench measures.
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        "DEBUG": False,
    }
    with override_settings(**settings):
        base = _run_one("bench-base", 1, n, faults=False)
        faulted = _run_one("bench-faults", 2, n, faults=True)
    _print(out, n, base, faulted)
    return faulted.checks


def _print(out: Any, n: int, base: Run, faulted: Run) -> None:
    from django.db import connection

    f = faulted.figures
    ratio = f.seconds / base.figures.seconds if base.figures.seconds else 0.0
    cpu_ratio = f.cpu_seconds / base.figures.cpu_seconds if base.figures.cpu_seconds else 0.0
    say = lambda text: print(text, file=out)  # noqa: E731
    say(
        f"payments: {n:,} card payments through the sandbox in-process; {connection.vendor}; "
        f"booking (not timed) {faulted.booking_seconds:.1f} s"
    )
    say(
        f"  baseline (no faults): {base.figures.seconds:.1f} s "
        f"({base.figures.cpu_seconds:.1f} s CPU), "
        f"{n / base.figures.seconds:.0f} payments/s, {base.attempts:,} webhooks; checks "
        + " ".join(f"{k}={v}" for k, v in base.checks.items())
    )
    say(
        f"  with faults: {f.seconds:.1f} s ({f.cpu_seconds:.1f} s CPU), "
        f"{n / f.seconds:.0f} payments/s; fault_time_ratio={ratio:.2f} "
        f"fault_cpu_ratio={cpu_ratio:.2f} (the CPU ratio is the steadier on a shared disk)"
    )
    say(
        f"  webhooks: {faulted.attempts:,} deliveries, {faulted.duplicated} sent twice, "
        f"{faulted.retried} retries after an error answer, {faulted.dropped} never sent; "
        "at the site: " + ", ".join(f"{k} {v}" for k, v in sorted(f.outcomes.items()))
    )
    say(
        f"  provider down: {f.start_refused} payment starts refused, {f.person_retries} "
        f"people came back and paid, {f.browser_unchecked} returns could not check; "
        f"{f.double_clicks} double clicks ({f.double_click_split} made a second payment)"
    )
    say(
        f"  refunds: {f.refunds} cancellations refunded, {f.refund_timeouts} answered 504; "
        "minute job: " + ", ".join(f"{k} {v}" for k, v in f.minute.items())
    )
    c = faulted.checks
    say(
        f"payments: charged_twice={c['charged_twice']} "
        f"lost_confirmations={c['lost_confirmations']} refunded_twice={c['refunded_twice']} "
        f"ledger_mismatches={c['ledger_mismatches']} n={n} seconds={f.seconds:.1f} "
        f"fault_time_ratio={ratio:.2f} fault_cpu_ratio={cpu_ratio:.2f} webhooks={faulted.attempts} "
        f"duplicates={faulted.duplicated} dropped={faulted.dropped} "
        f"retries={faulted.retried + f.person_retries + f.minute.get('refunds_sent', 0)} "
        f"resynced={f.minute.get('resynced', 0)} unpaid={c['unpaid']}"
    )


def _options(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench payments",
        description="The payment flow under faults, checked against the provider.",
    )
    parser.add_argument("--payments", type=int, default=PAYMENTS, metavar="N")
    parser.add_argument(
        "--database-url",
        nargs="?",
        const="",
        default=None,
        metavar="URL",
        help="an EMPTY database to use instead of a temporary SQLite file "
        "(without a value: $DATABASE_URL)",
    )
    options = parser.parse_args(list(argv))
    if options.payments < 20:
        parser.error("--payments must be at least 20")
    if options.database_url == "":
        options.database_url = os.environ.get("DATABASE_URL") or parser.error(
            "--database-url without a value needs DATABASE_URL in the environment"
        )
    return options


def main(argv: Sequence[str] = ()) -> None:
    options = _options(argv)
    with tempfile.TemporaryDirectory(prefix="yoyaku-bench-") as directory:
        _configure(options.database_url, Path(directory))
        try:
            _migrate(require_empty=options.database_url is not None)
            checks = run(options.payments)
        finally:
            from django.db import connections

            connections.close_all()
    if any(checks[k] for k in ("charged_twice", "lost_confirmations", "refunded_twice")) or any(
        checks[k] for k in ("ledger_mismatches", "unpaid")
    ):
        raise SystemExit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
