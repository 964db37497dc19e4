"""What the registrant services share: the proof, the mails, the end of a registration."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import File

from yoyaku.core import clock
from yoyaku.core.models import Municipality, User
from yoyaku.notifications.line_services import line_forget
from yoyaku.notifications.services import email_template_queue
from yoyaku.registrants import hooks, states
from yoyaku.registrants.models import Registrant

S = Registrant.Status

# The verbs and the states they start from (for the console's buttons): ``states.REGISTRANT``.
TRANSITIONS: dict[str, frozenset[str]] = {
    verb: sources for verb, (sources, _target) in states.REGISTRANT.table.items()
}


def locked(registrant: Registrant, verb: str) -> Registrant:
    return states.REGISTRANT.lock(registrant, verb)


def years_after(start: dt.date, years: int) -> dt.date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def initial_password(birth_date: dt.date) -> str:
    """000 §2(2): the first password is the birth date, 8 digits YYYYMMDD."""
    return birth_date.strftime("%Y%m%d")


@dataclass(frozen=True)
class Proof:
    """An uploaded proof of employment, already checked by content (PDF, JPEG or PNG)."""

    file: File
    content_type: str
    name: str


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
        # Not shown: the account whose other channels (LINE) get the message too, and the
        # language its mails are in when the account is at hand (no query for it then).
        "recipient_user_id": registrant.user_id,
        **(
            {"recipient_language": registrant.user.language}
            if Registrant.user.is_cached(registrant)
            else {}
        ),
        **extra,
    }


def notify(registrant: Registrant, template: str, **extra: Any) -> None:
    if registrant.email:
        email_template_queue(
            to=[registrant.email], template=template, context=mail_context(registrant, **extra)
        )


def end_registration(
    registrant: Registrant, verb: str, *, audit: Mapping[str, Any] | None, **assign: Any
) -> None:
    """Move a locked registrant along ``verb`` of ``states.REGISTRANT`` to an ended state,
    with ``assign`` saved alongside; ``audit=None`` when the caller writes the row itself
    (it needs what the end cancelled)."""
    states.REGISTRANT.move(registrant, verb, audit=audit, ended_at=clock.now(), **assign)
    user = registrant.user
    # No more LINE messages, and LINE's id for the person is not kept (the end is audited).
    line_forget(user=user)
    # Expired registrants still log in to see their history; every other end closes log-in.
    if registrant.status != S.EXPIRED:
        user.is_active = False
        user.save(update_fields=["is_active"])


def cancel_everything(registrant: Registrant, *, by: User | None, reason: str) -> int:
    """Cancel the registrant's future reservations and lottery applications.

    Reservations and lotteries register their end handlers in ``registrants.hooks``; the count
    of what was cancelled goes into the audit row.
    """
    return hooks.cancel_all_for_registrant(registrant=registrant, by=by, reason=reason)
