"""Reads of the core domain: notices, service status (hours, year end, maintenance)."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from yoyaku.core import cache, clock
from yoyaku.core.models import AuditLog, MaintenanceWindow, Municipality, Notice


def notices_current(*, municipality: Municipality, at: dt.datetime | None = None) -> QuerySet:
    at = at or clock.now()
    return Notice.objects.filter(municipality=municipality, published_at__lte=at).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=at)
    )


class ServiceState(enum.Enum):
    OPEN = "open"
    OUTSIDE_HOURS = "outside_hours"
    YEAR_END = "year_end"
    MAINTENANCE = "maintenance"  # data-changing pages closed, viewing open
    SITE_CLOSED = "site_closed"  # the whole site closed


@dataclass(frozen=True)
class ServiceStatus:
    state: ServiceState
    window: MaintenanceWindow | None = None
    reopens_at: dt.datetime | None = None

    @property
    def accepts_changes(self) -> bool:
        return self.state is ServiceState.OPEN

    @property
    def site_closed(self) -> bool:
        return self.state is ServiceState.SITE_CLOSED


# The cache scope of every maintenance window (a window without a municipality concerns all).
MAINTENANCE_SCOPE = "maintenance"


def _maintenance_windows(municipality_id: int | None) -> list[MaintenanceWindow]:
    scope = Q(municipality__isnull=True)
    if municipality_id is not None:
        scope |= Q(municipality_id=municipality_id)
    return list(MaintenanceWindow.objects.filter(scope).order_by("-scope", "ends_at", "pk"))


def maintenance_windows_active(
    *, municipality: Municipality | None, at: dt.datetime
) -> list[MaintenanceWindow]:
    """The windows in force at ``at``, whole-site ones first. Every request asks (the service
    hours middleware): the windows come from the versioned cache, bumped on every change of
    the table (``yoyaku/core/signals.py``), and are filtered here by time."""
    municipality_id = municipality.pk if municipality is not None else None
    windows = cache.remember(
        [MAINTENANCE_SCOPE],
        f"windows:{municipality_id}",
        lambda: _maintenance_windows(municipality_id),
    )
    return [w for w in windows if w.starts_at <= at < w.ends_at]


def maintenance_windows_upcoming(
    *, municipality: Municipality | None, at: dt.datetime | None = None
) -> QuerySet:
    at = at or clock.now()
    scope = Q(municipality__isnull=True)
    if municipality is not None:
        scope |= Q(municipality=municipality)
    return MaintenanceWindow.objects.filter(scope, ends_at__gt=at).order_by("starts_at")


def _next_service_open(municipality: Municipality, at: dt.datetime) -> dt.datetime:
    """The next instant at which the municipality's service hours begin, past year end."""
    local = clock.local(at)
    day = local.date()
    open_time = dt.time(
        municipality.service_open_minute // 60, municipality.service_open_minute % 60
    )
    for _ in range(400):
        start = clock.at(day, open_time)
        if start > local and not municipality.in_year_end_closure(day):
            return start
        day += dt.timedelta(days=1)
    raise AssertionError("no service day within 400 days")  # pragma: no cover


def service_status(
    *, municipality: Municipality | None, at: dt.datetime | None = None
) -> ServiceStatus:
    """Whether the system accepts applications now, and if not, why and until when.

    Order of precedence: a whole-site maintenance, then a write-stopping maintenance, then the
    year-end closure, then the daily service hours (8:00–24:00 by default).
    """
    at = at or clock.now()
    windows = maintenance_windows_active(municipality=municipality, at=at)
    for window in windows:
        if window.scope == MaintenanceWindow.Scope.FULL:
            return ServiceStatus(ServiceState.SITE_CLOSED, window, window.ends_at)
    if windows:
        return ServiceStatus(ServiceState.MAINTENANCE, windows[0], windows[0].ends_at)
    if municipality is None:
        return ServiceStatus(ServiceState.OPEN)
    local = clock.local(at)
    if municipality.in_year_end_closure(local.date()):
        return ServiceStatus(ServiceState.YEAR_END, None, _next_service_open(municipality, at))
    minute = local.hour * 60 + local.minute
    if not municipality.service_open_minute <= minute < municipality.service_close_minute:
        return ServiceStatus(ServiceState.OUTSIDE_HOURS, None, _next_service_open(municipality, at))
    return ServiceStatus(ServiceState.OPEN)


def audit_about(
    *, municipality: Municipality, target: object, actions: list[str] | None = None, limit: int = 50
) -> list:
    """The newest audit rows about one object (a registrant's history, or with ``actions``
    who viewed their data and when). One query; uses the (target) filter and the time order."""
    rows = AuditLog.objects.filter(
        municipality=municipality,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
    ).select_related("actor")
    if actions is not None:
        rows = rows.filter(action__in=actions)
    return list(rows.order_by("-at", "-id")[:limit])


def municipalities_list() -> QuerySet[Municipality]:
    return Municipality.objects.order_by("order", "id")


def municipality_get(*, slug: str) -> Municipality | None:
    return Municipality.objects.filter(slug=slug).first()
