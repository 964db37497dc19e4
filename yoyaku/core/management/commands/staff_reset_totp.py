"""An admin resets a staff member's lost authenticator app (audited as ``staff.totp_reset``).

manage.py staff_reset_totp ukiha bunka --reason "スマートフォン紛失"

The staff member's next log-in (password first) then asks to set up a new authenticator app.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from yoyaku.core.models import Municipality, User
from yoyaku.core.totp import staff_totp_reset


class Command(BaseCommand):
    help = "Reset a staff member's authenticator app (TOTP) so that they set up a new one."

    def add_arguments(self, parser):
        parser.add_argument("municipality", help="municipality slug, e.g. ukiha")
        parser.add_argument("login_id", help="the staff id typed on the log-in form")
        parser.add_argument("--reason", default="", help="kept in the audit log")

    def handle(self, *args, municipality: str, login_id: str, reason: str, **options):
        muni = Municipality.objects.filter(slug=municipality).first()
        if muni is None:
            raise CommandError(f"no municipality {municipality!r}")
        user = User.objects.filter(
            municipality=muni, kind=User.Kind.STAFF, login_id=login_id
        ).first()
        if user is None:
            raise CommandError(f"no staff member {login_id!r} in {muni.slug}")
        staff_totp_reset(user=user, by=None, reason=reason.strip())
        self.stdout.write(
            f"reset the authenticator of {muni.slug}/{login_id}; "
            "the next log-in asks to set up a new one"
        )
