"""Smart locks: the one interface entry codes (``reservations.entry_codes``) are pushed through.

A vendor's lock (Toyooka's, or any other) is an adapter class with three operations:

* ``push(code)``: the door of ``code.facility`` accepts ``code.code`` from ``code.valid_from``
  to ``code.valid_until`` (both ends included). Pushing the same code again changes nothing.
* ``revoke(code)``: the door no longer accepts it. Revoking an unknown code changes nothing.
* ``check(facility, code, at)``: whether the door would open for ``code`` at ``at``.

``settings.YOYAKU_LOCK_ADAPTER`` names the class (default :class:`FakeLock`). Push and revoke
are called by the ``entry_code_send`` task after the transaction that issued or revoked the
code committed, never inside it.
"""

from __future__ import annotations

import abc
import datetime as dt

from django.conf import settings
from django.utils.module_loading import import_string

from yoyaku.core import clock
from yoyaku.facilities.models import Facility
from yoyaku.reservations.models import EntryCode, FakeLockCode


class LockAdapter(abc.ABC):
    """What the reservation system needs from a smart lock."""

    @abc.abstractmethod
    def push(self, code: EntryCode) -> None: ...

    @abc.abstractmethod
    def revoke(self, code: EntryCode) -> None: ...

    @abc.abstractmethod
    def check(self, facility: Facility, code: str, at: dt.datetime) -> bool: ...


class FakeLock(LockAdapter):
    """A lock for tests and the demo: keeps what it was told in ``FakeLockCode`` rows and opens
    for a code only inside its window. ``manage.py lock_check`` asks it at a door."""

    def push(self, code: EntryCode) -> None:
        FakeLockCode.objects.update_or_create(
            entry_code=code,
            defaults={
                "facility_id": code.facility_id,
                "code": code.code,
                "valid_from": code.valid_from,
                "valid_until": code.valid_until,
                "pushed_at": clock.now(),
            },
        )

    def revoke(self, code: EntryCode) -> None:
        FakeLockCode.objects.filter(entry_code=code).delete()

    def check(self, facility: Facility, code: str, at: dt.datetime) -> bool:
        return FakeLockCode.objects.filter(
            facility=facility, code=code, valid_from__lte=at, valid_until__gte=at
        ).exists()


def adapter() -> LockAdapter:
    """The configured lock adapter (``YOYAKU_LOCK_ADAPTER``)."""
    return import_string(settings.YOYAKU_LOCK_ADAPTER)()
