"""Tasks: thin wrappers that load by id and call a service."""

from __future__ import annotations

from django_tasks import task

from yoyaku.scheduling import closures
from yoyaku.scheduling.models import BulkClosure


@task()
def bulk_closure_run(job_id: int) -> dict[str, int]:
    job = closures.bulk_closure_run(job=BulkClosure.objects.get(pk=job_id))
    return {"cancelled": job.cancelled, "withdrawn": job.withdrawn}
