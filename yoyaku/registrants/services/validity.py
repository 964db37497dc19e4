"""有効期間 (Ukiha art. 5): renewal by use, the warning before expiry, the expiry, and the
anonymisation of registrations ended longer ago than the retention period.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction
from yoyaku.core.services import audit_record
from yoyaku.registrants import states
from yoyaku.registrants.models import Registrant
from yoyaku.registrants.services.common import (
    S,
    end_registration,
    notify,
    years_after,
)

ANONYMOUS = "（匿名化済み）"


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
    # One transaction per registrant, each moved along the lifecycle table (a failure leaves
    # the others done); a registrant changed since the query is skipped.
    for registrant in due:
        with transaction.atomic():
            try:
                registrant = states.REGISTRANT.lock(registrant, "expire")
            except DomainError:
                continue  # ended in the meantime
            if registrant.valid_until >= today:
                continue
            years = registrant.municipality.registration_validity_years
            if _used_within(registrant, years):
                until = registrant.valid_until
                while until < today:
                    until = years_after(until, years)
                states.REGISTRANT.move(
                    registrant,
                    "renew",
                    valid_until=until,
                    audit={
                        "action": AuditAction.REGISTRATION_RENEW,
                        "municipality": registrant.municipality,
                        "data": {"valid_until": until.isoformat()},
                    },
                )
                renewed += 1
            else:
                end_registration(
                    registrant,
                    "expire",
                    audit={
                        "action": AuditAction.REGISTRATION_EXPIRE,
                        "municipality": registrant.municipality,
                    },
                )
                notify(registrant, "registration_expired")
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
            notify(registrant, "registration_expiry_warning")
        warned += 1
    return {"renewed": renewed, "expired": expired, "warned": warned}


def _used_within(registrant: Registrant, years: int) -> bool:
    if registrant.last_used_at is None:
        return False
    window_start = years_after(registrant.valid_until, -years)
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
                if request.name_proof:
                    request.name_proof.delete(save=False)
                request.changes = {}
                request.save(update_fields=["changes", "employment_proof", "name_proof"])
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
