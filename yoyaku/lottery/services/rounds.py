"""Lottery rounds: their settings, checked and created, and the phase a round is in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, Municipality, User
from yoyaku.core.services import audit_record
from yoyaku.facilities.catalogue import availability_changed
from yoyaku.facilities.models import Unit
from yoyaku.lottery import algorithm
from yoyaku.lottery.models import LotteryCommitment, LotteryRound
from yoyaku.lottery.services import public


def phase(lottery: LotteryRound, at: dt.datetime | None = None) -> str:
    """before / open / closed / drawn — derived from the times, so it needs no job to move."""
    at = at or clock.now()
    if lottery.status == LotteryRound.Status.DRAWN:
        return "drawn"
    if at < lottery.applications_open_at:
        return "before"
    if at < lottery.applications_close_at:
        return "open"
    return "closed"


# The numbers of a round's rules and their bounds (the console form offers the same).
ROUND_NUMBERS = {
    "max_applications_per_registrant": (1, 20),
    "max_choices": (1, 3),
    "max_wins_per_registrant": (1, 20),
    "loser_weight_rounds": (0, 12),
    "cancelled_win_release_hours": (0, 720),
}
ROUND_TIMES = (
    "applications_open_at",
    "applications_close_at",
    "draw_at",
    "confirm_deadline",
    "first_come_opens_at",
)


def round_problems(*, municipality: Municipality, fields: dict[str, Any]) -> list[DomainError]:
    """What is wrong with a round's settings, each refusal naming its field:
    受付開始 < 受付終了 ≤ 抽選 < 当選の確認期限 ≤ 先着順の受付開始, the use dates after the close,
    the numbers within their bounds, a name not yet used. Missing values are left to the
    caller's own required-field check (``round_create`` refuses them)."""
    problems: list[DomainError] = []
    name = (fields.get("name") or "").strip()
    if name and LotteryRound.objects.filter(municipality=municipality, name=name).exists():
        problems.append(DomainError("round_name_taken", field="name"))
    opens, closes = fields.get("applications_open_at"), fields.get("applications_close_at")
    draw, deadline = fields.get("draw_at"), fields.get("confirm_deadline")
    first_come = fields.get("first_come_opens_at")
    use_from, use_until = fields.get("use_from"), fields.get("use_until")
    if opens and closes and closes <= opens:
        problems.append(DomainError("round_close_before_open", field="applications_close_at"))
    if closes and draw and draw < closes:
        problems.append(DomainError("round_draw_before_close", field="draw_at"))
    if draw and first_come and first_come < draw:
        problems.append(DomainError("round_first_come_before_draw", field="first_come_opens_at"))
    if draw and deadline and deadline <= draw:
        problems.append(DomainError("round_deadline_before_draw", field="confirm_deadline"))
    elif deadline and first_come and first_come < deadline:
        problems.append(DomainError("round_deadline_after_first_come", field="confirm_deadline"))
    if use_from and use_until and use_until < use_from:
        problems.append(DomainError("round_use_order", field="use_until"))
    if use_from and closes and use_from <= clock.local(closes).date():
        problems.append(DomainError("round_use_before_close", field="use_from"))
    for number, (low, high) in ROUND_NUMBERS.items():
        value = fields.get(number)
        if value is not None and not (isinstance(value, int) and low <= value <= high):
            problems.append(
                DomainError("round_number_out_of_range", field=number, min=low, max=high)
            )
    return problems


@transaction.atomic
def round_create(
    *, municipality: Municipality, by: User | None, units: list[Unit], **fields: Any
) -> LotteryRound:
    """A new round (``yoyaku-lottery-2``): a public nonce, from which and the secret key
    (``LOTTERY_SEED_KEY``) its seed is derived, never stored; the seed's SHA-256 and the
    public value's source (``public_source_kind``, ``public_source_text``,
    ``public_value_at``; by default a drand round an hour after the close) are public and
    logged from now on.

    Refuses (``DomainError`` naming the field) what :func:`round_problems` finds, a missing
    name, time or use date, units of another municipality, a source whose value would be
    known before the close, and a site without its seed key."""
    source = {
        "kind": fields.pop("public_source_kind", "") or "",
        "text": fields.pop("public_source_text", "") or "",
        "value_at": fields.pop("public_value_at", None),
    }
    fields["name"] = (fields.get("name") or "").strip()
    if not fields["name"]:
        raise DomainError("round_name_required", field="name")
    for required in (*ROUND_TIMES, "use_from", "use_until"):
        if fields.get(required) is None:
            raise DomainError("required", field=required)
    if not units or any(u.facility.municipality_id != municipality.pk for u in units):
        raise DomainError("round_units_required", field="units")
    problems = round_problems(municipality=municipality, fields=fields)
    if problems:
        raise problems[0]
    source_fields = public.source_fields(
        **source, applications_close_at=fields["applications_close_at"]
    )
    nonce = public.new_seed_nonce()
    seed = public.seed_of_nonce(municipality_slug=municipality.slug, nonce=nonce)
    lottery = LotteryRound.objects.create(
        municipality=municipality,
        algorithm=LotteryRound.ALGORITHM_2,
        seed_nonce=nonce,
        seed_sha256=algorithm.seed_commitment(seed),
        **source_fields,
        **fields,
    )
    del seed  # never stored before the drawing
    lottery.units.set(units)
    public.commitment_add(lottery, LotteryCommitment.Kind.SEED_COMMITTED, lottery.seed_sha256)
    public.commitment_add(
        lottery, LotteryCommitment.Kind.SOURCE_FIXED, public.source_summary(lottery)
    )
    # Its unit-dates show 抽 from now on.
    availability_changed(u.facility_id for u in units)
    audit_record(
        action=AuditAction.LOTTERY_CREATE,
        actor=by,
        municipality=municipality,
        target=lottery,
        data={"seed_sha256": lottery.seed_sha256, "public_source": lottery.public_source},
    )
    return lottery
