from __future__ import annotations

from yoyaku.registrants.models import Registrant


def account(request) -> dict:
    """``password_is_initial``: every page after log-in asks to change a birth-date password.

    A registrant's page has already loaded the registrant (``request.registrant``, set by the
    citizen pages' log-in check): its flag is read from there, so a page render costs no
    query of its own; other pages of a logged-in registrant ask the database once.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.kind != "registrant":
        return {}
    registrant = getattr(request, "registrant", None)
    if isinstance(registrant, Registrant) and registrant.user_id == user.pk:
        return {"password_is_initial": registrant.password_is_initial}
    initial = Registrant.objects.filter(user=user, password_is_initial=True).exists()
    return {"password_is_initial": initial}
