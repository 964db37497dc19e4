"""Writes of registrations: apply, review, changes, password, end of registration.

Every function is one transaction that writes its audit row; e-mails leave after commit.
The registrant's status follows ``TRANSITIONS``; a transition from another state raises
``DomainError("registrant_wrong_state")``.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.core.signing import BadSignature, SignatureExpired, TimestampSigner
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, Municipality, User
from yoyaku.core.services import audit_record
from yoyaku.notifications.services import email_template_queue
from yoyaku.registrants import hooks, normalize, states
from yoyaku.registrants.models import ChangeRequest, PendingUpload, ReductionGrant, Registrant
from yoyaku.security.services import action_throttle

S = Registrant.Status

# The verbs and the states they start from (for the console's buttons): ``states.REGISTRANT``.
TRANSITIONS: dict[str, frozenset[str]] = {
    verb: sources for verb, (sources, _target) in states.REGISTRANT.table.items()
}

# Changing these may change who is eligible (在住・在勤): staff review them.
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
SELF_SERVICE_FIELDS = {"phone"}
ANONYMOUS = "（匿名化済み）"


def _locked(registrant: Registrant, verb: str) -> Registrant:
    return states.REGISTRANT.lock(registrant, verb)


def _valid_until(start: dt.date, years: int) -> dt.date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def _new_user_number(municipality: Municipality) -> str:
    """Random, never sequential, unique in the municipality; no leading zero."""
    digits = municipality.user_number_digits
    taken = Registrant.objects.filter(municipality=municipality)
    for _attempt in range(50):
        number = str(secrets.randbelow(9 * 10 ** (digits - 1)) + 10 ** (digits - 1))
        if not taken.filter(user_number=number).exists():
            return number
    raise DomainError("user_number_exhausted")


def initial_password(birth_date: dt.date) -> str:
    """000 §2(2): the first password is the birth date, 8 digits YYYYMMDD."""
    return birth_date.strftime("%Y%m%d")


def _duplicates(municipality: Municipality, data: dict[str, Any]) -> list[Registrant]:
    """Same normalised kana name and birth date, or the same phone number or e-mail address."""
    candidates = Registrant.objects.filter(
        municipality=municipality, anonymized_at__isnull=True
    ).exclude(status__in=[S.REJECTED, S.MERGED])
    key = normalize.kana_key(data["name_kana"])
    by_person = [
        r
        for r in candidates.filter(birth_date=data["birth_date"])
        if normalize.kana_key(r.name_kana) == key
    ]
    phone = normalize.phone_digits(data["phone"])
    by_contact = Q(phone=data["phone"]) | Q(phone=phone)
    if data.get("email"):
        by_contact |= Q(email__iexact=data["email"])
    found = {r.pk: r for r in by_person}
    for r in candidates.filter(by_contact):
        found[r.pk] = r
    return list(found.values())


REGISTRANT_FIELDS = {
    "kind",
    "category",
    "name_kana",
    "name",
    "birth_date",
    "phone",
    "email",
    "postal_code",
    "prefecture",
    "city",
    "street",
    "group_name",
    "group_name_kana",
    "member_count",
    "activity",
    "workplace_name",
    "workplace_postal_code",
    "workplace_prefecture",
    "workplace_city",
    "workplace_street",
    "workplace_phone",
}


@dataclass(frozen=True)
class Proof:
    """An uploaded proof of employment, already checked by content (PDF, JPEG or PNG)."""

    file: File
    content_type: str
    name: str


PENDING_DIR = "pending"
PENDING_UPLOAD_ACTION = "registration_proof_upload"
PENDING_UPLOAD_WINDOW = dt.timedelta(hours=1)
# Applications not sent within this time lose their attachment (the hourly clean-up).
PENDING_UPLOAD_MAX_AGE = dt.timedelta(hours=1)


def pending_upload_store(
    *, upload: File, extension: str, ip: str | None, replaces: str | None = None
) -> str:
    """Keep an applicant's proof until the application is sent; returns its storage path.

    Anyone may post the registration form, so storing is limited: at most
    ``YOYAKU_PENDING_UPLOADS_PER_CLIENT_HOUR`` files per client address and hour, and at most
    ``YOYAKU_PENDING_UPLOADS_MAX_BYTES`` waiting in all. ``replaces``: the file this form
    session stored before, deleted once the new one is stored (one pending file per session).
    Raises ``DomainError`` (field ``employment_proof``) and stores nothing when refused.
    """
    size = upload.size
    waiting = PendingUpload.objects.exclude(path=replaces or "").aggregate(total=Sum("size"))
    if (waiting["total"] or 0) + size > settings.YOYAKU_PENDING_UPLOADS_MAX_BYTES:
        raise DomainError("pending_uploads_full", field="employment_proof")
    decision = action_throttle(
        action=PENDING_UPLOAD_ACTION,
        ip=ip,
        limit=settings.YOYAKU_PENDING_UPLOADS_PER_CLIENT_HOUR,
        window=PENDING_UPLOAD_WINDOW,
    )
    if not decision.allowed:
        raise DomainError(
            "pending_upload_throttled",
            field="employment_proof",
            minutes=decision.retry_after_minutes,
        )
    upload.seek(0)
    path = default_storage.save(
        f"{PENDING_DIR}/{uuid.uuid4().hex}.{extension}", ContentFile(upload.read())
    )
    PendingUpload.objects.create(path=path, size=size, stored_at=clock.now())
    if replaces:
        pending_upload_discard(path=replaces)
    return path


def pending_upload_discard(*, path: str) -> None:
    """Delete a pending proof (sent, replaced or abandoned); other paths are left alone."""
    if not path.startswith(f"{PENDING_DIR}/"):
        return
    default_storage.delete(path)
    PendingUpload.objects.filter(path=path).delete()


def pending_uploads_remove_abandoned(*, older_than: dt.timedelta = PENDING_UPLOAD_MAX_AGE) -> int:
    """Delete the pending proofs stored longer ago than ``older_than``; returns how many files.

    Files under ``pending/`` without a row (stored before the rows existed, or left by a
    crash) go by their modification time.
    """
    cutoff = clock.now() - older_than
    removed = 0
    for path in PendingUpload.objects.filter(stored_at__lt=cutoff).values_list("path", flat=True):
        removed += default_storage.exists(path)
        pending_upload_discard(path=path)
    if not default_storage.exists(PENDING_DIR):
        return removed
    known = set(PendingUpload.objects.values_list("path", flat=True))
    for name in default_storage.listdir(PENDING_DIR)[1]:
        path = f"{PENDING_DIR}/{name}"
        if path not in known and default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            removed += 1
    return removed


def registration_apply(
    *,
    municipality: Municipality,
    data: dict[str, Any],
    proof: Proof | None = None,
    channel: str = Registrant.Channel.ONLINE,
    by: User | None = None,
    ip_address: str | None = None,
) -> Registrant:
    """利用者登録の申請: create the registrant and its log-in, and tell the person the number.

    ``data`` has been cleaned by the registration form (normalised values). Online
    applications need an e-mail address; counter and postal ones get their number by post.
    Side effects: the user-number e-mail (online, or when an address was given), an audit row.
    """
    if channel == Registrant.Channel.ONLINE and not data.get("email"):
        raise DomainError("registration_email_required")
    if data.get("category") == Registrant.Category.WORKER and proof is None and channel == "online":
        raise DomainError("registration_proof_required")
    now = clock.now()
    fields = {k: v for k, v in data.items() if k in REGISTRANT_FIELDS}
    for _attempt in range(5):
        try:
            with transaction.atomic():
                number = _new_user_number(municipality)
                user = User.objects.create_user(
                    username=User.make_username(municipality, User.Kind.REGISTRANT, number),
                    password=initial_password(data["birth_date"]),
                    municipality=municipality,
                    login_id=number,
                    kind=User.Kind.REGISTRANT,
                    email=data.get("email", ""),
                    display_name=data.get("group_name") or data["name"],
                )
                duplicates = _duplicates(municipality, data)
                registrant = Registrant.objects.create(
                    municipality=municipality,
                    user=user,
                    user_number=number,
                    channel=channel,
                    status=S.APPLIED,
                    registered_at=now,
                    valid_until=_valid_until(
                        clock.local(now).date(), municipality.registration_validity_years
                    ),
                    duplicate_suspected=bool(duplicates),
                    **fields,
                )
                if duplicates:
                    registrant.possible_duplicates.set(duplicates)
                if proof is not None:
                    registrant.employment_proof.save(proof.name, proof.file, save=False)
                    registrant.employment_proof_type = proof.content_type
                    registrant.save(update_fields=["employment_proof", "employment_proof_type"])
                audit_record(
                    action=AuditAction.REGISTRATION_APPLY,
                    actor=by,
                    municipality=municipality,
                    target=registrant,
                    data={"channel": channel, "duplicate_suspected": bool(duplicates)},
                    ip_address=ip_address,
                )
                if registrant.email:
                    email_template_queue(
                        to=[registrant.email],
                        template="registration_applied",
                        # The address is not confirmed yet: nothing the applicant typed.
                        context=mail_context(registrant, name=""),
                    )
                return registrant
        except IntegrityError:
            continue  # two applicants drew the same number at once: draw again
    raise DomainError("user_number_exhausted")


def mail_context(registrant: Registrant, **extra: Any) -> dict[str, Any]:
    municipality = registrant.municipality
    return {
        "municipality_name": municipality.name,
        "system_name": municipality.system_name,
        "municipality_slug": municipality.slug,
        "user_number": registrant.user_number,
        "name": registrant.display_name,
        "status": registrant.get_status_display(),
        "book_before_review": municipality.registration_mode
        == Municipality.RegistrationMode.BOOK_BEFORE_REVIEW,
        "valid_until": registrant.valid_until.isoformat() if registrant.valid_until else "",
        "contact_text": municipality.contact_text,
        "site_url": settings.YOYAKU_SITE_URL,
        **extra,
    }


def _notify(registrant: Registrant, template: str, **extra: Any) -> None:
    if registrant.email:
        email_template_queue(
            to=[registrant.email], template=template, context=mail_context(registrant, **extra)
        )


@transaction.atomic
def registration_approve(*, registrant: Registrant, by: User) -> Registrant:
    """資格確認の完了: the registrant becomes active; the card is printed from the console."""
    registrant = _locked(registrant, "approve")
    if registrant.duplicate_suspected:
        raise DomainError("registration_duplicate_unresolved")
    registrant.status = S.ACTIVE
    registrant.approved_at = clock.now()
    registrant.staff_message = ""
    registrant.save(update_fields=["status", "approved_at", "staff_message"])
    audit_record(
        action=AuditAction.REGISTRATION_APPROVE,
        actor=by,
        municipality=registrant.municipality,
        target=registrant,
    )
    _notify(registrant, "registration_approved")
    return registrant


@transaction.atomic
def registration_reject(*, registrant: Registrant, by: User, reason: str) -> Registrant:
    """Eligibility could not be confirmed: the registration ends, and with it every
    reservation and lottery application of the registrant (000 §2(1))."""
    reason = reason.strip()
    if not reason:
        raise DomainError("reason_required")
    registrant = _locked(registrant, "reject")
    _end(registrant, S.REJECTED)
    registrant.staff_message = reason
    registrant.save(update_fields=["staff_message"])
    cancelled = _cancel_everything(registrant, by=by, reason=reason)
    audit_record(
        action=AuditAction.REGISTRATION_REJECT,
        actor=by,
        municipality=registrant.municipality,
        target=registrant,
        data={"cancelled": cancelled},
    )
    _notify(registrant, "registration_rejected", reason=reason)
    return registrant


@transaction.atomic
def registration_request_info(*, registrant: Registrant, by: User, message: str) -> Registrant:
    message = message.strip()
    if not message:
        raise DomainError("reason_required")
    registrant = _locked(registrant, "request_info")
    registrant.status = S.INFO_REQUESTED
    registrant.staff_message = message
    registrant.save(update_fields=["status", "staff_message"])
    audit_record(
        action=AuditAction.REGISTRATION_REQUEST_INFO,
        actor=by,
        municipality=registrant.municipality,
        target=registrant,
    )
    _notify(registrant, "registration_info_requested", message=message)
    return registrant


@transaction.atomic
def registration_reply(
    *, registrant: Registrant, reply: str, proof: Proof | None = None
) -> Registrant:
    """The applicant answers a request for information (and may attach a new proof)."""
    registrant = _locked(registrant, "reply")
    reply = reply.strip()
    if not reply and proof is None:
        raise DomainError("reply_required")
    registrant.applicant_reply = reply
    registrant.status = S.APPLIED
    update = ["applicant_reply", "status"]
    if proof is not None:
        registrant.employment_proof.save(proof.name, proof.file, save=False)
        registrant.employment_proof_type = proof.content_type
        update += ["employment_proof", "employment_proof_type"]
    registrant.save(update_fields=update)
    audit_record(
        action=AuditAction.REGISTRATION_REPLY,
        actor=registrant.user,
        municipality=registrant.municipality,
        target=registrant,
    )
    return registrant


@transaction.atomic
def registration_clear_duplicate(*, registrant: Registrant, by: User) -> Registrant:
    """Staff checked the flagged candidates: a different person, not a duplicate."""
    registrant = Registrant.objects.select_for_update().get(pk=registrant.pk)
    registrant.duplicate_suspected = False
    registrant.save(update_fields=["duplicate_suspected"])
    audit_record(
        action=AuditAction.REGISTRATION_NOT_DUPLICATE,
        actor=by,
        municipality=registrant.municipality,
        target=registrant,
        data={"candidates": list(registrant.possible_duplicates.values_list("pk", flat=True))},
    )
    return registrant


@transaction.atomic
def registration_merge(*, registrant: Registrant, into: Registrant, by: User) -> Registrant:
    """A duplicate application is closed; the newer contact details go to the existing one."""
    registrant = _locked(registrant, "merge")
    into = Registrant.objects.select_for_update().get(pk=into.pk)
    if into.municipality_id != registrant.municipality_id or into.pk == registrant.pk:
        raise DomainError("merge_target_invalid")
    if into.is_ended:
        raise DomainError("merge_target_invalid")
    for field in ("phone", "email", "postal_code", "prefecture", "city", "street"):
        value = getattr(registrant, field)
        if value:
            setattr(into, field, value)
    into.save()
    if into.email:
        into.user.email = into.email
        into.user.save(update_fields=["email"])
    _end(registrant, S.MERGED)
    _cancel_everything(registrant, by=by, reason="重複登録のため統合")
    registrant.merged_into = into
    registrant.duplicate_suspected = False
    registrant.save(update_fields=["merged_into", "duplicate_suspected"])
    audit_record(
        action=AuditAction.REGISTRATION_MERGE,
        actor=by,
        municipality=registrant.municipality,
        target=registrant,
        data={"into": into.pk},
    )
    _notify(registrant, "registration_merged", existing_number=into.user_number)
    return registrant


def _end(registrant: Registrant, status: str) -> None:
    registrant.status = status
    registrant.ended_at = clock.now()
    registrant.save(update_fields=["status", "ended_at"])
    user = registrant.user
    # Expired registrants still log in to see their history; every other end closes log-in.
    if status != S.EXPIRED:
        user.is_active = False
        user.save(update_fields=["is_active"])


def _cancel_everything(registrant: Registrant, *, by: User | None, reason: str) -> int:
    """Cancel the registrant's future reservations and lottery applications.

    Reservations and lotteries register their end handlers in ``registrants.hooks``; the count
    of what was cancelled goes into the audit row.
    """
    return hooks.cancel_all_for_registrant(registrant=registrant, by=by, reason=reason)


@transaction.atomic
def registration_deregister(*, registrant: Registrant) -> Registrant:
    """廃止 at the registrant's request (Ukiha art. 7); refused while obligations remain."""
    registrant = _locked(registrant, "deregister")
    obligations = hooks.open_obligations(registrant=registrant)
    if obligations:
        raise DomainError("deregister_has_obligations", what="、".join(obligations))
    _end(registrant, S.DEREGISTERED)
    registrant.deletion_reason = Registrant.DeletionReason.DEREGISTRATION
    registrant.save(update_fields=["deletion_reason"])
    # Obligations left no future reservation, but open lottery applications must leave
    # their rounds (and the staff demand table) like on any other end of a registration.
    cancelled = _cancel_everything(registrant, by=registrant.user, reason="利用者登録の廃止")
    audit_record(
        action=AuditAction.REGISTRATION_DEREGISTER,
        actor=registrant.user,
        municipality=registrant.municipality,
        target=registrant,
        data={"cancelled": cancelled},
    )
    _notify(registrant, "registration_deregistered")
    return registrant


@transaction.atomic
def registration_delete(
    *, registrant: Registrant, by: User, reason: str, note: str = ""
) -> Registrant:
    """抹消 by staff for one of the seven reasons of Ukiha art. 8."""
    if reason not in Registrant.DeletionReason.values:
        raise DomainError("deletion_reason_invalid")
    registrant = _locked(registrant, "delete")
    # The note is the staff's record only: the person's mails and pages give the reason.
    label = str(Registrant.DeletionReason(reason).label)
    cancelled = _cancel_everything(registrant, by=by, reason=f"利用者登録の抹消（{label}）")
    _end(registrant, S.DELETED)
    registrant.deletion_reason = reason
    registrant.deletion_note = note.strip()
    registrant.save(update_fields=["deletion_reason", "deletion_note"])
    audit_record(
        action=AuditAction.REGISTRATION_DELETE,
        actor=by,
        municipality=registrant.municipality,
        target=registrant,
        data={"reason": reason, "cancelled": cancelled},
    )
    _notify(registrant, "registration_deleted", reason=Registrant.DeletionReason(reason).label)
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
    *, registrant: Registrant, changes: dict[str, Any], proof: Proof | None = None
) -> ChangeRequest | None:
    """登録事項の変更. Phone changes apply at once; changes that affect eligibility (address,
    category, workplace) wait for staff review; a new e-mail address is confirmed by link.

    Returns the change request when one was opened for review.
    """
    registrant = _locked(registrant, "change_details")
    changes = {k: v for k, v in changes.items() if getattr(registrant, k) != v}
    changes.pop("email", None)  # goes through email_change_request
    direct = {k: v for k, v in changes.items() if k in SELF_SERVICE_FIELDS}
    review = {k: v for k, v in changes.items() if k in ELIGIBILITY_FIELDS}
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
        request = registrant_details_change(registrant=registrant, changes=changes, proof=proof)
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
    request = (
        ChangeRequest.objects.select_for_update().select_related("registrant").get(pk=request.pk)
    )
    if request.status != ChangeRequest.Status.PENDING:
        raise DomainError("change_request_decided")
    registrant = Registrant.objects.select_for_update().get(pk=request.registrant_id)
    if approve:
        for field, value in request.changes.items():
            setattr(registrant, field, value)
        if request.employment_proof:
            registrant.employment_proof = request.employment_proof
            registrant.employment_proof_type = request.employment_proof_type
        registrant.save()
    elif not reason.strip():
        raise DomainError("reason_required")
    request.status = ChangeRequest.Status.APPROVED if approve else ChangeRequest.Status.REJECTED
    request.decided_at = clock.now()
    request.decided_by = by
    request.reason = reason.strip()
    request.save(update_fields=["status", "decided_at", "decided_by", "reason"])
    audit_record(
        action=AuditAction.REGISTRANT_CHANGE_APPROVE
        if approve
        else AuditAction.REGISTRANT_CHANGE_REJECT,
        actor=by,
        municipality=registrant.municipality,
        target=registrant,
        data={"fields": sorted(request.changes)},
    )
    _notify(
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


def registrant_record_use(*, registrant: Registrant) -> None:
    """Called by booking and lottery services: a use renews the validity (Ukiha art. 5)."""
    Registrant.objects.filter(pk=registrant.pk).update(last_used_at=clock.now())


def validity_daily(*, today: dt.date | None = None) -> dict[str, int]:
    """The daily job of Ukiha art. 5: renew registrations used in the past two years, expire
    the rest, and warn 30 days ahead those that will expire."""
    today = today or clock.today()
    renewed = expired = warned = 0
    due = Registrant.objects.filter(status=S.ACTIVE, valid_until__lt=today).select_related(
        "municipality", "user"
    )
    for registrant in due:
        with transaction.atomic():
            registrant = Registrant.objects.select_for_update().get(pk=registrant.pk)
            if registrant.status != S.ACTIVE or registrant.valid_until >= today:
                continue
            years = registrant.municipality.registration_validity_years
            if _used_within(registrant, years):
                while registrant.valid_until < today:
                    registrant.valid_until = _valid_until(registrant.valid_until, years)
                registrant.save(update_fields=["valid_until"])
                audit_record(
                    action=AuditAction.REGISTRATION_RENEW,
                    municipality=registrant.municipality,
                    target=registrant,
                    data={"valid_until": registrant.valid_until.isoformat()},
                )
                renewed += 1
            else:
                _end(registrant, S.EXPIRED)
                audit_record(
                    action=AuditAction.REGISTRATION_EXPIRE,
                    municipality=registrant.municipality,
                    target=registrant,
                )
                _notify(registrant, "registration_expired")
                expired += 1
    warn_day = today + dt.timedelta(days=30)
    for registrant in (
        Registrant.objects.filter(status=S.ACTIVE, valid_until=warn_day)
        .exclude(expiry_notice_for=warn_day)
        .select_related("municipality")
    ):
        if _used_within(registrant, registrant.municipality.registration_validity_years):
            continue  # will be renewed automatically
        with transaction.atomic():
            Registrant.objects.filter(pk=registrant.pk).update(expiry_notice_for=warn_day)
            _notify(registrant, "registration_expiry_warning")
        warned += 1
    return {"renewed": renewed, "expired": expired, "warned": warned}


def _used_within(registrant: Registrant, years: int) -> bool:
    if registrant.last_used_at is None:
        return False
    window_start = _valid_until(registrant.valid_until, -years)
    return clock.local(registrant.last_used_at).date() >= window_start


def anonymize_ended(*, now: dt.datetime | None = None) -> int:
    """Remove personal data of registrations ended longer ago than the retention period.

    What statistics need stays: municipality, kind, category, birth year, postal area,
    dates of registration and end.
    """
    now = now or clock.now()
    cutoff = now - dt.timedelta(days=settings.YOYAKU_RETENTION_DAYS)
    count = 0
    for registrant in Registrant.objects.filter(
        status__in=Registrant.ENDED, ended_at__lt=cutoff, anonymized_at__isnull=True
    ):
        with transaction.atomic():
            registrant = (
                Registrant.objects.select_for_update().select_related("user").get(pk=registrant.pk)
            )
            if registrant.employment_proof:
                registrant.employment_proof.delete(save=False)
            for request in registrant.change_requests.all():
                if request.employment_proof:
                    request.employment_proof.delete(save=False)
                request.changes = {}
                request.save(update_fields=["changes", "employment_proof"])
            registrant.name = registrant.name_kana = ANONYMOUS
            registrant.group_name = ANONYMOUS if registrant.group_name else ""
            registrant.group_name_kana = ""
            registrant.birth_date = registrant.birth_date.replace(month=1, day=1)
            registrant.phone = registrant.email = registrant.street = ""
            registrant.postal_code = registrant.postal_code[:3]
            for field in (
                "workplace_name",
                "workplace_postal_code",
                "workplace_city",
                "workplace_street",
                "workplace_phone",
                "activity",
                "staff_message",
                "applicant_reply",
                "deletion_note",
            ):
                setattr(registrant, field, "")
            registrant.employment_proof = ""
            registrant.employment_proof_type = ""
            registrant.anonymized_at = now
            registrant.save()
            registrant.possible_duplicates.clear()
            user = registrant.user
            user.set_unusable_password()
            user.email = ""
            user.display_name = ""
            user.is_active = False
            user.save(update_fields=["password", "email", "display_name", "is_active"])
            audit_record(
                action=AuditAction.REGISTRATION_ANONYMIZE,
                municipality=registrant.municipality,
                target=registrant,
            )
        count += 1
    return count


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
    _notify(
        grant.registrant,
        "reduction_decided",
        approved=approve,
        category=str(grant.category),
        reason=grant.reason,
    )
    return grant
