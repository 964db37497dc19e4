"""Staff's second factor: time-based one-time codes (TOTP, RFC 6238) with ``pyotp``.

Codes are 6 digits for 30-second steps. A code is accepted for the current step and one step
either side (``VALID_WINDOW``), to allow for a phone whose clock is a little off. The step of
the last accepted code is stored on the user and no step up to it is accepted again, so a code
that was seen (or intercepted) cannot be replayed, not even within its own 30 seconds.

Time comes from :mod:`yoyaku.core.clock`, so tests can travel.
"""

from __future__ import annotations

import hmac

import pyotp
import segno
from django.db import transaction

from yoyaku.core import clock
from yoyaku.core.models import AuditAction, Municipality, User
from yoyaku.core.services import audit_record

VALID_WINDOW = 1
ISSUER_PREFIX = "yoyaku"


def totp_new_secret() -> str:
    """A fresh random base32 secret (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(length=32)


def totp_issuer(municipality: Municipality | None) -> str:
    return f"{ISSUER_PREFIX} {municipality.name}" if municipality else ISSUER_PREFIX


def totp_provisioning_uri(*, user: User, secret: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.login_id, issuer_name=totp_issuer(user.municipality)
    )


def totp_qr_data_uri(uri: str) -> str:
    """The QR code of ``uri`` as an SVG data URI, for an ``<img>`` with alt text."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4)


def totp_current_code(secret: str) -> str:
    """The code an authenticator shows now (for tests and the demo command)."""
    return pyotp.TOTP(secret).at(clock.now())


def totp_matching_step(*, secret: str, code: str) -> int | None:
    """The time step whose code equals ``code`` within the window around now, if any.

    Same comparison as ``pyotp.TOTP.verify(code, for_time=now, valid_window=1)``, but it also
    says which step matched, which the replay check needs.
    """
    if not secret or not code:
        return None
    try:
        totp = pyotp.TOTP(secret)
    except ValueError:  # not base32, or too short: no code can match it
        return None
    now = clock.now()
    current = totp.timecode(now)
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        if hmac.compare_digest(totp.at(now, counter_offset=offset), code):
            return current + offset
    return None


def _lock_staff(user: User) -> User:
    # Row lock: two requests with the same code must not both pass the replay check.
    return User.objects.select_for_update().get(pk=user.pk, kind=User.Kind.STAFF)


@transaction.atomic
def staff_totp_login(*, user: User, code: str, ip_address: str | None = None) -> bool:
    """Check the second factor of a staff member whose password was already checked.

    Preconditions: the user is staff with a confirmed TOTP secret. On success the step is
    recorded (replay protection) and ``staff.login`` is audited; the caller then logs the user
    in. A wrong or replayed code is audited as ``staff.totp_failed`` and returns False.
    """
    user = _lock_staff(user)
    step = None
    if user.totp_confirmed_at is not None:
        step = totp_matching_step(secret=user.totp_secret, code=code)
    replayed = step is not None and user.totp_last_step is not None and step <= user.totp_last_step
    if step is None or replayed:
        audit_record(
            action=AuditAction.STAFF_TOTP_FAILED,
            actor=user,
            municipality=user.municipality,
            target=user,
            data={"reason": "replayed" if replayed else "wrong_code"},
            ip_address=ip_address,
        )
        return False
    user.totp_last_step = step
    user.save(update_fields=["totp_last_step"])
    audit_record(
        action=AuditAction.STAFF_LOGIN,
        actor=user,
        municipality=user.municipality,
        data={"second_factor": "totp"},
        ip_address=ip_address,
    )
    return True


@transaction.atomic
def staff_totp_enrol(*, user: User, secret: str, code: str, ip_address: str | None = None) -> bool:
    """Confirm a new authenticator with its first code, which also completes the log-in.

    Preconditions: the password was checked and the user has no confirmed TOTP yet (an admin
    reset clears it). Writes ``staff.totp_enrolled`` and ``staff.login``. Returns False, and
    changes nothing, when the code does not match or a TOTP was confirmed meanwhile.
    """
    user = _lock_staff(user)
    if user.totp_confirmed_at is not None:
        return False
    step = totp_matching_step(secret=secret, code=code)
    if step is None:
        audit_record(
            action=AuditAction.STAFF_TOTP_FAILED,
            actor=user,
            municipality=user.municipality,
            target=user,
            data={"reason": "wrong_code", "enrolment": True},
            ip_address=ip_address,
        )
        return False
    user.totp_secret = secret
    user.totp_confirmed_at = clock.now()
    user.totp_last_step = step
    user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
    audit_record(
        action=AuditAction.STAFF_TOTP_ENROLLED,
        actor=user,
        municipality=user.municipality,
        target=user,
        ip_address=ip_address,
    )
    audit_record(
        action=AuditAction.STAFF_LOGIN,
        actor=user,
        municipality=user.municipality,
        data={"second_factor": "totp", "enrolment": True},
        ip_address=ip_address,
    )
    return True


@transaction.atomic
def staff_totp_reset(*, user: User, by: User | None = None, reason: str = "") -> User:
    """Forget a staff member's authenticator (lost phone); the next log-in enrols a new one.

    Writes ``staff.totp_reset``. ``by`` is None when an operator runs the command.
    """
    user = _lock_staff(user)
    user.totp_secret = ""
    user.totp_confirmed_at = None
    user.totp_last_step = None
    user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
    audit_record(
        action=AuditAction.STAFF_TOTP_RESET,
        actor=by,
        municipality=user.municipality,
        target=user,
        data={"reason": reason} if reason else None,
    )
    return user
