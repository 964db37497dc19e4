"""Lottery applications: apply, change, withdraw, and who may apply with which choices."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from django.db import transaction

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, User
from yoyaku.core.services import audit_record
from yoyaku.facilities.models import Slot, Unit
from yoyaku.lottery import states
from yoyaku.lottery.models import LotteryApplication, LotteryChoice, LotteryRound
from yoyaku.lottery.services.rounds import phase
from yoyaku.notifications.services import email_template_queue
from yoyaku.registrants.models import Registrant
from yoyaku.registrants.services import mail_context, registrant_record_use
from yoyaku.reservations import rules

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
    """抽選申込み: up to ``max_choices`` ranked choices, within the round's limits.

    Mails the receipt (pseudonym and the seed's hash) after commit."""
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
    if registrant.email:
        # The receipt: the pseudonym finds the person's own line in the published results and
        # the seed's hash, fixed before the drawing, lets them check the seed revealed after it.
        email_template_queue(
            to=[registrant.email],
            template="lottery_applied",
            context=mail_context(
                registrant,
                round_name=lottery.name,
                pseudonym=application.pseudonym,
                seed_sha256=lottery.seed_sha256,
                round_id=lottery.pk,
            ),
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


def lottery_withdraw_for_closure(
    *, application: LotteryApplication, by: User | None, reason: str
) -> bool:
    """The facility closes where this application chose (a bulk closure): it leaves the round
    before the drawing, whatever the phase, and the person is mailed why. False when it was
    drawn or withdrawn meanwhile (nothing to do: a bulk closure may run twice)."""
    with transaction.atomic():
        try:
            application = states.APPLICATION.lock(application, "withdraw")
        except DomainError:
            return False
        states.APPLICATION.move(
            application,
            "withdraw",
            updated_at=clock.now(),
            audit={
                "action": AuditAction.LOTTERY_WITHDRAW,
                "actor": by,
                "municipality": application.round.municipality,
                "data": {"by_staff": True, "closure": True, "reason": reason},
            },
        )
        registrant = application.registrant
        if registrant.email:
            email_template_queue(
                to=[registrant.email],
                template="lottery_withdrawn",
                context=mail_context(registrant, round_name=application.round.name, reason=reason),
            )
    return True
