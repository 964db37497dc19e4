from __future__ import annotations

from django_tasks import task

from yoyaku.lottery import services
from yoyaku.lottery.models import LotteryRound
from yoyaku.lottery.schedules import rounds_from_schedules


@task()
def lottery_draw(round_id: int) -> None:
    services.lottery_draw(lottery=LotteryRound.objects.get(pk=round_id))


@task()
def lottery_freeze(round_id: int) -> str:
    """The application window closed: freeze the applications and publish their hash."""
    return services.lottery_freeze(
        lottery=LotteryRound.objects.get(pk=round_id)
    ).applications_sha256


@task()
def lottery_after_drawing() -> dict[str, int]:
    """Expire unconfirmed wins and release held capacity whose time has come."""
    return {
        "expired": services.lottery_expire_unconfirmed(),
        "released": services.release_held_blocks(),
    }


@task()
def lottery_rounds_from_schedules() -> list[int]:
    """This month's rounds of the schedules (定期抽選) that have not been made yet."""
    return [lottery.pk for lottery in rounds_from_schedules()]


@task()
def lottery_send_results(round_id: int) -> int:
    """Fan out: one task per batch of results (enqueued here, after the drawing committed)."""
    lottery = LotteryRound.objects.get(pk=round_id)
    batches = services.lottery_results_batches(lottery=lottery)
    for first_id, last_id in batches:
        lottery_send_results_batch.enqueue(round_id, first_id, last_id)
    return len(batches)


@task()
def lottery_send_results_batch(round_id: int, first_id: int, last_id: int) -> int:
    return services.lottery_results_mail(
        lottery=LotteryRound.objects.get(pk=round_id), first_id=first_id, last_id=last_id
    )


def send_results_after_drawing(round_id: int) -> None:
    """Registered as an after-drawing handler of the drawing service."""
    lottery_send_results.enqueue(round_id)
