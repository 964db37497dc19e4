"""利用者登録: the application (with its pending proof), review decisions, duplicates and merging.

Every function is one transaction that writes its audit row; e-mails leave after commit.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, AuditVia, Municipality, User
from yoyaku.core.services import audit_record
from yoyaku.notifications.services import email_template_queue
from yoyaku.registrants import normalize, rules, states
from yoyaku.registrants.models import PendingUpload, Registrant
from yoyaku.registrants.services.common import (
    Proof,
    S,
    cancel_everything,
    end_registration,
    initial_password,
    locked,
    mail_context,
    notify,
    years_after,
)
from yoyaku.registrants.services.terms import terms_agreement_record, terms_for_version
from yoyaku.security.services import action_throttle


def _new_user_number(municipality: Municipality) -> str:
    """Random, never sequential, unique in the municipality; no leading zero."""
    digits = municipality.user_number_digits
    taken = Registrant.objects.filter(municipality=municipality)
    for _attempt in range(50):
        number = str(secrets.randbelow(9 * 10 ** (digits - 1)) + 10 ** (digits - 1))
        if not taken.filter(user_number=number).exists():
            return number
    raise DomainError("user_number_exhausted")


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
    terms_version: int | None = None,
) -> Registrant:
    """利用者登録の申請: create the registrant and its log-in, and tell the person the number.

    ``data`` holds normalised values (the registration form cleans them). Refused with a
    ``DomainError`` naming the field, nothing stored: a missing required value, and what
    ``rules.registration_problems`` finds (category, age, a worker's workplace and proof).
    Online applications need an e-mail address; counter and postal ones get their number by
    post. ``terms_version``: the version of the terms of use the person agreed to (on the form,
    or on the paper application as staff confirmed); refused unless it is the current one
    (when the municipality has terms). Side effects: the agreement row (version and time), the
    user-number e-mail (online, or when an address was given), an audit row.
    """
    if channel == Registrant.Channel.ONLINE and not data.get("email"):
        raise DomainError("registration_email_required", field="email")
    for name in rules.REQUIRED_FIELDS:
        if data.get(name) in (None, ""):
            raise DomainError("required", field=name)
    problems = rules.registration_problems(
        municipality=municipality, data=data, channel=channel, has_proof=proof is not None
    )
    if problems:
        raise problems[0]
    terms = terms_for_version(municipality=municipality, version=terms_version)
    via = AuditVia.STAFF if by is not None and by.kind == User.Kind.STAFF else AuditVia.CITIZEN
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
                    valid_until=years_after(
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
                if terms is not None:
                    terms_agreement_record(registrant=registrant, terms=terms, via=via, by=by)
                audit_record(
                    action=AuditAction.REGISTRATION_APPLY,
                    actor=by,
                    municipality=municipality,
                    target=registrant,
                    data={
                        "channel": channel,
                        "duplicate_suspected": bool(duplicates),
                        "terms_version": terms.version if terms is not None else None,
                    },
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


@transaction.atomic
def registration_approve(*, registrant: Registrant, by: User) -> Registrant:
    """資格確認の完了: the registrant becomes active; the card is printed from the console."""
    registrant = locked(registrant, "approve")
    if registrant.duplicate_suspected:
        raise DomainError("registration_duplicate_unresolved")
    states.REGISTRANT.move(
        registrant,
        "approve",
        approved_at=clock.now(),
        staff_message="",
        audit={
            "action": AuditAction.REGISTRATION_APPROVE,
            "actor": by,
            "municipality": registrant.municipality,
        },
    )
    notify(registrant, "registration_approved")
    return registrant


@transaction.atomic
def registration_reject(*, registrant: Registrant, by: User, reason: str) -> Registrant:
    """Eligibility could not be confirmed: the registration ends, and with it every
    reservation and lottery application of the registrant (000 §2(1))."""
    reason = reason.strip()
    if not reason:
        raise DomainError("reason_required")
    registrant = locked(registrant, "reject")
    end_registration(registrant, "reject", audit=None, staff_message=reason)
    cancelled = cancel_everything(registrant, by=by, reason=reason)
    audit_record(
        action=AuditAction.REGISTRATION_REJECT,
        actor=by,
        municipality=registrant.municipality,
        target=registrant,
        data={"cancelled": cancelled},
    )
    notify(registrant, "registration_rejected", reason=reason)
    return registrant


@transaction.atomic
def registration_request_info(*, registrant: Registrant, by: User, message: str) -> Registrant:
    message = message.strip()
    if not message:
        raise DomainError("reason_required")
    registrant = locked(registrant, "request_info")
    states.REGISTRANT.move(
        registrant,
        "request_info",
        staff_message=message,
        audit={
            "action": AuditAction.REGISTRATION_REQUEST_INFO,
            "actor": by,
            "municipality": registrant.municipality,
        },
    )
    notify(registrant, "registration_info_requested", message=message)
    return registrant


@transaction.atomic
def registration_reply(
    *, registrant: Registrant, reply: str, proof: Proof | None = None
) -> Registrant:
    """The applicant answers a request for information (and may attach a new proof)."""
    registrant = locked(registrant, "reply")
    reply = reply.strip()
    if not reply and proof is None:
        raise DomainError("reply_required")
    proof_fields: list[str] = []
    if proof is not None:
        registrant.employment_proof.save(proof.name, proof.file, save=False)
        registrant.employment_proof_type = proof.content_type
        proof_fields = ["employment_proof", "employment_proof_type"]
    states.REGISTRANT.move(
        registrant,
        "reply",
        applicant_reply=reply,
        fields=proof_fields,
        audit={
            "action": AuditAction.REGISTRATION_REPLY,
            "actor": registrant.user,
            "municipality": registrant.municipality,
        },
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
    registrant = locked(registrant, "merge")
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
    end_registration(registrant, "merge", audit=None, merged_into=into, duplicate_suspected=False)
    cancel_everything(registrant, by=by, reason="重複登録のため統合")
    audit_record(
        action=AuditAction.REGISTRATION_MERGE,
        actor=by,
        municipality=registrant.municipality,
        target=registrant,
        data={"into": into.pk},
    )
    notify(registrant, "registration_merged", existing_number=into.user_number)
    return registrant
