"""Writes of the multiple-accounts signals: the evidence (sightings) and staff decisions.

Every decision is one transaction that writes its audit rows; mails leave after commit.
Merging and deleting go through the registrants' own services (``registration_merge``,
``registration_delete``), which end the registration and what it holds and mail the person.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, Municipality, User
from yoyaku.core.services import audit_record
from yoyaku.integrity import evidence
from yoyaku.integrity.models import Sighting, SignalDecision
from yoyaku.integrity.selectors import Cluster
from yoyaku.lottery.models import LotteryRound
from yoyaku.notifications.services import email_template_queue
from yoyaku.registrants import services as registrants
from yoyaku.registrants.models import Registrant
from yoyaku.registrants.services import mail_context

# Sightings (keyed hashes of a device and a network prefix) are kept half a year: long
# enough to see a device used for many cards over two lottery seasons, no longer.
SIGHTING_RETENTION = dt.timedelta(days=180)

# Why a registration is deleted (抹消, Ukiha art. 8) when a signal proved a breach of art. 11.
DELETION_GROUNDS = {
    # 重複登録: art. 11.5 forbids it; a breach of the notice is art. 8 (5).
    "duplicate": (Registrant.DeletionReason.VIOLATION, "重複登録（第11条第5項違反）"),
    # ID の共用: art. 11.4 (letting a third party use one's ID and password); art. 8 (5).
    "shared_id": (
        Registrant.DeletionReason.VIOLATION,
        "利用者IDの第三者への使用（第11条第4項違反）",
    ),
    # 不正な登録・利用: registered by false or improper means, art. 8 (3).
    "improper": (Registrant.DeletionReason.FRAUD, "偽りその他不正の手段による登録・利用"),
}


def sighting_record(
    *,
    registrant: Registrant,
    kind: str,
    device_id: str | None,
    ip: str | None,
    lottery_round: LotteryRound | None = None,
) -> Sighting:
    """Note that ``registrant`` registered, logged in or applied to a lottery from this device
    and network. Only keyed hashes are stored (see ``evidence``); no raw address, no cookie."""
    return Sighting.objects.create(
        municipality_id=registrant.municipality_id,
        registrant=registrant,
        kind=Sighting.Kind(kind),
        at=clock.now(),
        device_hash=evidence.device_hash(device_id),
        network_hash=evidence.network_hash(ip),
        lottery_round=lottery_round,
    )


def sightings_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the sightings older than ``SIGHTING_RETENTION`` (the nightly job)."""
    cutoff = (now or clock.now()) - SIGHTING_RETENTION
    deleted, _ = Sighting.objects.filter(at__lt=cutoff).delete()
    return deleted


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", field="reason")
    return reason


def _decision(
    *, municipality: Municipality, cluster: Cluster, outcome: str, reason: str, by: User
) -> SignalDecision:
    return SignalDecision.objects.create(
        municipality=municipality,
        kind=cluster.kind,
        fingerprint=cluster.fingerprint,
        outcome=outcome,
        registrant_ids=list(cluster.member_ids),
        reason=reason,
        decided_at=clock.now(),
        decided_by=by,
    )


def _audit(
    *, action: AuditAction, municipality: Municipality, cluster: Cluster, by: User, **data
) -> None:
    audit_record(
        action=action,
        actor=by,
        municipality=municipality,
        data={
            "kind": cluster.kind,
            "fingerprint": cluster.fingerprint,
            "registrants": list(cluster.member_ids),
            **data,
        },
    )


@transaction.atomic
def signal_dismiss(
    *, municipality: Municipality, cluster: Cluster, by: User, reason: str
) -> SignalDecision:
    """Not a problem (a family, a shared office line): the same evidence is not shown again."""
    reason = _reason(reason)
    decision = _decision(
        municipality=municipality,
        cluster=cluster,
        outcome=SignalDecision.Outcome.DISMISSED,
        reason=reason,
        by=by,
    )
    _audit(
        action=AuditAction.SIGNAL_DISMISS,
        municipality=municipality,
        cluster=cluster,
        by=by,
        reason=reason,
    )
    return decision


@transaction.atomic
def signal_warn(
    *, municipality: Municipality, cluster: Cluster, by: User, reason: str
) -> SignalDecision:
    """A warning mail to each member (with an address) citing Ukiha art. 11: one registration
    per person or group (11.5), never lending one's ID (11.4). The cluster stays on the page,
    with the warning shown beside it."""
    reason = _reason(reason)
    decision = _decision(
        municipality=municipality,
        cluster=cluster,
        outcome=SignalDecision.Outcome.WARNED,
        reason=reason,
        by=by,
    )
    mailed = []
    for member in cluster.members:
        registrant = member["registrant"]
        if registrant.email:
            email_template_queue(
                to=[registrant.email],
                template="registration_warning",
                context=mail_context(registrant),
            )
            mailed.append(registrant.pk)
    _audit(
        action=AuditAction.SIGNAL_WARN,
        municipality=municipality,
        cluster=cluster,
        by=by,
        reason=reason,
        mailed=mailed,
    )
    return decision


def _member(cluster: Cluster, registrant_id: int | None) -> Registrant:
    for member in cluster.members:
        if member["registrant"].pk == registrant_id:
            return member["registrant"]
    raise DomainError("signal_member_invalid", field="keep")


@transaction.atomic
def signal_merge(
    *, municipality: Municipality, cluster: Cluster, keep_id: int | None, by: User, reason: str
) -> SignalDecision:
    """The members are one person (or group): every other member is merged into ``keep``
    (``registration_merge``: contact details move over, the other registration ends with
    what it holds, the person is told the number to use)."""
    reason = _reason(reason)
    keep = _member(cluster, keep_id)
    others = [m["registrant"] for m in cluster.members if m["registrant"].pk != keep.pk]
    for other in others:
        registrants.registration_merge(registrant=other, into=keep, by=by)
    decision = _decision(
        municipality=municipality,
        cluster=cluster,
        outcome=SignalDecision.Outcome.MERGED,
        reason=reason,
        by=by,
    )
    _audit(
        action=AuditAction.SIGNAL_MERGE,
        municipality=municipality,
        cluster=cluster,
        by=by,
        reason=reason,
        kept=keep.pk,
        merged=[other.pk for other in others],
    )
    return decision


@transaction.atomic
def signal_delete(
    *,
    municipality: Municipality,
    cluster: Cluster,
    targets: list[int],
    ground: str,
    by: User,
    reason: str,
) -> SignalDecision:
    """抹消 of the chosen members (``registration_delete``) for a breach of art. 11 found
    through the signal: ``ground`` is ``duplicate`` or ``shared_id`` (art. 8 (5), a breach of
    the notice) or ``improper`` (art. 8 (3), false or improper means)."""
    reason = _reason(reason)
    if ground not in DELETION_GROUNDS:
        raise DomainError("deletion_reason_invalid", field="ground")
    chosen = [_member(cluster, pk) for pk in dict.fromkeys(targets)]
    if not chosen:
        raise DomainError("signal_targets_required", field="targets")
    deletion_reason, label = DELETION_GROUNDS[ground]
    for registrant in chosen:
        registrants.registration_delete(
            registrant=registrant, by=by, reason=deletion_reason, note=f"{label}：{reason}"
        )
    decision = _decision(
        municipality=municipality,
        cluster=cluster,
        outcome=SignalDecision.Outcome.DELETED,
        reason=reason,
        by=by,
    )
    _audit(
        action=AuditAction.SIGNAL_DELETE,
        municipality=municipality,
        cluster=cluster,
        by=by,
        reason=reason,
        ground=ground,
        deleted=[r.pk for r in chosen],
    )
    return decision
