"""減免: a registrant asks for a reduction category; staff approve or refuse it."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, User
from yoyaku.core.services import audit_record
from yoyaku.registrants import states
from yoyaku.registrants.models import ReductionGrant, Registrant
from yoyaku.registrants.services.common import (
    Proof,
    notify,
)


@transaction.atomic
def reduction_request(*, registrant: Registrant, category, proof: Proof | None = None):
    """減免の申請: the registrant asks for a reduction category, with the proof it needs."""
    if category.municipality_id != registrant.municipality_id:
        raise DomainError("reduction_not_granted")
    if registrant.reduction_grants.filter(
        category=category,
        status__in=[ReductionGrant.Status.PENDING, ReductionGrant.Status.APPROVED],
    ).exists():
        raise DomainError("reduction_already_requested")
    if category.requires_approval and category.proof_description and proof is None:
        raise DomainError("reduction_proof_required")
    grant = ReductionGrant.objects.create(
        registrant=registrant,
        category=category,
        requested_at=clock.now(),
        status=ReductionGrant.Status.PENDING
        if category.requires_approval
        else ReductionGrant.Status.APPROVED,
    )
    if proof is not None:
        grant.proof.save(proof.name, proof.file, save=False)
        grant.proof_type = proof.content_type
        grant.save(update_fields=["proof", "proof_type"])
    audit_record(
        action=AuditAction.REDUCTION_REQUEST,
        actor=registrant.user,
        municipality=registrant.municipality,
        target=grant,
        data={"category": category.pk},
    )
    return grant


@transaction.atomic
def reduction_decide(
    *, grant, by: User, approve: bool, reason: str = "", valid_until: dt.date | None = None
):
    """Staff check the proof and approve (optionally until a date) or refuse with a reason."""
    verb = "approve" if approve else "reject"
    grant = states.REDUCTION_GRANT.lock(grant, verb)
    if not approve and not reason.strip():
        raise DomainError("reason_required")
    states.REDUCTION_GRANT.move(
        grant,
        verb,
        decided_at=clock.now(),
        decided_by=by,
        reason=reason.strip(),
        valid_until=valid_until,
        audit={
            "action": AuditAction.REDUCTION_APPROVE if approve else AuditAction.REDUCTION_REJECT,
            "actor": by,
            "municipality": grant.registrant.municipality,
        },
    )
    notify(
        grant.registrant,
        "reduction_decided",
        approved=approve,
        category=str(grant.category),
        reason=grant.reason,
    )
    return grant
