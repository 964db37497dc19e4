"""What a round commits to in public: its seed (from a key outside the database), the source
of its public value, the value (entered by one staff member, confirmed by another), and the
applications frozen when the window closes. Each step appends to the round's public log
(``LotteryCommitment``) and writes an audit row.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import secrets

from django.conf import settings
from django.db import transaction

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, User
from yoyaku.core.services import audit_record
from yoyaku.lottery import algorithm, public_value, publication
from yoyaku.lottery.models import LotteryCommitment, LotteryRound

C = LotteryCommitment.Kind


def _seed_key() -> bytes:
    key = settings.LOTTERY_SEED_KEY
    if not key:
        raise DomainError("lottery_seed_key_missing")
    return key.encode()


def new_seed_nonce() -> str:
    return secrets.token_hex(16)


def seed_of_nonce(*, municipality_slug: str, nonce: str) -> bytes:
    """The seed a ``yoyaku-lottery-2`` round derives from the secret key and its nonce."""
    return publication.derive_seed(_seed_key(), municipality_slug, nonce)


def round_seed(lottery: LotteryRound) -> bytes:
    """The round's seed: stored for old rounds (-1), derived for new ones (-2) — and then
    refused if it no longer matches the hash published at creation (the key changed)."""
    if not lottery.uses_public_value:
        return bytes.fromhex(lottery.seed)
    seed = seed_of_nonce(municipality_slug=lottery.municipality.slug, nonce=lottery.seed_nonce)
    if algorithm.seed_commitment(seed) != lottery.seed_sha256:
        raise DomainError("lottery_seed_key_changed")
    return seed


def commitment_add(lottery: LotteryRound, kind: str, value: str) -> LotteryCommitment:
    return LotteryCommitment.objects.create(round=lottery, kind=kind, at=clock.now(), value=value)


def source_fields(
    *,
    kind: str,
    text: str,
    value_at: dt.datetime | None,
    applications_close_at: dt.datetime,
) -> dict:
    """The source's fields as stored, or DomainError naming the field. A drand source needs
    only its time (the round is the first produced at or after it); a named draw needs its
    description. The default (no kind): drand, an hour after the window closes."""
    kind = kind or LotteryRound.PublicSource.DRAND
    if kind not in LotteryRound.PublicSource.values:
        raise DomainError("lottery_public_source_required", field="public_source_kind")
    if value_at is None:
        if kind != LotteryRound.PublicSource.DRAND:
            raise DomainError("required", field="public_value_at")
        value_at = applications_close_at + public_value.DEFAULT_DELAY
    if value_at <= applications_close_at:
        raise DomainError("lottery_public_value_before_close", field="public_value_at")
    text = " ".join((text or "").split())
    if kind == LotteryRound.PublicSource.DRAND:
        number = public_value.drand_round_at(value_at)
        return {
            "public_source_kind": kind,
            "public_source_round": number,
            "public_source_text": public_value.drand_description(number),
            "public_value_at": public_value.drand_round_time(number),
        }
    if not text:
        raise DomainError("lottery_public_source_required", field="public_source_text")
    return {
        "public_source_kind": kind,
        "public_source_round": None,
        "public_source_text": text[:200],
        "public_value_at": value_at,
    }


def round_source_problems(*, fields: dict) -> list[DomainError]:
    """What is wrong with a round's public source (``public_source_kind``,
    ``public_source_text``, ``public_value_at``), each refusal naming its field."""
    close = fields.get("applications_close_at")
    if close is None:
        return []
    try:
        source_fields(
            kind=fields.get("public_source_kind") or "",
            text=fields.get("public_source_text") or "",
            value_at=fields.get("public_value_at"),
            applications_close_at=close,
        )
    except DomainError as error:
        return [error]
    return []


def source_summary(lottery: LotteryRound) -> str:
    """One line for the public log: what the value will be, from where, when."""
    parts = [lottery.public_source_text]
    if lottery.public_value_at:
        parts.append(f"{clock.local(lottery.public_value_at):%Y-%m-%d %H:%M:%S %Z}")
    source = lottery.public_source
    if source.get("url"):
        parts.append(source["url"])
    return " / ".join(parts)


@transaction.atomic
def round_public_source_set(
    *,
    lottery: LotteryRound,
    by: User | None,
    kind: str,
    text: str = "",
    value_at: dt.datetime | None = None,
) -> LotteryRound:
    """Name (or rename) the public value's source: only before applications open."""
    lottery = LotteryRound.objects.select_for_update().get(pk=lottery.pk)
    if not lottery.uses_public_value:
        raise DomainError("lottery_public_value_not_used")
    if clock.now() >= lottery.applications_open_at:
        raise DomainError("lottery_public_source_locked")
    fields = source_fields(
        kind=kind, text=text, value_at=value_at, applications_close_at=lottery.applications_close_at
    )
    for name, value in fields.items():
        setattr(lottery, name, value)
    lottery.save(update_fields=list(fields))
    commitment_add(lottery, C.SOURCE_FIXED, source_summary(lottery))
    audit_record(
        action=AuditAction.LOTTERY_PUBLIC_SOURCE,
        actor=by,
        municipality=lottery.municipality,
        target=lottery,
        data={"source": lottery.public_source},
    )
    return lottery


def _lock_for_value(lottery: LotteryRound) -> LotteryRound:
    lottery = LotteryRound.objects.select_for_update().get(pk=lottery.pk)
    if not lottery.uses_public_value:
        raise DomainError("lottery_public_value_not_used")
    if lottery.status == LotteryRound.Status.DRAWN:
        raise DomainError("lottery_already_drawn")
    if lottery.public_value_confirmed_at is not None:
        raise DomainError("lottery_public_value_confirmed", field="value")
    return lottery


@transaction.atomic
def round_public_value_enter(*, lottery: LotteryRound, by: User, value: str) -> LotteryRound:
    """A staff member enters the value read from the source, once the source has produced it
    (again, to correct it, until someone else confirms it)."""
    lottery = _lock_for_value(lottery)
    if lottery.public_value_at is None or clock.now() < lottery.public_value_at:
        when = clock.local(lottery.public_value_at) if lottery.public_value_at else None
        raise DomainError(
            "lottery_public_value_too_early",
            field="value",
            when=f"{when:%Y-%m-%d %H:%M:%S}" if when else "－",
        )
    value = public_value.value_clean(lottery.public_source_kind, value)
    lottery.public_value = value
    lottery.public_value_entered_by = by
    lottery.public_value_entered_at = clock.now()
    lottery.save(
        update_fields=["public_value", "public_value_entered_by", "public_value_entered_at"]
    )
    commitment_add(lottery, C.VALUE_ENTERED, value)
    audit_record(
        action=AuditAction.LOTTERY_PUBLIC_VALUE_ENTER,
        actor=by,
        municipality=lottery.municipality,
        target=lottery,
        data={"value": value},
    )
    return lottery


@transaction.atomic
def round_public_value_confirm(*, lottery: LotteryRound, by: User, value: str) -> LotteryRound:
    """A second staff member, not the one who entered it, reads the source again and types
    the same value: only then may the round be drawn."""
    lottery = _lock_for_value(lottery)
    if not lottery.public_value:
        raise DomainError("lottery_public_value_not_entered", field="value")
    if lottery.public_value_entered_by_id == by.pk:
        raise DomainError("lottery_public_value_same_person", field="value")
    if public_value.value_clean(lottery.public_source_kind, value) != lottery.public_value:
        raise DomainError("lottery_public_value_mismatch", field="value")
    lottery.public_value_confirmed_by = by
    lottery.public_value_confirmed_at = clock.now()
    lottery.save(update_fields=["public_value_confirmed_by", "public_value_confirmed_at"])
    commitment_add(lottery, C.VALUE_CONFIRMED, lottery.public_value)
    audit_record(
        action=AuditAction.LOTTERY_PUBLIC_VALUE_CONFIRM,
        actor=by,
        municipality=lottery.municipality,
        target=lottery,
        data={"value": lottery.public_value},
    )
    return lottery


def frozen_applications(lottery: LotteryRound) -> list[algorithm.Application] | None:
    """The applications as frozen at the close (None if not frozen yet)."""
    if lottery.applications_gzip is None:
        return None
    text = gzip.decompress(bytes(lottery.applications_gzip)).decode("utf-8")
    return [algorithm.Application.from_json(json.loads(line)) for line in text.splitlines()]


def freeze_locked(
    lottery: LotteryRound, applications: list[algorithm.Application]
) -> list[algorithm.Application]:
    """Freeze ``applications`` (the drawing's input) on a locked round: sorted by id, their
    canonical lines kept and hashed, the hash published. Returns them sorted."""
    rows = sorted(applications, key=lambda application: application.id)
    text = "".join(algorithm.canonical_line(application) + "\n" for application in rows)
    lottery.applications_gzip = gzip.compress(text.encode("utf-8"), compresslevel=1, mtime=0)
    lottery.applications_sha256 = algorithm.applications_hash(rows)
    lottery.applications_frozen_at = clock.now()
    lottery.save(
        update_fields=["applications_gzip", "applications_sha256", "applications_frozen_at"]
    )
    commitment_add(lottery, C.APPLICATIONS_FROZEN, lottery.applications_sha256)
    audit_record(
        action=AuditAction.LOTTERY_FREEZE,
        actor=None,
        municipality=lottery.municipality,
        target=lottery,
        data={"applications": len(rows), "applications_sha256": lottery.applications_sha256},
    )
    return rows


def lottery_freeze_due(*, now: dt.datetime | None = None) -> list[int]:
    """Rounds of -2 whose window has closed and whose applications are not frozen yet."""
    now = now or clock.now()
    return list(
        LotteryRound.objects.filter(
            algorithm=LotteryRound.ALGORITHM_2,
            applications_close_at__lte=now,
            applications_frozen_at__isnull=True,
        )
        .exclude(status=LotteryRound.Status.DRAWN)
        .values_list("pk", flat=True)
    )
