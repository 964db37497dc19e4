"""Print the current log-in code of a demo staff member (development only).

manage.py demo_totp ukiha admin

Only with ``DEBUG=1`` and only for the demo staff of ``load_demo`` whose secret is still the
published demo secret: it can never print a code of a real staff member.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from yoyaku.core import clock
from yoyaku.core.models import User
from yoyaku.core.totp import totp_current_code
from yoyaku.demo.people import STAFF
from yoyaku.demo.specs import DEMO_STAFF_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current one-time code of a demo staff member (needs DEBUG=1)."

    def add_arguments(self, parser):
        parser.add_argument("municipality", help="minato or ukiha")
        parser.add_argument("login_id", help="a demo staff id, e.g. admin")

    def handle(self, *args, municipality: str, login_id: str, **options):
        if not settings.DEBUG:
            raise CommandError("demo_totp only runs with DEBUG=1 (demo data only)")
        if login_id not in {spec.login_id for spec in STAFF.get(municipality, ())}:
            raise CommandError(f"{municipality}/{login_id} is not a demo staff member")
        user = User.objects.filter(
            municipality__slug=municipality, kind=User.Kind.STAFF, login_id=login_id
        ).first()
        if user is None:
            raise CommandError("demo data not loaded: run manage.py load_demo first")
        if user.totp_secret != DEMO_STAFF_TOTP_SECRET or user.totp_confirmed_at is None:
            raise CommandError(f"{municipality}/{login_id} no longer uses the demo secret")
        now = clock.now()
        seconds_left = 30 - int(now.timestamp()) % 30
        self.stdout.write(totp_current_code(user.totp_secret))
        self.stderr.write(f"(valid for {seconds_left} more seconds / あと{seconds_left}秒有効)")
