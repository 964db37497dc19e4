"""Password reset by e-mail: who gets a link, and how often.

The request page answers the same whether or not the user number and e-mail belong to someone
(it must not tell who is registered). Mails are limited twice, so that the page cannot be used
to flood a citizen's mailbox or the municipality's sender: per client address (every request
counts, found or not) and per account (only mails actually sent count).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from yoyaku.core.errors import DomainError
from yoyaku.core.models import Municipality
from yoyaku.notifications.services import email_template_queue
from yoyaku.registrants.models import Registrant
from yoyaku.registrants.services import mail_context
from yoyaku.security.services import action_throttle

RESET_PER_ADDRESS = 10  # requests from one client address …
RESET_PER_ACCOUNT = 3  # … and mails to one account, in any window of:
RESET_WINDOW = dt.timedelta(hours=1)
ACTION_BY_ADDRESS = "password_reset"
ACTION_BY_ACCOUNT = "password_reset_mail"


@dataclass(frozen=True)
class ResetRequest:
    mailed: bool  # for tests and logs only: the page must not show it


def password_reset_request(
    *, municipality: Municipality, user_number: str, email: str, ip: str | None
) -> ResetRequest:
    """Send a one-time reset link to the registrant with this user number and e-mail.

    Raises ``DomainError("password_reset_throttled")`` when the client address has asked too
    often (said on the page: it concerns the asker, not the account). Past the per-account
    limit nothing is sent and nothing is said, as for an unknown person.
    """
    by_address = action_throttle(
        action=ACTION_BY_ADDRESS, ip=ip, limit=RESET_PER_ADDRESS, window=RESET_WINDOW
    )
    if not by_address.allowed:
        raise DomainError("password_reset_throttled", minutes=by_address.retry_after_minutes)
    with transaction.atomic():
        registrant = (
            Registrant.objects.select_related("user", "municipality")
            .filter(
                municipality=municipality,
                user_number=user_number,
                email__iexact=email,
                user__is_active=True,
            )
            .first()
        )
        if registrant is None:
            return ResetRequest(mailed=False)
        by_account = action_throttle(
            action=ACTION_BY_ACCOUNT,
            ip=ip,
            key=f"user:{registrant.user_id}",
            limit=RESET_PER_ACCOUNT,
            window=RESET_WINDOW,
        )
        if not by_account.allowed:
            return ResetRequest(mailed=False)
        uid = urlsafe_base64_encode(force_bytes(registrant.user.pk))
        token = default_token_generator.make_token(registrant.user)
        email_template_queue(
            to=[registrant.email],
            template="password_reset",
            context=mail_context(registrant, uid=uid, token=token),
        )
    return ResetRequest(mailed=True)
