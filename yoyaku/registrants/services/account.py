"""The registrant's own account: password, 変更届 (details change) and its review, the e-mail
address, and the end of a registration (廃止 by the person, 抹消 by staff).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.signing import BadSignature, SignatureExpired, TimestampSigner
from django.db import transaction

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, User
from yoyaku.core.services import audit_record
from yoyaku.notifications.services import email_template_queue
from yoyaku.registrants import hooks, normalize, states
from yoyaku.registrants.models import ChangeRequest, Registrant
from yoyaku.registrants.services.common import (
    Proof,
    cancel_everything,
    end_registration,
    initial_password,
    locked,
    mail_context,
    notify,
)

ELIGIBILITY_FIELDS = {
    "category",
    "postal_code",
    "prefecture",
    "city",
    "street",
    "workplace_name",
    "workplace_postal_code",
    "workplace_prefecture",
    "workplace_city",
    "workplace_street",
    "workplace_phone",
}
# A new name (e.g. after marriage) is checked by staff against the attached document.
NAME_FIELDS = {"name", "name_kana"}
REVIEW_FIELDS = ELIGIBILITY_FIELDS | NAME_FIELDS
SELF_SERVICE_FIELDS = {"phone"}


@transaction.atomic
def registration_deregister(*, registrant: Registrant) -> Registrant:
    """廃止 at the registrant's request (Ukiha art. 7); refused while obligations remain."""
    registrant = locked(registrant, "deregister")
    obligations = hooks.open_obligations(registrant=registrant)
    if obligations:
        raise DomainError("deregister_has_obligations", what="、".join(obligations))
    end_registration(
        registrant,
        "deregister",
        audit=None,
        deletion_reason=Registrant.DeletionReason.DEREGISTRATION,
    )
    # Obligations left no future reservation, but open lottery applications must leave
    # their rounds (and the staff demand table) like on any other end of a registration.
    cancelled = cancel_everything(registrant, by=registrant.user, reason="利用者登録の廃止")
    audit_record(
        action=AuditAction.REGISTRATION_DEREGISTER,
        actor=registrant.user,
        municipality=registrant.municipality,
        target=registrant,
        data={"cancelled": cancelled},
    )
    notify(registrant, "registration_deregistered")
    return registrant


@transaction.atomic
def registration_delete(
    *, registrant: Registrant, by: User, reason: str, note: str = ""
) -> Registrant:
    """抹消 by staff for one of the seven reasons of Ukiha art. 8."""
    if reason not in Registrant.DeletionReason.values:
        raise DomainError("deletion_reason_invalid")
    registrant = locked(registrant, "delete")
    # The note is the staff's record only: the person's mails and pages give the reason.
    label = str(Registrant.DeletionReason(reason).label)
    cancelled = cancel_everything(registrant, by=by, reason=f"利用者登録の抹消（{label}）")
    end_registration(
        registrant, "delete", audit=None, deletion_reason=reason, deletion_note=note.strip()
    )
    audit_record(
        action=AuditAction.REGISTRATION_DELETE,
        actor=by,
        municipality=registrant.municipality,
        target=registrant,
        data={"reason": reason, "cancelled": cancelled},
    )
    notify(registrant, "registration_deleted", reason=Registrant.DeletionReason(reason).label)
    return registrant


def registrant_password_change(*, registrant: Registrant, current: str, new: str) -> None:
    """Self-service (Ukiha art. 6): 8–12 letters and digits, not the birth date."""
    user = registrant.user
    if not user.check_password(current):
        raise DomainError("password_current_wrong")
    _set_password(registrant, new, action=AuditAction.REGISTRANT_PASSWORD_CHANGE)


def validate_new_password(*, registrant: Registrant, new: str) -> None:
    if not (8 <= len(new) <= 12 and new.isascii() and new.isalnum()):
        raise DomainError("password_format")
    if new == initial_password(registrant.birth_date):
        raise DomainError("password_is_birth_date")


def registrant_password_reset(*, registrant: Registrant, new: str) -> None:
    """Set a new password after the e-mailed reset link was followed."""
    _set_password(registrant, new, action=AuditAction.REGISTRANT_PASSWORD_RESET)


@transaction.atomic
def _set_password(registrant: Registrant, new: str, *, action: str) -> None:
    validate_new_password(registrant=registrant, new=new)
    registrant.user.set_password(new)
    registrant.user.save(update_fields=["password"])
    Registrant.objects.filter(pk=registrant.pk).update(password_is_initial=False)
    audit_record(
        action=action,
        actor=registrant.user,
        municipality=registrant.municipality,
        target=registrant,
    )


@transaction.atomic
def registrant_details_change(
    *,
    registrant: Registrant,
    changes: dict[str, Any],
    proof: Proof | None = None,
    name_proof: Proof | None = None,
) -> ChangeRequest | None:
    """登録事項の変更. Phone changes apply at once; changes that affect eligibility (address,
    category, workplace) and a new name (氏名・フリガナ) wait for staff review; a new e-mail
    address is confirmed by link.

    ``proof``: a new proof of employment; ``name_proof``: the document showing the new name,
    required with a change of name (``DomainError`` naming ``name_proof``) and kept with the
    request only. Returns the change request when one was opened for review.
    """
    registrant = locked(registrant, "change_details")
    changes = {k: v for k, v in changes.items() if getattr(registrant, k) != v}
    changes.pop("email", None)  # goes through email_change_request
    direct = {k: v for k, v in changes.items() if k in SELF_SERVICE_FIELDS}
    review = {k: v for k, v in changes.items() if k in REVIEW_FIELDS}
    renamed = bool(NAME_FIELDS & set(review))
    if renamed and name_proof is None:
        raise DomainError("name_change_proof_required", field="name_proof")
    if not direct and not review and proof is None:
        raise DomainError("nothing_changed")
    for field, value in direct.items():
        setattr(registrant, field, value)
    if direct:
        registrant.save(update_fields=list(direct))
    request = None
    if review or proof is not None:
        if registrant.change_requests.filter(status=ChangeRequest.Status.PENDING).exists():
            raise DomainError("change_request_pending")
        if review.get("category", registrant.category) == Registrant.Category.WORKER and (
            proof is None and any(k.startswith("workplace") or k == "category" for k in review)
        ):
            raise DomainError("registration_proof_required")
        request = ChangeRequest.objects.create(
            registrant=registrant,
            changes={k: str(v) for k, v in review.items()},
            created_at=clock.now(),
        )
        if proof is not None:
            request.employment_proof.save(proof.name, proof.file, save=False)
            request.employment_proof_type = proof.content_type
            request.save(update_fields=["employment_proof", "employment_proof_type"])
        if renamed and name_proof is not None:
            request.name_proof.save(name_proof.name, name_proof.file, save=False)
            request.name_proof_type = name_proof.content_type
            request.save(update_fields=["name_proof", "name_proof_type"])
    audit_record(
        action=AuditAction.REGISTRANT_CHANGE,
        actor=registrant.user,
        municipality=registrant.municipality,
        target=registrant,
        data={"direct": sorted(direct), "review": sorted(review)},
    )
    return request


@dataclass(frozen=True)
class DetailsChanged:
    email_link_sent: bool
    review_opened: bool
    changed_at_once: bool


@transaction.atomic
def registrant_details_update(
    *,
    registrant: Registrant,
    changes: dict[str, Any],
    new_email: str = "",
    proof: Proof | None = None,
    name_proof: Proof | None = None,
) -> DetailsChanged:
    """The whole 変更届 form in one transaction: a new e-mail address gets its confirmation
    link, the other details change or go to review. A refusal of either leaves nothing done
    (and no link sent: mails leave only after commit)."""
    email_sent = False
    if new_email and normalize.email(new_email).lower() != registrant.email.lower():
        email_change_request(registrant=registrant, new_email=new_email)
        email_sent = True
    changes = {k: v for k, v in changes.items() if k != "email"}
    request = None
    other = any(changes.get(k) != getattr(registrant, k) for k in changes) or proof is not None
    if other:
        request = registrant_details_change(
            registrant=registrant, changes=changes, proof=proof, name_proof=name_proof
        )
    if not email_sent and not other:
        raise DomainError("nothing_changed")
    return DetailsChanged(
        email_link_sent=email_sent,
        review_opened=request is not None,
        changed_at_once=other and request is None,
    )


@transaction.atomic
def change_request_decide(
    *, request: ChangeRequest, by: User, approve: bool, reason: str = ""
) -> ChangeRequest:
    """Staff approve (the requested values and proof replace the registered ones) or refuse
    with a reason; the registrant is told by e-mail. The audit row is the registrant's."""
    verb = "approve" if approve else "reject"
    request = states.CHANGE_REQUEST.lock(request, verb)
    registrant = Registrant.objects.select_for_update().get(pk=request.registrant_id)
    if approve:
        for field, value in request.changes.items():
            setattr(registrant, field, value)
        if request.employment_proof:
            registrant.employment_proof = request.employment_proof
            registrant.employment_proof_type = request.employment_proof_type
        registrant.save()
        if NAME_FIELDS & set(request.changes):
            # The log-in's name follows (a group keeps its group name).
            registrant.user.display_name = registrant.display_name
            registrant.user.save(update_fields=["display_name"])
    elif not reason.strip():
        raise DomainError("reason_required")
    # The audit row belongs to the registrant (whose history the console shows), not to the
    # request: written here rather than by the lifecycle helper.
    states.CHANGE_REQUEST.move(
        request, verb, audit=None, decided_at=clock.now(), decided_by=by, reason=reason.strip()
    )
    audit_record(
        action=AuditAction.REGISTRANT_CHANGE_APPROVE
        if approve
        else AuditAction.REGISTRANT_CHANGE_REJECT,
        actor=by,
        municipality=registrant.municipality,
        target=registrant,
        data={"fields": sorted(request.changes)},
    )
    notify(
        registrant,
        "change_approved" if approve else "change_rejected",
        reason=request.reason,
    )
    return request


EMAIL_SIGNER_SALT = "yoyaku.registrant.email-change"
EMAIL_LINK_MAX_AGE = 48 * 3600


def email_change_request(*, registrant: Registrant, new_email: str) -> str:
    """Send a confirmation link to the new address; nothing changes until it is followed."""
    new_email = normalize.email(new_email)
    if not new_email or new_email.lower() == registrant.email.lower():
        raise DomainError("nothing_changed")
    token = TimestampSigner(salt=EMAIL_SIGNER_SALT).sign_object(
        {"r": registrant.pk, "e": new_email}
    )
    with transaction.atomic():
        audit_record(
            action=AuditAction.REGISTRANT_EMAIL_CHANGE_REQUEST,
            actor=registrant.user,
            municipality=registrant.municipality,
            target=registrant,
        )
        email_template_queue(
            to=[new_email],
            template="email_change_confirm",
            # An address not confirmed yet: nothing the registrant typed.
            context=mail_context(registrant, name="", token=token),
        )
    return token


@transaction.atomic
def email_change_confirm(*, registrant: Registrant, token: str) -> Registrant:
    try:
        payload = TimestampSigner(salt=EMAIL_SIGNER_SALT).unsign_object(
            token, max_age=EMAIL_LINK_MAX_AGE
        )
    except SignatureExpired as exc:
        raise DomainError("link_expired") from exc
    except BadSignature as exc:
        raise DomainError("link_invalid") from exc
    if payload.get("r") != registrant.pk:
        raise DomainError("link_invalid")
    registrant = Registrant.objects.select_for_update().select_related("user").get(pk=registrant.pk)
    registrant.email = payload["e"]
    registrant.save(update_fields=["email"])
    registrant.user.email = payload["e"]
    registrant.user.save(update_fields=["email"])
    audit_record(
        action=AuditAction.REGISTRANT_EMAIL_CHANGE,
        actor=registrant.user,
        municipality=registrant.municipality,
        target=registrant,
    )
    return registrant
