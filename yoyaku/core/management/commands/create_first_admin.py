"""The first administrator of a new municipality: everything else is then done in the console.

manage.py create_first_admin ukiha admin --email it@city.ukiha.example --municipality-name うきは市

Creates the municipality when no municipality has the slug, and its first administrator with an
initial password printed once, here. The authenticator app (TOTP) is set up at the first log-in.
Refuses when the municipality already has an active administrator.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from yoyaku.core.errors import DomainError
from yoyaku.core.staff_services import first_admin_create


class Command(BaseCommand):
    help = "Create a municipality (if missing) and its first administrator."

    def add_arguments(self, parser):
        parser.add_argument("municipality", help="municipality slug, the first part of its URLs")
        parser.add_argument("login_id", help="the staff id the administrator will type")
        parser.add_argument("--email", required=True, help="the administrator's e-mail address")
        parser.add_argument(
            "--municipality-name", default="", help="e.g. うきは市 (when the municipality is new)"
        )
        parser.add_argument("--display-name", default="", help="shown in the console and the log")

    def handle(self, *args, municipality: str, login_id: str, email: str, **options):
        try:
            result = first_admin_create(
                slug=municipality,
                login_id=login_id,
                email=email,
                municipality_name=options["municipality_name"],
                display_name=options["display_name"],
            )
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from error
        muni = result.municipality
        if result.municipality_created:
            self.stdout.write(f"created the municipality {muni.slug} ({muni.name})")
        self.stdout.write(
            f"created the administrator {muni.slug}/{result.user.login_id}\n"
            f"initial password (shown only this once): {result.password}\n"
            " Log in at /staff/login/ with it; the first log-in sets up "
            "the authenticator app (TOTP). Then set up the municipality in the console."
        )
