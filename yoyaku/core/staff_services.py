"""Staff accounts: created, changed, stopped and restarted by a municipality's administrators,
and the first administrator of a new municipality (``manage.py create_first_admin``).

Every function is one transaction that writes its audit row. Passwords are never stored in the
audit log; a new password is returned once to the caller, who shows it once. Resetting a lost
authenticator is :func:`yoyaku.core.totp.staff_totp_reset`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, Municipality, User
from yoyaku.core.services import audit_record

LOGIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,49}")
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,49}")
RESERVED_SLUGS = frozenset({"staff", "static", "i18n", "font-size", "api", "dev"})
# No 0/O, 1/l/I: the password is read off a screen and typed.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_LENGTH = 16


def _new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def _role(role: str) -> str:
    if role not in User.StaffRole.values:
        raise DomainError("staff_role_invalid", field="role")
    return role


def _facility_ids(municipality: Municipality, role: str, facility_ids: Iterable[int]) -> list[int]:
    """The facilities assigned, all of this municipality; none for an admin (who sees all)."""
    if role == User.StaffRole.ADMIN:
        return []
    wanted = sorted(set(facility_ids))
    found = sorted(municipality.facilities.filter(pk__in=wanted).values_list("pk", flat=True))
    if found != wanted:
        raise DomainError("staff_facility_invalid", field="facilities")
    return found


def _active_admins(municipality: Municipality):
    # Locked: two admins demoting each other at once must not leave the municipality without one.
    return User.objects.select_for_update().filter(
        municipality=municipality,
        kind=User.Kind.STAFF,
        staff_role=User.StaffRole.ADMIN,
        is_active=True,
    )


def _keeps_an_admin(user: User, *, becomes_admin: bool, becomes_active: bool) -> None:
    """Refuse a change that leaves the municipality without an active administrator."""
    if user.staff_role != User.StaffRole.ADMIN or not user.is_active:
        return
    if becomes_admin and becomes_active:
        return
    if not _active_admins(user.municipality).exclude(pk=user.pk).exists():
        raise DomainError("staff_last_admin", field="role")


def _email(email: str) -> str:
    email = email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise DomainError("staff_email_invalid", field="email") from None
    return email


def _lock(user: User) -> User:
    return User.objects.select_for_update().get(pk=user.pk, kind=User.Kind.STAFF)


@transaction.atomic
def staff_account_create(
    *,
    municipality: Municipality,
    login_id: str,
    display_name: str,
    email: str,
    role: str,
    facility_ids: Iterable[int] = (),
    by: User | None,
    ip_address: str | None = None,
) -> tuple[User, str]:
    """Create a staff member with a random initial password; returns the user and the password,
    which the caller shows once. The authenticator app is set up at the first log-in.

    Raises ``staff_login_id_invalid``, ``staff_login_id_taken``, ``staff_role_invalid``,
    ``staff_facility_invalid``. Writes ``staff.create``."""
    login_id = login_id.strip()
    if not LOGIN_ID.fullmatch(login_id):
        raise DomainError("staff_login_id_invalid", field="login_id")
    role = _role(role)
    facilities = _facility_ids(municipality, role, facility_ids)
    if User.objects.filter(
        municipality=municipality, kind=User.Kind.STAFF, login_id=login_id
    ).exists():
        raise DomainError("staff_login_id_taken", field="login_id")
    password = _new_password()
    user = User.objects.create_user(
        username=User.make_username(municipality, User.Kind.STAFF, login_id),
        password=password,
        municipality=municipality,
        login_id=login_id,
        kind=User.Kind.STAFF,
        staff_role=role,
        is_staff=True,
        display_name=display_name.strip(),
        email=_email(email),
    )
    user.facilities.set(facilities)
    audit_record(
        action=AuditAction.STAFF_CREATE,
        actor=by,
        municipality=municipality,
        target=user,
        data={"login_id": login_id, "role": role, "facilities": facilities},
        ip_address=ip_address,
    )
    return user, password


@transaction.atomic
def staff_account_change(
    *,
    user: User,
    role: str,
    facility_ids: Iterable[int],
    display_name: str,
    email: str,
    by: User | None,
    ip_address: str | None = None,
) -> User:
    """Change a staff member's role, facilities, name or e-mail address.

    Refuses (``staff_last_admin``) to demote the last active administrator, oneself included.
    Writes ``staff.change`` with the values before and after."""
    user = _lock(user)
    role = _role(role)
    facilities = _facility_ids(user.municipality, role, facility_ids)
    _keeps_an_admin(user, becomes_admin=role == User.StaffRole.ADMIN, becomes_active=True)
    before = {
        "role": user.staff_role,
        "facilities": sorted(user.facilities.values_list("pk", flat=True)),
        "display_name": user.display_name,
        "email": user.email,
    }
    user.staff_role = role
    user.display_name = display_name.strip()
    user.email = _email(email)
    user.save(update_fields=["staff_role", "display_name", "email"])
    user.facilities.set(facilities)
    after = {
        "role": role,
        "facilities": facilities,
        "display_name": user.display_name,
        "email": user.email,
    }
    if after != before:
        audit_record(
            action=AuditAction.STAFF_CHANGE,
            actor=by,
            municipality=user.municipality,
            target=user,
            data={"before": before, "after": after},
            ip_address=ip_address,
        )
    return user


@transaction.atomic
def staff_account_set_active(
    *, user: User, active: bool, by: User | None, ip_address: str | None = None
) -> User:
    """Stop (``active=False``) or restart a staff account. A stopped member cannot log in and
    their open sessions end at the next request (the auth backend refuses inactive users).

    Refuses to stop the last active administrator (``staff_last_admin``). Writes
    ``staff.deactivate`` or ``staff.reactivate``."""
    user = _lock(user)
    if user.is_active == active:
        raise DomainError("staff_already_active" if active else "staff_already_inactive")
    if not active:
        _keeps_an_admin(
            user, becomes_admin=user.staff_role == User.StaffRole.ADMIN, becomes_active=False
        )
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(
        action=AuditAction.STAFF_REACTIVATE if active else AuditAction.STAFF_DEACTIVATE,
        actor=by,
        municipality=user.municipality,
        target=user,
        ip_address=ip_address,
    )
    return user


@transaction.atomic
def staff_password_issue(*, user: User, by: User | None, ip_address: str | None = None) -> str:
    """Give a staff member who forgot their password a new random one, returned once.
    Writes ``staff.password_issue`` (without the password)."""
    user = _lock(user)
    password = _new_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(
        action=AuditAction.STAFF_PASSWORD_ISSUE,
        actor=by,
        municipality=user.municipality,
        target=user,
        ip_address=ip_address,
    )
    return password


@dataclass(frozen=True)
class FirstAdmin:
    municipality: Municipality
    municipality_created: bool
    user: User
    password: str


@transaction.atomic
def first_admin_create(
    *,
    slug: str,
    login_id: str,
    email: str,
    municipality_name: str = "",
    display_name: str = "",
) -> FirstAdmin:
    """Create a municipality (when no municipality has ``slug``) and its first administrator.

    The new municipality gets neutral settings (review before booking, labels from its name)
    that its administrator then sets in the console. Refuses (``municipality_has_admin``) when
    the municipality already has an active administrator. Writes ``municipality.create`` and
    ``staff.create`` (actor: none, via: job)."""
    slug = slug.strip()
    if not SLUG.fullmatch(slug) or slug in RESERVED_SLUGS:
        raise DomainError("municipality_slug_invalid", field="slug")
    municipality = Municipality.objects.select_for_update().filter(slug=slug).first()
    created = municipality is None
    if created:
        name = municipality_name.strip() or slug
        municipality = Municipality.objects.create(
            slug=slug,
            name=name,
            system_name=f"{name}公共施設予約システム",
            registration_mode=Municipality.RegistrationMode.REVIEW_BEFORE_BOOKING,
            resident_label=f"{name}内在住の方"[:50],
            worker_label=f"{name}内在勤の方"[:50],
        )
        audit_record(
            action=AuditAction.MUNICIPALITY_CREATE,
            municipality=municipality,
            target=municipality,
            data={"slug": slug, "name": name},
        )
    elif _active_admins(municipality).exists():
        raise DomainError("municipality_has_admin")
    user, password = staff_account_create(
        municipality=municipality,
        login_id=login_id,
        display_name=display_name or login_id,
        email=email,
        role=User.StaffRole.ADMIN,
        by=None,
    )
    return FirstAdmin(municipality, created, user, password)
