"""Changes of maintenance windows bump their cache scope (read by every request)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from yoyaku.core import cache
from yoyaku.core.models import MaintenanceWindow
from yoyaku.core.selectors import MAINTENANCE_SCOPE


def _windows_changed(sender, instance, **kwargs) -> None:
    cache.bump(MAINTENANCE_SCOPE)


def connect() -> None:
    post_save.connect(_windows_changed, sender=MaintenanceWindow, dispatch_uid="maintenance-save")
    post_delete.connect(
        _windows_changed, sender=MaintenanceWindow, dispatch_uid="maintenance-delete"
    )
