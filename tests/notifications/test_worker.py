"""Background work goes through Django's task API; the database backend's worker sends it."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from yoyaku.notifications.services import email_queue

pytestmark = pytest.mark.django_db(transaction=True)


def test_queued_mail_waits_for_the_worker_with_the_database_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}
    with transaction.atomic():
        email_queue(to=["taro@example.jp"], subject="利用者番号のお知らせ", body="本文")
        assert DBTaskResult.objects.count() == 0  # nothing leaves before commit
    assert DBTaskResult.objects.count() == 1
    assert mail.outbox == []
    call_command("db_worker", "--batch", "--interval", "0", verbosity=0)
    assert [m.subject for m in mail.outbox] == ["利用者番号のお知らせ"]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_rolled_back_change_mails_nobody():
    with pytest.raises(RuntimeError), transaction.atomic():
        email_queue(to=["taro@example.jp"], subject="送られない", body="本文")
        raise RuntimeError
    assert mail.outbox == []


def test_tests_run_tasks_immediately():
    with transaction.atomic():
        email_queue(to=["hanako@example.jp"], subject="すぐ送信", body="本文")
    assert [m.to for m in mail.outbox] == [["hanako@example.jp"]]
