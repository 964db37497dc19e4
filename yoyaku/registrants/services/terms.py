"""利用規約: publishing a new version, and a registrant's agreement to the current one.

An agreement is recorded at registration (inside ``registration_apply``'s transaction), on
a paper application typed in at the counter, and at the first log-in after a new version.
"""

from __future__ import annotations

from django.db import transaction

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, AuditVia, Municipality, User
from yoyaku.core.services import audit_record
from yoyaku.registrants import selectors
from yoyaku.registrants.models import Registrant, TermsAgreement, TermsOfUse

AGREEMENT_FIELD = "agree_terms"  # the form's check box, where a refusal is shown


def terms_for_version(*, municipality: Municipality, version: int | None) -> TermsOfUse | None:
    """The current terms when ``version`` is the one in force; None when the municipality
    has no terms. Refused (``DomainError`` on the check box) when no version was agreed or
    an older one was: the person must read the text in force."""
    current = selectors.terms_current(municipality)
    if current is None:
        return None
    if version is None:
        raise DomainError("terms_agreement_required", field=AGREEMENT_FIELD)
    if version != current.version:
        raise DomainError("terms_not_current", field=AGREEMENT_FIELD)
    return current


def terms_agreement_record(
    *, registrant: Registrant, terms: TermsOfUse, via: AuditVia, by: User | None
) -> TermsAgreement:
    """Append the agreement row; the caller holds the transaction and writes the audit row."""
    return TermsAgreement.objects.create(
        registrant=registrant,
        terms=terms,
        agreed_at=clock.now(),
        via=via,
        recorded_by=by,
    )


@transaction.atomic
def terms_agree(
    *, registrant: Registrant, version: int, ip_address: str | None = None
) -> TermsAgreement:
    """The registrant agrees to the current terms (the page shown at log-in after a change).

    Refused with ``terms_not_current`` when ``version`` is no longer the one in force (a newer
    one was published while the page was open). Side effect: an audit row.
    """
    terms = terms_for_version(municipality=registrant.municipality, version=version)
    if terms is None:
        raise DomainError("terms_not_current", field=AGREEMENT_FIELD)
    agreement = terms_agreement_record(
        registrant=registrant, terms=terms, via=AuditVia.CITIZEN, by=registrant.user
    )
    audit_record(
        action=AuditAction.TERMS_AGREE,
        actor=registrant.user,
        municipality=registrant.municipality,
        target=registrant,
        data={"version": terms.version},
        ip_address=ip_address,
        via=AuditVia.CITIZEN,
    )
    return agreement


@transaction.atomic
def terms_publish(
    *,
    municipality: Municipality,
    by: User | None,
    body: str,
    change_summary: str = "",
    ip_address: str | None = None,
) -> TermsOfUse:
    """Publish the next version of the municipality's terms, in force at once.

    Registrants whose latest agreement is to an older version are asked to agree at their next
    log-in. Refused when the body is empty or the same as the current version's. Side effect:
    an audit row.
    """
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise DomainError("terms_body_required", field="body")
    # Versions are numbered under a lock on the municipality: two admins publishing at once
    # get 2 and 3, not a unique-key error.
    Municipality.objects.select_for_update().filter(pk=municipality.pk).first()
    latest = TermsOfUse.objects.filter(municipality=municipality).order_by("-version").first()
    if latest is not None and latest.body == body:
        raise DomainError("terms_body_unchanged", field="body")
    terms = TermsOfUse.objects.create(
        municipality=municipality,
        version=(latest.version + 1) if latest else 1,
        body=body,
        change_summary=change_summary.replace("\r\n", "\n").strip(),
        published_at=clock.now(),
        published_by=by,
    )
    audit_record(
        action=AuditAction.TERMS_PUBLISH,
        actor=by,
        municipality=municipality,
        target=terms,
        data={"version": terms.version},
        ip_address=ip_address,
    )
    return terms
