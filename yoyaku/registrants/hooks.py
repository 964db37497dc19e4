"""What ending a registration does to the rest of the system, in one place.

Reservations (issue 4) and lottery applications (issue 5) add their calls here; until then a
registrant has nothing to cancel and no obligations, and these functions say so.
"""

from __future__ import annotations

from yoyaku.core.models import User
from yoyaku.registrants.models import Registrant


def cancel_all_for_registrant(*, registrant: Registrant, by: User | None, reason: str) -> int:
    """Cancel future reservations and lottery applications; returns how many were cancelled."""
    return 0


def open_obligations(*, registrant: Registrant) -> list[str]:
    """Japanese descriptions of what prevents deregistration (future reservations, unpaid fees)."""
    return []
