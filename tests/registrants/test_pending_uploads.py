"""Proofs attached to the public registration form: anyone can post it, so storing is limited.

A proof waits under ``pending/`` between the form and 送信. Per client address at most 10 are
stored per hour, one form session keeps one file, all waiting files together stay under a cap,
and what is not sent within an hour is deleted by the scheduled clean-up.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.registrants.data import NOW, PDF, worker_data
from yoyaku.registrants.models import Registrant
from yoyaku.scheduling.services import scheduler_tick

pytestmark = pytest.mark.django_db(transaction=True)

THROTTLED = "短時間に多くのファイルが添付されたため、ただいまファイルを受け付けられません。"
FULL = "ただいま混み合っているため、ファイルを受け付けられません。"


def proof(name: str = "在勤証明書.pdf", body: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def post_form(client: Client, municipality, **files):
    return client.post(f"/{municipality.slug}/register/form/", {**worker_data(), **files})


def pending_files() -> list[str]:
    if not default_storage.exists("pending"):
        return []
    return sorted(default_storage.listdir("pending")[1])


def test_one_address_stores_at_most_10_proofs_an_hour_the_rest_are_refused_next_to_the_field(
    minato, travel
):
    statuses = []
    for _n in range(20):
        client = Client(REMOTE_ADDR="203.0.113.7")  # a new session each time, one address
        statuses.append(post_form(client, minato, employment_proof=proof()))
    assert [r.status_code for r in statuses].count(302) == 10
    assert len(pending_files()) == 10
    refused = statuses[-1]
    assert refused.status_code == 200
    body = refused.content.decode()
    assert THROTTLED in body
    assert 'id="id_employment_proof_error"' in body  # the message is next to the file field
    assert 'value="芝公園1-5-25"' in body and 'value="株式会社みなと"' in body  # typed input stays
    # Another address is not slowed down by this one.
    other = Client(REMOTE_ADDR="198.51.100.20")
    assert post_form(other, minato, employment_proof=proof()).status_code == 302
    assert len(pending_files()) == 11
    # An hour later the address may attach again.
    travel(NOW + dt.timedelta(hours=1, minutes=1))
    again = Client(REMOTE_ADDR="203.0.113.7")
    assert post_form(again, minato, employment_proof=proof()).status_code == 302


def test_attaching_again_in_one_session_keeps_only_the_latest_file(client, minato):
    for name in ("1回目.pdf", "2回目.pdf", "3回目.pdf"):
        assert post_form(client, minato, employment_proof=proof(name)).status_code == 302
    assert len(pending_files()) == 1
    confirm = client.get("/minato/register/confirm/").content.decode()
    assert "添付済み" in confirm
    client.post("/minato/register/confirm/")
    registrant = Registrant.objects.get()
    assert registrant.employment_proof.name.endswith(".pdf")
    assert "3回目" in registrant.employment_proof.name
    assert pending_files() == []  # sent: nothing is left waiting


def test_switching_to_resident_deletes_the_attached_proof(client, minato):
    post_form(client, minato, employment_proof=proof())
    assert len(pending_files()) == 1
    response = client.post("/minato/register/form/", {**worker_data(), "category": "resident"})
    assert response.status_code == 302
    assert pending_files() == []


def test_the_scheduled_clean_up_deletes_proofs_not_sent_within_an_hour(client, minato, travel):
    post_form(client, minato, employment_proof=proof())
    # A file left over without a record (e.g. from before the records) goes by its age too.
    default_storage.save("pending/leftover.pdf", proof())
    old = (NOW - dt.timedelta(hours=2)).timestamp()
    os.utime(default_storage.path("pending/leftover.pdf"), (old, old))
    travel(NOW + dt.timedelta(minutes=30))
    fresh = Client()
    post_form(fresh, minato, employment_proof=proof())
    assert "registrants.pending_uploads" in scheduler_tick()
    assert len(pending_files()) == 2  # the two proofs of the last hour stay

    travel(NOW + dt.timedelta(hours=1, minutes=15))
    assert "registrants.pending_uploads" in scheduler_tick()
    assert len(pending_files()) == 1  # the first proof is gone, the later one stays
    assert scheduler_tick().count("registrants.pending_uploads") == 0  # once per quarter hour

    # The applicant who left it comes back: told to attach it again, no error page.
    response = client.post("/minato/register/confirm/")
    assert response.status_code == 400
    assert "添付した在勤証明書の保存期限（1時間）が過ぎました。" in response.content.decode()
    assert Registrant.objects.count() == 0
    assert "添付済み" not in client.get("/minato/register/form/?edit=1").content.decode()


def test_when_the_waiting_proofs_reach_the_total_cap_new_ones_are_refused(minato, settings, travel):
    settings.YOYAKU_PENDING_UPLOADS_MAX_BYTES = 2 * len(PDF)
    for address in ("192.0.2.1", "192.0.2.2"):
        assert (
            post_form(Client(REMOTE_ADDR=address), minato, employment_proof=proof()).status_code
            == 302
        )
    response = post_form(Client(REMOTE_ADDR="192.0.2.3"), minato, employment_proof=proof())
    assert response.status_code == 200
    assert FULL in response.content.decode()
    assert len(pending_files()) == 2
    # Once the clean-up has made room, uploads are accepted again.
    travel(NOW + dt.timedelta(hours=1, minutes=15))
    scheduler_tick()
    assert pending_files() == []
    assert (
        post_form(Client(REMOTE_ADDR="192.0.2.3"), minato, employment_proof=proof()).status_code
        == 302
    )
