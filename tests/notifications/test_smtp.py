"""One mail through a real SMTP server, started by the test (aiosmtpd)."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from tests.registrants import builders


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_the_user_number_mail_goes_through_smtp(settings, ukiha):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = controller.port
        settings.EMAIL_USE_TLS = False
        registrant = builders.apply(ukiha, email="smtp@example.jp")
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    recipients, raw = inbox.messages[0]
    assert recipients == ["smtp@example.jp"]
    message = message_from_bytes(raw, policy=policy.default)
    assert "利用者番号のお知らせ" in message["subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert f"利用者番号：{registrant.user_number}" in text
    assert message.get_body(preferencelist=("html",)) is not None
