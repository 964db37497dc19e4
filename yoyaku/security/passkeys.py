"""Passkeys (WebAuthn, with the ``webauthn`` library): add, use, remove.

A ceremony has two halves. ``*_options`` makes the options the browser passes to
``navigator.credentials.create()`` / ``.get()`` together with a fresh random challenge; the
caller keeps the challenge (in the session) and hands it back to ``passkey_register`` /
``passkey_authenticate`` with what the browser answered. The library checks the challenge,
the origin, the relying party id, the signature and the sign count.

The relying party id and the accepted origins are settings (``YOYAKU_PASSKEY_RP_ID``,
``YOYAKU_PASSKEY_ORIGINS``, both derived from ``YOYAKU_SITE_URL`` by default).

Every add, removal and use is audited; a use whose sign count does not go up (a cloned
authenticator, or a replay) is refused and audited as ``passkey.failed``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.crypto import salted_hmac
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url, parse_authentication_credential_json
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, AuditVia, Municipality, User
from yoyaku.core.services import audit_record
from yoyaku.security.models import Passkey
from yoyaku.security.selectors import passkeys_of

NAME_MAX = Passkey._meta.get_field("name").max_length
# A person rarely has more than a phone, a computer and a security key or two.
MAX_PER_USER = 10
TIMEOUT_MS = 5 * 60 * 1000
_KNOWN_TRANSPORTS = {transport.value for transport in AuthenticatorTransport}


def rp_id() -> str:
    return settings.YOYAKU_PASSKEY_RP_ID


def rp_name(user: User | None = None) -> str:
    municipality = user.municipality if user is not None else None
    return municipality.system_name if municipality else "yoyaku"


def expected_origins() -> list[str]:
    return list(settings.YOYAKU_PASSKEY_ORIGINS)


def user_handle(user: User) -> bytes:
    """The opaque id the authenticator keeps for the account (no personal data in it)."""
    return salted_hmac("yoyaku.passkey.user_handle", str(user.pk)).digest()


def _account_name(user: User) -> str:
    municipality = user.municipality.name if user.municipality else ""
    return f"{user.login_id} {municipality}".strip()


@dataclass(frozen=True)
class Ceremony:
    options_json: str  # for the browser (binary values in base64url)
    challenge: str  # base64url, kept by the caller until the answer comes back


def passkey_registration_options(*, user: User) -> Ceremony:
    """Options to create a passkey for ``user``: discoverable (a registrant can then log in
    without typing the user number), user verification required (the device's PIN or
    biometrics), and none of the person's existing passkeys again."""
    options = generate_registration_options(
        rp_id=rp_id(),
        rp_name=rp_name(user),
        user_id=user_handle(user),
        user_name=_account_name(user),
        user_display_name=user.display_name or _account_name(user),
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[_descriptor(passkey) for passkey in passkeys_of(user)],
    )
    return Ceremony(options_to_json(options), bytes_to_base64url(options.challenge))


def passkey_authentication_options(*, user: User | None = None) -> Ceremony:
    """Options to log in. Without ``user`` any passkey of this site may answer (the browser
    lists the discoverable ones); with ``user`` only theirs (the staff second factor)."""
    allow = [_descriptor(passkey) for passkey in passkeys_of(user)] if user is not None else []
    options = generate_authentication_options(
        rp_id=rp_id(),
        timeout=TIMEOUT_MS,
        allow_credentials=allow,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return Ceremony(options_to_json(options), bytes_to_base64url(options.challenge))


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    transports = [AuthenticatorTransport(t) for t in passkey.transports if t in _KNOWN_TRANSPORTS]
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(passkey.credential_id), transports=transports or None
    )


def _challenge_bytes(challenge: str) -> bytes:
    try:
        return base64url_to_bytes(challenge or "")
    except (ValueError, TypeError):
        return b""


def _transports(credential: Any) -> list[str]:
    if not isinstance(credential, dict):
        return []
    response = credential.get("response")
    found = response.get("transports") if isinstance(response, dict) else None
    if not isinstance(found, list):
        return []
    return [t for t in found if isinstance(t, str) and t in _KNOWN_TRANSPORTS][:8]


@transaction.atomic
def passkey_register(
    *,
    user: User,
    name: str,
    credential: dict[str, Any] | str,
    challenge: str,
    ip_address: str | None = None,
    via: AuditVia | None = None,
) -> Passkey:
    """Check the browser's answer to ``passkey_registration_options`` and keep the passkey.

    Raises ``DomainError`` (``passkey_name_required``, ``passkey_too_many``,
    ``passkey_invalid``, ``passkey_duplicate``) and stores nothing on any of them. Writes
    ``passkey.add``.
    """
    name = " ".join((name or "").split())[:NAME_MAX]
    if not name:
        raise DomainError("passkey_name_required", field="name")
    # Row lock on the owner: two tabs adding at once cannot pass the limit together.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if Passkey.objects.filter(user=user).count() >= MAX_PER_USER:
        raise DomainError("passkey_too_many", limit=MAX_PER_USER)
    expected = _challenge_bytes(challenge)
    if not expected or not isinstance(credential, dict | str):
        raise DomainError("passkey_invalid")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=expected,
            expected_rp_id=rp_id(),
            expected_origin=expected_origins(),
            require_user_verification=True,
        )
    # The answer is untrusted input: whatever its parsers raise on a malformed one is a refusal.
    except Exception:
        raise DomainError("passkey_invalid") from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if Passkey.objects.filter(credential_id=credential_id).exists():
        raise DomainError("passkey_duplicate")
    try:
        with transaction.atomic():
            passkey = Passkey.objects.create(
                user=user,
                credential_id=credential_id,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                transports=_transports(credential if isinstance(credential, dict) else None),
                name=name,
                created_at=clock.now(),
            )
    except IntegrityError:
        raise DomainError("passkey_duplicate") from None
    audit_record(
        action=AuditAction.PASSKEY_ADD,
        actor=user,
        municipality=user.municipality,
        target=passkey,
        data={"name": passkey.name},
        ip_address=ip_address,
        via=via,
    )
    return passkey


def _credential_id_of(credential: dict[str, Any] | str) -> str | None:
    if not isinstance(credential, dict | str):
        return None
    try:
        parsed = parse_authentication_credential_json(
            json.dumps(credential) if isinstance(credential, dict) else credential
        )
    except Exception:  # a malformed answer (untrusted input) names no passkey
        return None
    return bytes_to_base64url(parsed.raw_id)


def passkey_owner(credential: dict[str, Any] | str) -> User | None:
    """Whose passkey answered (before checking the answer): for the throttle's login id."""
    credential_id = _credential_id_of(credential)
    if credential_id is None:
        return None
    passkey = Passkey.objects.select_related("user").filter(credential_id=credential_id).first()
    return passkey.user if passkey else None


@transaction.atomic
def passkey_authenticate(
    *,
    credential: dict[str, Any] | str,
    challenge: str,
    user: User | None = None,
    municipality: Municipality | None = None,
    kind: str | None = None,
    ip_address: str | None = None,
    purpose: str = "login",
) -> User | None:
    """The user whose passkey signed ``challenge``, or None.

    With ``user``, only that person's passkeys count (the staff second factor); otherwise those
    of the ``kind`` of user of ``municipality`` (a registrant logging in). The passkey's
    row is locked while its sign count is compared and raised, so the same signature cannot
    be used twice, not even by two requests at once. A valid use writes ``passkey.login``
    (and updates ``last_used_at``); a refused one of a known passkey writes
    ``passkey.failed`` with the reason. The caller checks the throttle first and logs the
    user in.
    """
    credential_id = _credential_id_of(credential)
    expected = _challenge_bytes(challenge)
    if credential_id is None or not expected:
        return None
    passkeys = Passkey.objects.select_for_update(of=("self",)).select_related(
        "user", "user__municipality"
    )
    if user is not None:
        passkeys = passkeys.filter(user=user)
    else:
        passkeys = passkeys.filter(user__municipality=municipality, user__kind=kind)
    passkey = passkeys.filter(credential_id=credential_id).first()
    if passkey is None or not passkey.user.is_active:
        return None
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=expected,
            expected_rp_id=rp_id(),
            expected_origin=expected_origins(),
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except Exception as error:  # untrusted input: any parser error is a refusal
        reason = "sign_count" if "sign count" in str(error) else "invalid"
        audit_record(
            action=AuditAction.PASSKEY_FAILED,
            actor=passkey.user,
            municipality=passkey.user.municipality,
            target=passkey,
            data={"reason": reason, "purpose": purpose},
            ip_address=ip_address,
        )
        return None
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = clock.now()
    passkey.save(update_fields=["sign_count", "last_used_at"])
    audit_record(
        action=AuditAction.PASSKEY_LOGIN,
        actor=passkey.user,
        municipality=passkey.user.municipality,
        target=passkey,
        data={"name": passkey.name, "purpose": purpose},
        ip_address=ip_address,
    )
    if passkey.user.kind == User.Kind.STAFF:
        # The same row as a log-in by code, so the audit log's staff log-ins stay complete.
        audit_record(
            action=AuditAction.STAFF_LOGIN,
            actor=passkey.user,
            municipality=passkey.user.municipality,
            data={"second_factor": "passkey"},
            ip_address=ip_address,
        )
    return passkey.user


@transaction.atomic
def passkey_remove(
    *, passkey: Passkey, by: User, ip_address: str | None = None, via: AuditVia | None = None
) -> None:
    """The owner removes one of their passkeys. Writes ``passkey.remove``. The password (and
    for staff the authenticator app or another passkey) still logs in."""
    owner = passkey.user
    audit_record(
        action=AuditAction.PASSKEY_REMOVE,
        actor=by,
        municipality=owner.municipality,
        target=passkey,
        data={"name": passkey.name},
        ip_address=ip_address,
        via=via,
    )
    passkey.delete()


@transaction.atomic
def passkeys_reset(
    *, user: User, by: User | None, reason: str = "", ip_address: str | None = None
) -> int:
    """An administrator removes all passkeys of a staff member (a lost device): the recovery
    path. Writes ``passkey.reset`` with the names removed; returns how many."""
    passkeys = list(Passkey.objects.select_for_update().filter(user=user))
    audit_record(
        action=AuditAction.PASSKEY_RESET,
        actor=by,
        municipality=user.municipality,
        target=user,
        data={"names": [p.name for p in passkeys], **({"reason": reason} if reason else {})},
        ip_address=ip_address,
    )
    Passkey.objects.filter(pk__in=[p.pk for p in passkeys]).delete()
    return len(passkeys)
