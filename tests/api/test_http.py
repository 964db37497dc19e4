"""What every operation shares: problem details, ETags, the rate limit, the documentation."""

from __future__ import annotations

import json

import pytest

from yoyaku.api.api import api
from yoyaku.api.errors import STATUS
from yoyaku.core.errors import DomainError
from yoyaku.facilities.models import Facility

pytestmark = pytest.mark.django_db

V1 = "/api/v1"
PROBLEM_KEYS = {"type", "title", "status", "detail", "detail_en", "instance", "code", "errors"}


def test_a_refusal_is_a_problem_details_document_in_japanese_and_english(client, demo):
    response = client.get(f"{V1}/municipalities/nowhere/notices")
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["type"] == "urn:yoyaku:problem:not_found"
    assert body["title"] == "Not Found"
    assert body["status"] == 404
    assert body["instance"] == "/api/v1/municipalities/nowhere/notices"
    assert body["detail"] == "指定されたものは見つかりません。"
    assert body["detail_en"] == "The requested item was not found."


def test_a_validation_problem_names_each_field_in_both_languages(client, demo):
    response = client.get(f"{V1}/municipalities?limit=0&offset=x")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation"
    fields = {e["field"]: e for e in body["errors"]}
    assert set(fields) == {"limit", "offset"}
    assert fields["limit"]["location"] == "query"
    assert fields["limit"]["message"] == "limitは1以上で指定してください。"
    assert fields["limit"]["message_en"] == "limit must be 1 or more."
    assert fields["offset"]["message"] == "offsetは半角数字で指定してください。"


def test_a_domain_error_keeps_the_pages_japanese_text_and_its_status_from_the_table(rf):
    request = rf.get("/api/v1/anything")
    response = api.on_exception(request, DomainError("unpaid_balance", amount="1,200"))
    assert response.status_code == 409  # not in the table: a rule refusing in this state
    body = json.loads(response.content)
    assert body["detail"] == DomainError("unpaid_balance", amount="1,200").message
    assert "unpaid fees (¥1,200)" in body["detail_en"]
    response = api.on_exception(request, DomainError("payment_provider_down"))
    assert response.status_code == STATUS["payment_provider_down"] == 503


def test_a_read_carries_an_etag_and_the_same_etag_gets_304(client, demo):
    url = f"{V1}/municipalities/ukiha/facilities"
    first = client.get(url)
    etag = first["ETag"]
    assert etag.startswith('"') and first["Cache-Control"] == "no-cache"
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag


def test_a_changed_resource_gets_a_new_etag_and_a_full_answer(client, demo):
    url = f"{V1}/municipalities/ukiha/facilities/bunka-kaikan"
    etag = client.get(url)["ETag"]
    Facility.objects.filter(slug="bunka-kaikan").update(phone="0943-00-0000")
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_too_many_requests_from_one_address_get_429_with_retry_after(client, demo, settings):
    settings.YOYAKU_API_RATE = "3/min"
    url = f"{V1}/municipalities"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(url)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    body = refused.json()
    assert body["code"] == "throttled"
    assert "秒ほどおいてから" in body["detail"]
    # Another address is not held back.
    assert client.get(url, REMOTE_ADDR="192.0.2.7").status_code == 200


def test_the_openapi_document_lists_every_public_operation_and_the_problem_type(client, demo):
    document = client.get(f"{V1}/openapi.json").json()
    assert document["info"]["version"] == "1"
    paths = document["paths"]
    assert (
        "/api/v1/municipalities/{municipality}/facilities/{facility}/units/{unit_id}/availability"
        in paths
    )
    assert "/api/v1/opendata/{municipality}/availability/{month}.csv" in paths
    for operations in paths.values():
        for operation in operations.values():
            assert "application/problem+json" in operation["responses"]["422"]["content"]
            assert "Retry-After" in operation["responses"]["429"]["headers"]


def test_the_docs_page_loads_its_scripts_from_this_site_only(client, db):
    response = client.get(f"{V1}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'src="/static/ninja/swagger-ui-bundle.js"' in html
    assert "https://" not in html
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy + ";"
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


def test_every_other_page_keeps_the_strict_policy(client, db):
    for url in ("/", f"{V1}/municipalities"):
        policy = client.get(url)["Content-Security-Policy"]
        assert "'unsafe-inline'" not in policy
        assert "script-src 'self';" in policy + ";"
