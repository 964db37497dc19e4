"""Background work of registrations: thin tasks around the services."""

from __future__ import annotations

import datetime as dt

from django.core.files.storage import default_storage
from django_tasks import task

from yoyaku.core import clock
from yoyaku.registrants import services


@task()
def registrants_daily() -> dict[str, int]:
    result = services.validity_daily()
    result["anonymized"] = services.anonymize_ended()
    result["pending_uploads_removed"] = remove_abandoned_uploads()
    return result


def remove_abandoned_uploads(*, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Proofs attached to applications that never reached 送信 are deleted after a day."""
    if not default_storage.exists("pending"):
        return 0
    cutoff = clock.now() - older_than
    removed = 0
    for name in default_storage.listdir("pending")[1]:
        path = f"pending/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            removed += 1
    return removed
