"""What ending a registration does to the rest of the system: registries for higher apps.

Registrants sit below reservations and the lottery and never import them. Those apps register,
in their ``AppConfig.ready``,

* an *end handler* ``handler(*, registrant, by, reason) -> int``: the registration ended
  (rejected, deleted, deregistered, merged); cancel or withdraw what the person still holds and
  return how many things were ended (the count goes into the audit row); and
* an *obligation provider* ``provider(*, registrant) -> list[str]``: Japanese descriptions of
  what prevents deregistration (future reservations, fees owed).

Handlers run inside the caller's transaction, in registration order (reservations first).
"""

from __future__ import annotations

from collections.abc import Callable

from yoyaku.core.models import User
from yoyaku.registrants.models import Registrant

EndHandler = Callable[..., int]
ObligationProvider = Callable[..., list[str]]

_end_handlers: list[EndHandler] = []
_obligation_providers: list[ObligationProvider] = []


def register_end_handler(handler: EndHandler) -> EndHandler:
    if handler not in _end_handlers:
        _end_handlers.append(handler)
    return handler


def register_obligation_provider(provider: ObligationProvider) -> ObligationProvider:
    if provider not in _obligation_providers:
        _obligation_providers.append(provider)
    return provider


def cancel_all_for_registrant(*, registrant: Registrant, by: User | None, reason: str) -> int:
    """Run every end handler; returns how many reservations and applications were ended."""
    return sum(handler(registrant=registrant, by=by, reason=reason) for handler in _end_handlers)


def open_obligations(*, registrant: Registrant) -> list[str]:
    """Japanese descriptions of what prevents deregistration, from every provider."""
    found: list[str] = []
    for provider in _obligation_providers:
        found.extend(provider(registrant=registrant))
    return found
