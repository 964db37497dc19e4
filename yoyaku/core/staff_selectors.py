"""Reads about staff accounts for the console."""

from __future__ import annotations

from django.db.models import QuerySet

from yoyaku.core.models import Municipality, User


def staff_accounts(*, municipality: Municipality) -> QuerySet[User]:
    """The municipality's staff, active first, with their facilities (two queries)."""
    return (
        User.objects.filter(municipality=municipality, kind=User.Kind.STAFF)
        .prefetch_related("facilities")
        .order_by("-is_active", "login_id")
    )


def staff_account(*, municipality: Municipality, user_id: int) -> User | None:
    """One staff member of the municipality, or None (another municipality's is never found)."""
    return (
        User.objects.filter(municipality=municipality, kind=User.Kind.STAFF, pk=user_id)
        .prefetch_related("facilities")
        .first()
    )
