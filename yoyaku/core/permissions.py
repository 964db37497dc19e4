"""Who may do what: the one place that answers it for every face (console, API, tasks).

Least privilege: a staff member acts only inside their own municipality. The four roles
(``User.StaffRole``) and what each may read and do are the table ``ROLES`` below, and nothing
else decides it: views declare the verb they need (``staff_required(Perm.RESERVATIONS)``), a GET
needs the verb's *read* roles and every other method its *write* roles, and queries are scoped
with :func:`staff_facilities`. Municipality admins see every facility of their municipality;
facility managers, clerks and viewers only the facilities assigned to them (``User.facilities``).
What is not tied to a facility (registrations, 減免, lotteries, notices …) is the business of
the roles the table names for it. Registrants act only on what is theirs.
"""

from __future__ import annotations

import enum
from typing import Any, NamedTuple

from django.db.models import QuerySet

from yoyaku.core.models import User

ADMIN = User.StaffRole.ADMIN
FACILITY = User.StaffRole.FACILITY  # facility manager
CLERK = User.StaffRole.CLERK
VIEWER = User.StaffRole.VIEWER

# Methods that only read; everything else (POST above all) is an action.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Perm(enum.StrEnum):
    """Verbs of the staff console; the roles that may read and act on each are in ``ROLES``."""

    CONSOLE = "console"  # the console's home page, one's own account
    RESERVATIONS = "reservations"  # queue, 代理申請, decisions, permits, blocks (scoped)
    REGISTRATIONS = "registrations"  # review, counter entry, changes, deletion, proofs, cards
    REDUCTIONS = "reductions"  # 減免 grants and their proofs
    LOTTERY = "lottery"  # rounds, schedules, drawing, applicants
    NOTICES = "notices"  # お知らせ
    MAINTENANCE = "maintenance"  # maintenance windows
    SECURITY = "security"  # log-in signals
    TERMS = "terms"  # 利用規約: publishing a new version
    PAYMENTS = "payments"  # payments received, unpaid, refunds, reconciliation (scoped)
    # Setup (施設の設定): facilities, units, fee tables, closures (scoped to one's facilities);
    # slot schedules, 減免 categories and new facilities are the municipality's (admins).
    SETUP = "setup"
    SETUP_MUNICIPALITY = "setup_municipality"  # new facilities, slot schedules, 減免 categories
    # Staff accounts, roles and facility assignments.
    STAFF_ACCOUNTS = "staff_accounts"
    # Reports (scoped to one's facilities) and the audit log search (admins).
    REPORTS = "reports"  # 利用率・抽選・収入・取消の集計とダウンロード
    AUDIT = "audit"  # 監査ログの検索とダウンロード
    # The municipality's policies and its permit and card layouts (自治体の設定): admins.
    MUNICIPALITY_SETTINGS = "municipality_settings"
    # One's own API tokens (作成・無効化). A token acts with its holder's role at each request.
    API_TOKENS = "api_tokens"
    # One's own passkeys (the second factor instead of a TOTP code).
    PASSKEYS = "passkeys"


class Access(NamedTuple):
    """The roles that may open a verb's pages (``read``) and the roles that may act (``write``)."""

    read: frozenset[str]
    write: frozenset[str]


def _access(read: set[str], write: set[str] | None = None, *, own: bool = False) -> Access:
    write = read if write is None else write
    if not write <= read:
        raise ValueError("whoever may act on a verb may also open its pages")
    # A viewer only reads: whatever the table says, they act on nothing of the municipality's.
    # ``own`` verbs act on the staff member's own things only (their API tokens, whose requests
    # are asked of this table again with the holder's role, so a viewer's token still reads).
    return Access(frozenset(read), frozenset(write if own else write - {VIEWER}))


EVERYONE = {ADMIN, FACILITY, CLERK, VIEWER}

ROLES: dict[Perm, Access] = {
    Perm.CONSOLE: _access(EVERYONE),
    Perm.RESERVATIONS: _access(EVERYONE),
    Perm.REGISTRATIONS: _access({ADMIN, CLERK, VIEWER}),
    Perm.REDUCTIONS: _access({ADMIN, CLERK, VIEWER}),
    Perm.LOTTERY: _access({ADMIN}),
    Perm.NOTICES: _access({ADMIN}),
    Perm.MAINTENANCE: _access({ADMIN}),
    Perm.SECURITY: _access({ADMIN}),
    Perm.TERMS: _access({ADMIN}),
    Perm.STAFF_ACCOUNTS: _access({ADMIN}),
    # The money of one's own facilities (staff_facilities); clerks take counter payments.
    Perm.PAYMENTS: _access(EVERYONE, {ADMIN, FACILITY, CLERK}),
    # Facility managers set up their own facilities; viewers may look.
    Perm.SETUP: _access({ADMIN, FACILITY, VIEWER}, {ADMIN, FACILITY}),
    Perm.SETUP_MUNICIPALITY: _access({ADMIN}),
    Perm.REPORTS: _access(EVERYONE, {ADMIN, FACILITY, CLERK}),
    Perm.AUDIT: _access({ADMIN}),
    Perm.MUNICIPALITY_SETTINGS: _access({ADMIN}, {ADMIN}),
    Perm.API_TOKENS: _access(EVERYONE, own=True),
    Perm.PASSKEYS: _access(EVERYONE, own=True),
}

# Verbs on one's own things only (tokens, passkeys): acting on them is no right to act on the
# municipality's data.
OWN_ONLY = frozenset({Perm.API_TOKENS, Perm.PASSKEYS})


def is_staff(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.kind == User.Kind.STAFF
        and user.is_active
        and user.municipality_id is not None
    )


def _municipality_id(obj: Any) -> int | None:
    """The municipality an object belongs to, following the usual relations."""
    for path in ("municipality_id", "facility.municipality_id", "unit.facility.municipality_id"):
        value: Any = obj
        for name in path.split("."):
            value = getattr(value, name, None)
            if value is None:
                break
        if value is not None:
            return value
    return None


def _facility_id(obj: Any) -> int | None:
    for path in ("facility_id", "unit.facility_id"):
        value: Any = obj
        for name in path.split("."):
            value = getattr(value, name, None)
            if value is None:
                break
        if value is not None:
            return value
    if obj.__class__.__name__ == "Facility":
        return obj.pk
    return None


def can(user: Any, verb: Perm | str, obj: Any = None, *, write: bool = False) -> bool:
    """Whether ``user`` may read (or, with ``write``, act on) ``verb`` — on ``obj``: same
    municipality, and for anyone but an admin one of their facilities when the object belongs
    to a facility."""
    if not is_staff(user):
        return False
    verb = Perm(verb)
    access = ROLES[verb]
    if user.staff_role not in (access.write if write else access.read):
        return False
    if obj is None:
        return True
    if _municipality_id(obj) != user.municipality_id:
        return False
    if user.staff_role == ADMIN:
        return True
    facility_id = _facility_id(obj)
    if facility_id is None:
        return True  # the municipality's business, which the table gave this role
    return user.facilities.filter(pk=facility_id).exists()


def can_request(user: Any, verb: Perm | str, method: str) -> bool:
    """The console's gate: a GET needs the verb's read roles, any other method its write roles."""
    return can(user, verb, write=method.upper() not in SAFE_METHODS)


class May(NamedTuple):
    read: bool
    act: bool


def staff_may(user: Any) -> dict[str, May]:
    """``{verb: May(read, act)}`` for templates (navigation, buttons): the same table."""
    return {perm.value: May(can(user, perm), can(user, perm, write=True)) for perm in Perm}


def staff_facilities(user: Any) -> QuerySet:
    """The facilities ``user`` may see and act on: the one scoping query of least privilege.

    Municipality admins: every facility of their municipality. Facility managers, clerks and
    viewers: the facilities assigned to them within their municipality. Anyone else: none.
    """
    if not is_staff(user):
        return _no_facilities()
    facilities = user.municipality.facilities.all()
    if user.staff_role == ADMIN:
        return facilities
    if user.staff_role in (FACILITY, CLERK, VIEWER):
        return facilities.filter(staff=user)
    return facilities.none()


def _no_facilities() -> QuerySet:
    # The Facility model through the User relation: core stays below the facilities app.
    return User.facilities.field.related_model.objects.none()
