"""``manage.py load_demo``: load the demo data and print the demo log-ins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.urls import reverse

from yoyaku.core.models import User
from yoyaku.demo.data import load_demo
from yoyaku.demo.loader import DemoLogin


class Command(BaseCommand):
    help = "デモ用データ（港区・うきは市）を投入します。何度実行しても重複しません。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the site runs, for the printed URLs (default: %(default)s).",
        )

    def handle(self, *args: Any, base_url: str, **options: Any) -> None:
        base_url = base_url.rstrip("/")
        summary = load_demo()

        if summary.created_total:
            self.stdout.write(
                self.style.SUCCESS(
                    f"デモデータを投入しました / Demo data loaded: {summary.created_total} rows"
                )
            )
            for label, count in sorted(summary.created.items()):
                self.stdout.write(f"  {label}: {count}")
        else:
            self.stdout.write(
                self.style.SUCCESS("デモデータは投入済みです / Demo data already loaded")
            )
        for skipped in summary.skipped:
            self.stdout.write(f"  (skipped block, capacity already taken: {skipped})")

        self.stdout.write("")
        self.stdout.write("デモ用ログイン / Demo log-ins")
        current = None
        for login in summary.logins:
            muni = login.municipality
            if muni.pk != current:
                current = muni.pk
                top = reverse("citizen:top", kwargs={"municipality": muni.slug})
                self.stdout.write("")
                self.stdout.write(
                    self.style.MIGRATE_HEADING(f"{muni.name} / {muni.name_en}  {base_url}{top}")
                )
            self.stdout.write(self._line(login, base_url))

    @staticmethod
    def _line(login: DemoLogin, base_url: str) -> str:
        muni = login.municipality
        if login.kind == User.Kind.STAFF:
            # The staff console is shared; the municipality is chosen on its log-in form.
            path = reverse("staff:login")
            where = f"（自治体「{muni.name}」を選択 / choose {muni.name_en}）"
        else:
            path = reverse("citizen:login", kwargs={"municipality": muni.slug})
            where = ""
        text = (
            f"  {login.role} / {login.role_en}\n"
            f"    URL: {base_url}{path}{where}\n"
            f"    ID（ログインID / login id）: {login.login_id}\n"
            f"    パスワード / password: {login.password}"
        )
        if login.totp_secret:
            # Staff also type a one-time code (TOTP); the demo secret is public on purpose.
            text += (
                f"\n    確認コード / one-time code: 認証アプリに設定キー {login.totp_secret} を登録"
                f" / add this key to an authenticator app,\n"
                "      または / or: DEBUG=1 .venv/bin/python manage.py demo_totp "
                f"{muni.slug} {login.login_id}"
            )
        return text
