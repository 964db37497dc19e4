"""The channel of the audit rows written while a request is served, when a face other than
the console or the citizen pages calls the same services (the API).

Services name their actor, never their door: ``audit_record`` takes the channel from here when
its caller names none, so an approval through the API is recorded ``via=api`` by the very
service the console calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from yoyaku.core.models import AuditVia

_current: ContextVar[AuditVia | None] = ContextVar("audit_via", default=None)


@contextmanager
def audit_channel(via: AuditVia) -> Iterator[None]:
    """Every audit row written inside the block, without a channel of its own, is ``via``."""
    token = _current.set(via)
    try:
        yield
    finally:
        _current.reset(token)


def current_channel() -> AuditVia | None:
    return _current.get()
