"""manage.py lock_check FACILITY CODE [--at "2027-06-01 14:45"] [--municipality SLUG]:
try an entry code at a facility's door, as the configured smart lock would (the fake lock in
development). Prints "open" or "refused"; exits with status 1 when refused."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from yoyaku.core import clock
from yoyaku.facilities.models import Facility
from yoyaku.reservations import locks


class Command(BaseCommand):
    help = "Try an entry code at a facility's door (the configured lock adapter)."

    def add_arguments(self, parser):
        parser.add_argument("facility", help="the facility's slug (or id)")
        parser.add_argument("code", help="the 6-digit entry code")
        parser.add_argument("--at", help='Japan time "YYYY-MM-DD HH:MM" (default: now)')
        parser.add_argument("--municipality", help="slug, when several have the facility slug")

    def handle(self, *args, **options):
        facilities = Facility.objects.all()
        if options.get("municipality"):
            facilities = facilities.filter(municipality__slug=options["municipality"])
        key = options["facility"]
        matches = list(facilities.filter(slug=key)) or (
            list(facilities.filter(pk=int(key))) if key.isdigit() else []
        )
        if not matches:
            raise CommandError("unknown facility")
        if len(matches) > 1:
            raise CommandError("several facilities have this slug: give --municipality")
        at = clock.now()
        if options.get("at"):
            try:
                naive = dt.datetime.strptime(options["at"], "%Y-%m-%d %H:%M")
            except ValueError:
                raise CommandError('--at must be "YYYY-MM-DD HH:MM"') from None
            at = clock.at(naive.date(), naive.time())
        opened = locks.adapter().check(matches[0], options["code"].strip(), at)
        self.stdout.write("open" if opened else "refused")
        if not opened:
            raise SystemExit(1)
