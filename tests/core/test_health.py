"""/healthz: what a load balancer or an operator's monitor sees when a part of the site stops."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.core.test_deploy import run_manage
from yoyaku.core import clock, housekeeping
from yoyaku.core.health import SCHEDULER, WORKER, heartbeat_record
from yoyaku.core.models import Heartbeat
from yoyaku.core.tasks import core_heartbeat
from yoyaku.settings import cache_settings

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 10, 0)


def _checks(response) -> dict:
    return response.json()["checks"]


def test_a_ticking_scheduler_and_a_running_worker_make_healthz_answer_200(
    client, travel, django_capture_on_commit_callbacks
):
    travel(NOW)
    # The scheduler's tick enqueues the heartbeat task; the (immediate) worker runs it.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_scheduler", "--once")

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": {"ok": True},
            "cache": {"ok": True},
            "scheduler": {"ok": True, "age_seconds": 0},
            "worker": {"ok": True, "age_seconds": 0},
        },
    }


def test_healthz_is_never_cached_and_reads_the_database_once(
    client, travel, django_assert_num_queries
):
    travel(NOW)
    heartbeat_record(name=SCHEDULER)
    heartbeat_record(name=WORKER)

    with django_assert_num_queries(1):
        response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "application/json"


def test_a_worker_silent_for_more_than_three_minutes_makes_healthz_fail(client, travel):
    travel(NOW - dt.timedelta(minutes=4))
    core_heartbeat.enqueue()  # the worker's last run
    travel(NOW)
    heartbeat_record(name=SCHEDULER)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["status"] == "fail"
    assert _checks(response)["worker"] == {"ok": False, "age_seconds": 240}
    assert _checks(response)["scheduler"]["ok"] is True


def test_a_worker_that_ran_within_three_minutes_is_healthy(client, travel):
    travel(NOW - dt.timedelta(minutes=2, seconds=59))
    core_heartbeat.enqueue()
    travel(NOW)
    heartbeat_record(name=SCHEDULER)

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert _checks(response)["worker"] == {"ok": True, "age_seconds": 179}


def test_a_scheduler_that_never_ticked_makes_healthz_fail(client, travel):
    travel(NOW)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert _checks(response)["scheduler"] == {"ok": False}
    assert _checks(response)["worker"] == {"ok": False}
    assert _checks(response)["database"] == {"ok": True}


def test_a_stopped_scheduler_makes_healthz_fail_even_while_the_worker_is_fresh(client, travel):
    travel(NOW - dt.timedelta(minutes=10))
    heartbeat_record(name=SCHEDULER)
    travel(NOW)
    heartbeat_record(name=WORKER)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert _checks(response)["scheduler"] == {"ok": False, "age_seconds": 600}
    assert _checks(response)["worker"]["ok"] is True


def test_an_unreachable_redis_makes_healthz_fail_and_still_reports_the_rest(
    client, travel, settings
):
    travel(NOW)
    heartbeat_record(name=SCHEDULER)
    heartbeat_record(name=WORKER)
    # Nothing listens on port 1: the connection is refused at once.
    settings.CACHES = cache_settings("redis://127.0.0.1:1/0")

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert _checks(response)["cache"] == {"ok": False}
    assert _checks(response)["database"] == {"ok": True}
    assert _checks(response)["worker"]["ok"] is True


def test_an_unreachable_database_makes_the_health_command_fail(tmp_path):
    result = run_manage(
        "health",
        env={
            "DEBUG": "1",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nothing_listens_here",
            "YOYAKU_DATA_DIR": str(tmp_path),
        },
    )

    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "fail"
    assert report["checks"]["database"] == {"ok": False}
    assert report["checks"]["cache"] == {"ok": True}
    # The database error's text (host names, user) is not in the answer.
    assert "127.0.0.1" not in result.stdout


def test_a_second_beat_overwrites_the_first(travel):
    travel(NOW - dt.timedelta(minutes=5))
    heartbeat_record(name=WORKER)
    travel(NOW)
    heartbeat_record(name=WORKER)

    assert list(Heartbeat.objects.values_list("name", "beat_at")) == [(WORKER, clock.now())]


@pytest.mark.django_db
def test_the_nightly_job_prunes_finished_task_results_only_on_the_database_backend():
    """The tests run tasks immediately, with no stored results: nothing to prune, no error."""
    assert housekeeping.task_results_prune() is False
