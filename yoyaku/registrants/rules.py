"""Who may register: the rules of a registration's data, in one place.

``registration_apply`` refuses what :func:`registration_problems` finds, so that every caller
(the online form, the counter, the API, a task) gets the same Japanese message; the
registration form asks the same functions to show each refusal next to its field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import Municipality
from yoyaku.registrants.models import Registrant

WORKPLACE_FIELDS = (
    "workplace_name",
    "workplace_postal_code",
    "workplace_prefecture",
    "workplace_city",
    "workplace_street",
    "workplace_phone",
)
REQUIRED_FIELDS = ("kind", "category", "name_kana", "name", "birth_date", "phone")
OLDEST_BIRTH_YEAR = 1900


def allowed_categories(municipality: Municipality) -> list[str]:
    """The 在住・在勤区分 this municipality registers, in the order its forms offer them."""
    categories = []
    if municipality.allows_residents:
        categories.append(Registrant.Category.RESIDENT)
    if municipality.allows_workers:
        categories.append(Registrant.Category.WORKER)
    if municipality.allows_non_residents:
        categories.append(Registrant.Category.OTHER)
    return categories


def allowed_kinds(municipality: Municipality) -> list[str]:
    kinds = [Registrant.Kind.INDIVIDUAL]
    if municipality.allows_groups:
        kinds.append(Registrant.Kind.GROUP)
    return kinds


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def birth_date_problem(*, municipality: Municipality, birth_date: Any) -> DomainError | None:
    """A real past date, and at least the municipality's ``minimum_age`` years ago."""
    if not isinstance(birth_date, dt.date) or isinstance(birth_date, dt.datetime):
        return DomainError("birth_date_invalid", field="birth_date")
    today = clock.today()
    if birth_date > today:
        return DomainError("birth_date_future", field="birth_date")
    if birth_date.year < OLDEST_BIRTH_YEAR:
        return DomainError("birth_date_invalid", field="birth_date")
    if age_on(birth_date, today) < municipality.minimum_age:
        return DomainError(
            "registration_too_young", field="birth_date", age=municipality.minimum_age
        )
    return None


def registration_problems(
    *, municipality: Municipality, data: dict[str, Any], channel: str, has_proof: bool
) -> list[DomainError]:
    """What is wrong with an application's data, each refusal naming its field: the kind and
    the category this municipality registers, the birth date (:func:`birth_date_problem`), and
    for a worker (在勤) every workplace field and, online, the proof of employment. Missing
    values of the other fields are left to the caller (``registration_apply`` refuses them)."""
    problems: list[DomainError] = []
    kind, category = data.get("kind"), data.get("category")
    if kind and kind not in allowed_kinds(municipality):
        problems.append(DomainError("registration_kind_not_allowed", field="kind"))
    if category and category not in allowed_categories(municipality):
        problems.append(DomainError("registration_category_not_allowed", field="category"))
    if data.get("birth_date") is not None:
        problem = birth_date_problem(municipality=municipality, birth_date=data["birth_date"])
        if problem is not None:
            problems.append(problem)
    if category == Registrant.Category.WORKER:
        for name in WORKPLACE_FIELDS:
            if not str(data.get(name) or "").strip():
                problems.append(DomainError("registration_workplace_required", field=name))
        if channel == Registrant.Channel.ONLINE and not has_proof:
            problems.append(DomainError("registration_proof_required", field="employment_proof"))
    return problems
