from __future__ import annotations

from yoyaku.registrants.models import Registrant


def account(request) -> dict:
    """``password_is_initial``: every page after log-in asks to change a birth-date password."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.kind != "registrant":
        return {}
    initial = Registrant.objects.filter(user=user, password_is_initial=True).exists()
    return {"password_is_initial": initial}
