"""What ending a registration does to the rest of the system, in one place.

Future reservations are cancelled and lottery applications not yet drawn are withdrawn.
"""

from __future__ import annotations

from yoyaku.core import clock
from yoyaku.core.models import User
from yoyaku.registrants.models import Registrant


def cancel_all_for_registrant(*, registrant: Registrant, by: User | None, reason: str) -> int:
    """Cancel future reservations and withdraw open lottery applications; returns how many."""
    from yoyaku.lottery.services import lottery_withdraw_for_registrant
    from yoyaku.reservations.booking import reservations_cancel_for_registrant

    cancelled = reservations_cancel_for_registrant(registrant=registrant, by=by, reason=reason)
    return cancelled + lottery_withdraw_for_registrant(registrant=registrant, by=by)


def open_obligations(*, registrant: Registrant) -> list[str]:
    """Japanese descriptions of what prevents deregistration (future reservations, unpaid fees)."""
    from django.utils.translation import gettext as _

    from yoyaku.reservations.models import Reservation

    found = []
    if Reservation.objects.filter(
        registrant=registrant, status__in=Reservation.HOLDS_CAPACITY, use_date__gte=clock.today()
    ).exists():
        found.append(_("今後の予約"))
    return found
