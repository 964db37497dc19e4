"""Re-run a drawn lottery from its published data and compare with the stored results.

manage.py verify_lottery ROUND_ID
python yoyaku/lottery/algorithm.py published.json     # the same, without Django or a DB
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from yoyaku.lottery import algorithm
from yoyaku.lottery.models import LotteryApplication, LotteryRound


class Command(BaseCommand):
    help = "Verify a lottery drawing from its published seed, applications and results."

    def add_arguments(self, parser):
        parser.add_argument("round_id", type=int)

    def handle(self, *args, round_id: int, **options):
        lottery = LotteryRound.objects.filter(pk=round_id).first()
        if lottery is None:
            raise CommandError(f"no lottery round {round_id}")
        document = lottery.published
        if not document:
            raise CommandError(f"round {round_id} has not been drawn yet")
        ok, message = algorithm.verify(document)
        if not ok:
            raise CommandError(f"NOT REPRODUCED: {message}")
        # The published results must also be what the database holds.
        published = document["results"]["wins"]
        stored = dict(
            LotteryApplication.objects.filter(round=lottery)
            .exclude(status=LotteryApplication.Status.WITHDRAWN)
            .values_list("pseudonym", "won_rank")
        )
        if {k: v for k, v in published.items()} != stored:
            raise CommandError("NOT REPRODUCED: the stored results differ from the published ones")
        self.stdout.write(f"OK: round {round_id} reproduced exactly ({len(stored)} applications)")
