"""Who may do what: the one place that answers it for every face (console, API, tasks).

Least privilege: a staff member acts only inside their own municipality; facility staff only on
the facilities assigned to them (``User.facilities``); municipality admins on every facility of
their municipality and on what is not tied to a facility (registrations, lotteries, notices,
maintenance, security). Registrants act only on what is theirs. Views declare the verb they need
(``staff_required(Perm.RESERVATIONS)``) and scope their queries with :func:`staff_facilities`.
"""

from __future__ import annotations

import enum
from typing import Any

from django.db.models import QuerySet

from yoyaku.core.models import User

ADMIN = User.StaffRole.ADMIN
FACILITY = User.StaffRole.FACILITY


class Perm(enum.StrEnum):
    """Verbs of the staff console; the roles that may use each are in ``ROLES``."""

    CONSOLE = "console"  # the console's home page, one's own account
    RESERVATIONS = "reservations"  # queue, 代理申請, decisions, permits, blocks (scoped)
    REGISTRATIONS = "registrations"  # review, counter entry, changes, deletion, proofs, cards
    REDUCTIONS = "reductions"  # 減免 grants and their proofs
    LOTTERY = "lottery"  # rounds, schedules, drawing, applicants
    NOTICES = "notices"  # お知らせ
    MAINTENANCE = "maintenance"  # maintenance windows
    SECURITY = "security"  # log-in signals
    TERMS = "terms"  # 利用規約: publishing a new version
    # Reports (scoped to one's facilities) and the audit log search (admins).
    REPORTS = "reports"  # 利用率・抽選・収入・取消の集計とダウンロード
    AUDIT = "audit"  # 監査ログの検索とダウンロード


ROLES: dict[Perm, frozenset[str]] = {
    Perm.CONSOLE: frozenset({ADMIN, FACILITY}),
    Perm.RESERVATIONS: frozenset({ADMIN, FACILITY}),
    Perm.REGISTRATIONS: frozenset({ADMIN}),
    Perm.REDUCTIONS: frozenset({ADMIN}),
    Perm.LOTTERY: frozenset({ADMIN}),
    Perm.NOTICES: frozenset({ADMIN}),
    Perm.MAINTENANCE: frozenset({ADMIN}),
    Perm.SECURITY: frozenset({ADMIN}),
    Perm.TERMS: frozenset({ADMIN}),
    Perm.REPORTS: frozenset({ADMIN, FACILITY}),
    Perm.AUDIT: frozenset({ADMIN}),
}


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


def can(user: Any, verb: Perm | str, obj: Any = None) -> bool:
    """Whether ``user`` may ``verb`` (on ``obj``: same municipality, and for facility staff
    one of their facilities when the object belongs to a facility)."""
    if not is_staff(user):
        return False
    verb = Perm(verb)
    if user.staff_role not in ROLES[verb]:
        return False
    if obj is None:
        return True
    if _municipality_id(obj) != user.municipality_id:
        return False
    if user.staff_role == ADMIN:
        return True
    facility_id = _facility_id(obj)
    if facility_id is None:
        return False  # not tied to a facility: the municipality's business, admins only
    return user.facilities.filter(pk=facility_id).exists()


def staff_facilities(user: Any) -> QuerySet:
    """The facilities ``user`` may see and act on: the one scoping query of least privilege.

    Municipality admins: every facility of their municipality. Facility staff: the facilities
    assigned to them within their municipality. Anyone else: none.
    """
    if not is_staff(user):
        return _no_facilities()
    facilities = user.municipality.facilities.all()
    if user.staff_role == ADMIN:
        return facilities
    if user.staff_role == FACILITY:
        return facilities.filter(staff=user)
    return facilities.none()


def _no_facilities() -> QuerySet:
    # The Facility model through the User relation: core stays below the facilities app.
    return User.facilities.field.related_model.objects.none()
