"""``manage.py health``: the health report of /healthz as JSON; exit status 1 when it fails.

For a monitor or a container health check on the machine itself (no HTTP, no Host header).
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from yoyaku.core.health import health_report


class Command(BaseCommand):
    help = "Check the database, the cache, the scheduler and the task workers (JSON)."
    # The checks must run even when the database is down.
    requires_system_checks: list[str] = []

    def handle(self, *args, **options):
        report = health_report()
        self.stdout.write(json.dumps(report.as_json(), sort_keys=True))
        if not report.ok:
            raise CommandError("unhealthy", returncode=1)
