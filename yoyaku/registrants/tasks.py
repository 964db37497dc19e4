"""Background work of registrations: thin tasks around the services."""

from __future__ import annotations

from django_tasks import task

from yoyaku.registrants import services


@task()
def registrants_daily() -> dict[str, int]:
    result = services.validity_daily()
    result["anonymized"] = services.anonymize_ended()
    return result


@task()
def registrants_pending_uploads() -> dict[str, int]:
    """Proofs attached to applications that never reached 送信 are deleted after an hour
    (the scheduler runs this every quarter hour)."""
    return {"pending_uploads_removed": services.pending_uploads_remove_abandoned()}
