"""Versioned caching: what rarely changes, and availability, read once and shared.

Every cached value belongs to one or more *scopes* (e.g. ``setup:12`` for municipality 12's
facilities, units, schedules and fee rules, or ``avail:34`` for facility 34's occupancy). Each
scope has a version number in Django's cache (Redis in production, so every web and worker
process sees the same number). A value is stored under the versions of its scopes at the time it
was read; a change *bumps* the version, after which nobody reads the old value again: nothing
is ever deleted or patched, so there is no invalidation race to get wrong.

Order matters and is kept here:

- readers take the version *before* they read the database;
- writers bump *immediately* (so a reader in the same transaction, or a test, sees the change)
  and *again after commit* (so a reader that took the new version while the writer's
  transaction was still open, and cached what it saw then, is superseded too).

A value built under a version is therefore never newer than what that version promises, and a
committed change is visible to every reader that starts after the commit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction

from yoyaku.core.db_router import REPLICA, read_alias

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

_MISSING = object()
# Values live a day at most: versions make them unreachable long before, this only bounds memory.
DEFAULT_TIMEOUT = 24 * 3600
# Values built from a read replica are kept this many seconds (see _lifetime).
REPLICA_BUILT_TIMEOUT = 5


def _version_key(scope: str) -> str:
    return f"ver:{scope}"


def _fresh() -> int:
    # A lost version key (Redis restarted, evicted) restarts above every earlier number, so
    # values stored under the old numbers are never reached again.
    return time.time_ns()


def versions(scopes: Iterable[str]) -> tuple[int, ...]:
    """The current version of each scope, in one round trip to the cache."""
    scopes = tuple(scopes)
    keys = [_version_key(scope) for scope in scopes]
    found = cache.get_many(keys)
    result = []
    for key in keys:
        value = found.get(key)
        if value is None:
            cache.add(key, _fresh(), timeout=None)
            value = cache.get(key)
        result.append(int(value))
    return tuple(result)


def _bump_now(scopes: tuple[str, ...]) -> None:
    for scope in scopes:
        key = _version_key(scope)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, _fresh(), timeout=None)


def bump(*scopes: str) -> None:
    """Mark every value of these scopes as outdated: now, and once more after commit."""
    if not scopes:
        return
    _bump_now(scopes)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _bump_now(scopes), robust=True)


def _lifetime(timeout: int) -> int:
    """How long a value just built may be kept. A value read from a replica (a public page of
    a visitor, see ``yoyaku.core.db_router``) may predate a change the replica has not yet
    replayed, and be stored under the version bumped after that change, where no later bump
    would reach it: it is kept only ``REPLICA_BUILT_TIMEOUT`` seconds, so what a visitor sees is
    at most that old. Values read from the primary live until the next bump."""
    return min(timeout, REPLICA_BUILT_TIMEOUT) if read_alias() == REPLICA else timeout


def remember(
    scopes: Iterable[str],
    key: str,
    build: Callable[[], T],
    *,
    timeout: int = DEFAULT_TIMEOUT,
    usable: Callable[[T], bool] | None = None,
) -> T:
    """The value for ``key`` under the current versions of ``scopes``; ``build()`` when absent
    (or when ``usable(value)`` says the value found may no longer be served).

    ``build`` must read only data that a bump of one of ``scopes`` announces.
    """
    scopes = tuple(scopes)
    stamp = ".".join(str(v) for v in versions(scopes))
    full_key = f"val:{'+'.join(scopes)}:{stamp}:{key}"
    value: Any = cache.get(full_key, _MISSING)
    if value is _MISSING or (usable is not None and not usable(value)):
        value = build()
        cache.set(full_key, value, timeout=_lifetime(timeout))
    return value


def remember_many(
    entries: Mapping[K, Iterable[str]],
    key: Callable[[K], str],
    build: Callable[[list[K]], Mapping[K, T]],
    *,
    timeout: int = DEFAULT_TIMEOUT,
    usable: Callable[[T], bool] | None = None,
) -> dict[K, T]:
    """``remember`` for many values at once: two round trips to the cache whatever their number,
    and one ``build(missing)`` call for all that are absent (so a page of a hundred facilities
    reads the database once, not a hundred times, when their values are cold).

    ``entries`` maps each wanted item to its scopes; ``key(item)`` names it within them;
    ``build`` returns a value for every item it is given. ``usable(value)``: whether a found
    value may still be served (e.g. it carries the span of time it holds for); when not, the
    item is built again like a missing one.
    """
    scopes_of = {item: tuple(scopes) for item, scopes in entries.items()}
    all_scopes = sorted({scope for scopes in scopes_of.values() for scope in scopes})
    current = dict(zip(all_scopes, versions(all_scopes), strict=True))
    full_keys = {
        item: (f"val:{'+'.join(scopes)}:{'.'.join(str(current[s]) for s in scopes)}:{key(item)}")
        for item, scopes in scopes_of.items()
    }
    found = cache.get_many(list(full_keys.values()))
    result: dict[K, T] = {}
    missing: list[K] = []
    for item, full_key in full_keys.items():
        value = found.get(full_key, _MISSING)
        if value is not _MISSING and (usable is None or usable(value)):
            result[item] = value
        else:
            missing.append(item)
    if missing:
        built = build(missing)
        cache.set_many(
            {full_keys[item]: built[item] for item in missing}, timeout=_lifetime(timeout)
        )
        result.update({item: built[item] for item in missing})
    return result
