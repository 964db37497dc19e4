from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from yoyaku.core.health import SCHEDULER, heartbeat_record
from yoyaku.scheduling.services import scheduler_tick


class Command(BaseCommand):
    help = "Enqueue the daily jobs when they are due (run next to the task workers)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="check once and exit")
        parser.add_argument("--interval", type=float, default=30.0)

    def handle(self, *args, **options):
        while True:
            for name in scheduler_tick():
                self.stdout.write(f"enqueued {name}")
            # After a tick that worked: the health endpoint shows a scheduler that is stuck.
            heartbeat_record(name=SCHEDULER)
            if options["once"]:
                return
            time.sleep(options["interval"])
