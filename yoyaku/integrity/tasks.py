"""Background work of the multiple-accounts signals: thin tasks around the services."""

from __future__ import annotations

from django_tasks import task

from yoyaku.integrity import services


@task()
def integrity_daily() -> dict[str, int]:
    """Sightings older than the retention period are deleted (the scheduler runs this)."""
    return {"sightings_purged": services.sightings_purge()}
