"""A read replica for public availability: views opt in, everything else stays on the primary.

When ``DATABASE_REPLICA_URL`` is set, settings add a ``replica`` database alias and install
:class:`ReplicaRouter`. The router never guesses from the model: a read goes to the replica only
while the code that runs it has said so with :func:`replica_reads` (or a view with
:func:`replica_view`). Even then it stays on the primary

- inside a transaction (a booking's checks run in ``transaction.atomic`` after
  ``select_for_update``: they must see the latest committed row, never a copy behind it);
- in the booking service, whose every read decides whether a slot may be taken;
- for a logged-in registrant or staff member (:func:`replica_view` decides before the view
  runs): they have just booked or cancelled and must see their own change.

Writes always go to the primary. The versioned cache (``yoyaku.core.cache``) keeps a value
built from the replica only a few seconds, since it may predate a change the replica has not
yet replayed while being stored under the version bumped after it. A replica is behind the primary by its replication lag (a few
hundred milliseconds on a healthy streaming replica): the calendar a visitor sees may be that
old; the booking itself checks again on the primary and refuses a slot taken in the meantime.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest

REPLICA = "replica"

P = ParamSpec("P")
R = TypeVar("R")

# True while the code running in this thread (or asyncio task) allows reads from the replica.
_replica_allowed: ContextVar[bool] = ContextVar("yoyaku_replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads in this block may go to the replica (when there is one, outside transactions)."""
    token = _replica_allowed.set(True)
    try:
        yield
    finally:
        _replica_allowed.reset(token)


@contextmanager
def primary_reads() -> Iterator[None]:
    """Reads in this block go to the primary, even inside :func:`replica_reads`."""
    token = _replica_allowed.set(False)
    try:
        yield
    finally:
        _replica_allowed.reset(token)


def read_alias() -> str:
    """The alias the next read would use: ``replica`` or ``default``."""
    if not _replica_allowed.get() or not replica_configured():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return REPLICA


def _is_anonymous(request: HttpRequest) -> bool:
    # request.user loads the session and the user from the primary (the router is not yet
    # allowed to divert); a request carrying an API token is someone's, not a visitor's.
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    return "HTTP_AUTHORIZATION" not in request.META


def replica_view(view: Callable[P, R]) -> Callable[P, R]:
    """A public availability view whose reads go to the replica for visitors not logged in."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        request = args[0]
        if not isinstance(request, HttpRequest) or not _is_anonymous(request):
            return view(*args, **kwargs)
        with replica_reads():
            return view(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    """Django database router (settings.DATABASE_ROUTERS) for the ``replica`` alias."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        return read_alias()

    def db_for_write(self, model: type, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # Both aliases hold the same data: a row read from the replica may be linked to one
        # read from the primary.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        # The replica receives the schema by replication.
        return db != REPLICA
