"""Operators announce or end a maintenance stop from the shell (e.g. for a deployment).

manage.py maintenance --start "2027-03-31 00:00" --end "2027-04-01 05:00" --message "…"
manage.py maintenance --start now --minutes 30 --full           # the whole site
manage.py maintenance --end-now                                  # end what is running
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import MaintenanceWindow, Municipality
from yoyaku.core.selectors import maintenance_windows_active
from yoyaku.core.services import maintenance_end_now, maintenance_schedule


def parse_moment(value: str) -> dt.datetime:
    if value == "now":
        return clock.now()
    try:
        return dt.datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=clock.JST)
    except ValueError as exc:
        raise CommandError(
            f"expected 'YYYY-MM-DD HH:MM' (Japan time) or 'now', got {value!r}"
        ) from exc


class Command(BaseCommand):
    help = "Schedule or end a maintenance window (システム休止)."

    def add_arguments(self, parser):
        parser.add_argument("--municipality", help="slug; default: every municipality")
        parser.add_argument("--start", help="'YYYY-MM-DD HH:MM' (Japan time) or 'now'")
        parser.add_argument("--end", help="'YYYY-MM-DD HH:MM' (Japan time)")
        parser.add_argument("--minutes", type=int, help="length instead of --end")
        parser.add_argument("--full", action="store_true", help="close the whole site")
        parser.add_argument("--message", default="", help="shown to citizens")
        parser.add_argument("--end-now", action="store_true", help="end running windows")

    def handle(self, *args, **options):
        municipality = None
        if options["municipality"]:
            municipality = Municipality.objects.filter(slug=options["municipality"]).first()
            if municipality is None:
                raise CommandError(f"no municipality {options['municipality']!r}")
        if options["end_now"]:
            ended = 0
            for window in maintenance_windows_active(municipality=municipality, at=clock.now()):
                if window.municipality_id == (municipality.pk if municipality else None):
                    maintenance_end_now(window=window, by=None)
                    ended += 1
            self.stdout.write(f"ended {ended} maintenance window(s)")
            return
        if not options["start"]:
            raise CommandError("give --start (and --end or --minutes), or --end-now")
        starts_at = parse_moment(options["start"])
        if options["minutes"]:
            ends_at = starts_at + dt.timedelta(minutes=options["minutes"])
        elif options["end"]:
            ends_at = parse_moment(options["end"])
        else:
            raise CommandError("give --end or --minutes")
        try:
            window = maintenance_schedule(
                municipality=municipality,
                by=None,
                starts_at=starts_at,
                ends_at=ends_at,
                scope=MaintenanceWindow.Scope.FULL
                if options["full"]
                else MaintenanceWindow.Scope.WRITES,
                message=options["message"],
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"scheduled: {window}")
