"""Tasks: thin wrappers that call the waitlist services."""

from __future__ import annotations

from django_tasks import task

from yoyaku.waitlist import services


@task()
def waitlist_freed(facility_id: int) -> int:
    """Capacity of the facility was freed: offer what now fits to the waiters."""
    return services.waitlist_offer_freed(facility_id=facility_id)


@task()
def waitlist_minute() -> dict[str, int]:
    """Every minute: offers past their deadline pass on; anything that fits and was missed
    (a task lost, a hold lifted by staff) is offered."""
    expired = services.waitlist_expire_due()
    return {"expired": expired, "offered": services.waitlist_offer_freed()}


@task()
def waitlist_ping() -> int:
    """An empty task: the bench's baseline of the worker's round trip."""
    return 0
