"""Re-run a drawn lottery from its published data and compare with the stored results.

manage.py verify_lottery ROUND_ID [--expect-seed-sha256 HEX] [--public-value TEXT]
                                  [--expect-applications-sha256 HEX]
python yoyaku/lottery/algorithm.py published.json [the same options]   # without Django or a DB
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from yoyaku.lottery import algorithm
from yoyaku.lottery.models import LotteryApplication, LotteryRound


def _sha256(text: str) -> str:
    if not algorithm.is_sha256_hex(text):
        raise CommandError(
            f"{text!r} is not a SHA-256: write it as 64 lower-case hex digits (0-9, a-f)",
            returncode=2,
        )
    return text


class Command(BaseCommand):
    help = "Verify a lottery drawing from its published seed, applications and results."

    def add_arguments(self, parser):
        parser.add_argument("round_id", type=int)
        parser.add_argument(
            "--expect-seed-sha256", metavar="HEX", help="the seed's SHA-256 saved beforehand"
        )
        parser.add_argument(
            "--expect-applications-sha256",
            metavar="HEX",
            help="the applications' SHA-256 published at the close",
        )
        parser.add_argument(
            "--public-value", metavar="TEXT", help="the public value read at its source"
        )

    def handle(self, *args, round_id: int, **options):
        seed_hash = options.get("expect_seed_sha256")
        applications_hash = options.get("expect_applications_sha256")
        value = options.get("public_value")
        seed_hash = _sha256(seed_hash) if seed_hash is not None else None
        applications_hash = _sha256(applications_hash) if applications_hash is not None else None
        if value is not None:
            try:
                value = algorithm.normalize_public_value(value)
            except ValueError as error:
                raise CommandError(f"--public-value: {error}", returncode=2) from None
        lottery = LotteryRound.objects.filter(pk=round_id).first()
        if lottery is None:
            raise CommandError(f"no lottery round {round_id}")
        document = lottery.published
        if not document:
            raise CommandError(f"round {round_id} has not been drawn yet")
        ok, message = algorithm.verify(
            document,
            expect_seed_sha256=seed_hash,
            expect_applications_sha256=applications_hash,
            public_value=value,
        )
        if not ok:
            raise CommandError(f"NOT REPRODUCED: {message}")
        # The published results must also be what the database holds. An application
        # withdrawn after the freeze is in the drawing, but its win was never booked.
        published = document["results"]["wins"]
        rows = LotteryApplication.objects.filter(round=lottery).values_list(
            "pseudonym", "status", "won_rank"
        )
        stored = {
            p: rank for p, status, rank in rows if status != LotteryApplication.Status.WITHDRAWN
        }
        withdrawn = {
            p for p, status, _rank in rows if status == LotteryApplication.Status.WITHDRAWN
        }
        if {k: v for k, v in published.items() if k not in withdrawn} != stored:
            raise CommandError("NOT REPRODUCED: the stored results differ from the published ones")
        self.stdout.write(f"OK: round {round_id} reproduced exactly ({len(stored)} applications)")
        self.stdout.write(message)
