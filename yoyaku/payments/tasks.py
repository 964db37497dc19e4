"""Tasks: thin wrappers that load by id and call a service."""

from __future__ import annotations

from django_tasks import task

from yoyaku.payments import jobs, refunds
from yoyaku.payments.models import Refund
from yoyaku.payments.providers.base import ProviderError


@task()
def refund_send(refund_id: int) -> str:
    """Sent right after the refund is planned; a provider that is down is tried again by the
    minute job with the same key."""
    try:
        refund = refunds.refund_send(refund=Refund.objects.get(pk=refund_id))
    except ProviderError:
        return "provider unreachable; retried by the minute job"
    return refund.status


@task()
def payments_minute() -> dict[str, int]:
    return jobs.payments_minute()
