"""The local-only mailbox page that shows what `make run` sent (DEBUG only)."""

from __future__ import annotations

import pytest
from django.core.mail import EmailMultiAlternatives
from django.test import override_settings


@pytest.mark.django_db
def test_mailbox_shows_file_mails_only_in_debug_and_only_to_this_computer(
    client, tmp_path, settings
):
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=tmp_path
    ):
        message = EmailMultiAlternatives(
            "利用者番号のお知らせ", "利用者番号：123456", to=["a@example.jp"]
        )
        message.attach_alternative("<p>利用者番号：123456</p>", "text/html")
        message.send()
        assert client.get("/dev/mail/").status_code == 404  # DEBUG off
        settings.DEBUG = True
        body = client.get("/dev/mail/").content.decode()
        assert "利用者番号のお知らせ" in body and "利用者番号：123456" in body
        assert client.get("/dev/mail/", REMOTE_ADDR="192.0.2.10").status_code == 404
