"""Writes of registrations, by theme; callers import them from here.

- :mod:`.registration`: apply (with the applicant's pending proof), review decisions,
  duplicates and merging;
- :mod:`.account`: password, 変更届 and its review, the e-mail address, 廃止 and 抹消;
- :mod:`.validity`: renewal by use, warnings, expiry, anonymisation;
- :mod:`.reductions`: 減免 grants;
- :mod:`.terms`: 利用規約 versions and agreements.

Every function is one transaction that writes its audit row; e-mails leave after commit.
The registrant's status follows ``states.REGISTRANT``; a transition from another state raises
``DomainError("registrant_wrong_state")``.
"""

from __future__ import annotations

from yoyaku.registrants.services.account import (
    ELIGIBILITY_FIELDS,
    EMAIL_LINK_MAX_AGE,
    EMAIL_SIGNER_SALT,
    SELF_SERVICE_FIELDS,
    DetailsChanged,
    change_request_decide,
    email_change_confirm,
    email_change_request,
    registrant_details_change,
    registrant_details_update,
    registrant_password_change,
    registrant_password_reset,
    registration_delete,
    registration_deregister,
    validate_new_password,
)
from yoyaku.registrants.services.common import (
    TRANSITIONS,
    Proof,
    initial_password,
    mail_context,
)
from yoyaku.registrants.services.reductions import reduction_decide, reduction_request
from yoyaku.registrants.services.registration import (
    PENDING_DIR,
    PENDING_UPLOAD_MAX_AGE,
    REGISTRANT_FIELDS,
    pending_upload_discard,
    pending_upload_store,
    pending_uploads_remove_abandoned,
    registration_apply,
    registration_approve,
    registration_clear_duplicate,
    registration_merge,
    registration_reject,
    registration_reply,
    registration_request_info,
)
from yoyaku.registrants.services.terms import (
    terms_agree,
    terms_agreement_record,
    terms_for_version,
    terms_publish,
)
from yoyaku.registrants.services.validity import (
    ANONYMOUS,
    anonymize_ended,
    registrant_record_use,
    validity_daily,
)

__all__ = [
    "ANONYMOUS",
    "ELIGIBILITY_FIELDS",
    "EMAIL_LINK_MAX_AGE",
    "EMAIL_SIGNER_SALT",
    "PENDING_DIR",
    "PENDING_UPLOAD_MAX_AGE",
    "REGISTRANT_FIELDS",
    "SELF_SERVICE_FIELDS",
    "TRANSITIONS",
    "DetailsChanged",
    "Proof",
    "anonymize_ended",
    "change_request_decide",
    "email_change_confirm",
    "email_change_request",
    "initial_password",
    "mail_context",
    "pending_upload_discard",
    "pending_upload_store",
    "pending_uploads_remove_abandoned",
    "reduction_decide",
    "reduction_request",
    "registrant_details_change",
    "registrant_details_update",
    "registrant_password_change",
    "registrant_password_reset",
    "registrant_record_use",
    "registration_apply",
    "registration_approve",
    "registration_clear_duplicate",
    "registration_delete",
    "registration_deregister",
    "registration_merge",
    "registration_reject",
    "registration_reply",
    "registration_request_info",
    "terms_agree",
    "terms_agreement_record",
    "terms_for_version",
    "terms_publish",
    "validate_new_password",
    "validity_daily",
]
