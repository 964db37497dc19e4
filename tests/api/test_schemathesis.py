"""schemathesis over the API: the OpenAPI document served by the WSGI application, requests
generated from it against the demo data, in process.

For every public operation, ``MAX_EXAMPLES`` requests that fit the document (positive) and as
many that do not (negative): no server error; only the statuses, content types, headers and
bodies the document declares; and what the document calls invalid is refused. The
registrant's reads (/me/…) get the same, with a demo registrant's read token; the staff
operations (/staff/…) with a demo administrator's read-write token, the decisions (approve /
reject) included: generated ids rarely exist, and the runs are derandomized, so the same
requests are sent every time.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi import checks

from yoyaku.core.api_tokens import api_token_create
from yoyaku.core.models import User
from yoyaku.registrants.models import Registrant
from yoyaku.reservations.models import Reservation

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 15
CHECKS = [
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]


def _secured(operation) -> bool:
    return bool(operation.definition.raw.get("security"))


BOTH = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


def _run(operations, headers: dict[str, str] | None = None, modes=None) -> list:
    # With a token the header is added to every case, so a negative case that leaves out the
    # Authorization header cannot be what is sent: only cases that fit the document, then.
    if modes is None:
        modes = (GenerationMode.POSITIVE,) if headers else BOTH
    cases = []
    for operation in operations:
        for mode in modes:

            @given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis_settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                cases.append(case)
                case.call_and_validate(checks=CHECKS, headers=headers)

            try:
                run()
            except Unsatisfiable:
                # An operation without parameters has no invalid request to make.
                assert mode is GenerationMode.NEGATIVE
    return cases


def _operations(application):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    return [result.ok() for result in schema.get_all_operations()]


def test_the_public_api_conforms_to_its_openapi_document(demo, settings, wsgi_application):
    # The generated requests all come from one address: no rate limit in this test.
    settings.YOYAKU_API_RATE = "100000/min"
    operations = [op for op in _operations(wsgi_application) if not _secured(op)]
    cases = _run(operations)
    print(f"schemathesis (public): {len(operations)} operations, {len(cases)} cases")
    assert len(operations) == 12
    assert len(cases) >= len(operations) * 2


def test_the_registrants_reads_conform_to_the_document_with_a_token(
    demo, settings, wsgi_application
):
    settings.YOYAKU_API_RATE = "100000/min"
    person = (
        Registrant.objects.filter(status=Registrant.Status.ACTIVE, reservations__isnull=False)
        .order_by("pk")
        .first()
    )
    assert Reservation.objects.filter(registrant=person).exists()
    _token, secret = api_token_create(user=person.user, name="schemathesis", scopes=["read"])
    operations = [
        op
        for op in _operations(wsgi_application)
        if _secured(op) and op.method.upper() == "GET" and "/staff/" not in op.path
    ]
    cases = _run(operations, headers={"Authorization": f"Bearer {secret}"})
    print(f"schemathesis (registrant reads): {len(operations)} operations, {len(cases)} cases")
    assert len(operations) == 8
    assert len(cases) >= len(operations) * 2


def test_the_staff_operations_conform_to_the_document_with_an_admins_token(
    demo, settings, wsgi_application
):
    settings.YOYAKU_API_RATE = "100000/min"
    settings.YOYAKU_API_TOKEN_RATE = "100000/min"
    admin = User.objects.get(municipality__slug="ukiha", login_id="admin")
    _token, secret = api_token_create(user=admin, name="schemathesis", scopes=["read", "write"])
    headers = {"Authorization": f"Bearer {secret}"}
    staff = [op for op in _operations(wsgi_application) if "/staff/" in op.path]
    reads = [op for op in staff if op.method.upper() == "GET"]
    decisions = [op for op in staff if op.method.upper() == "POST"]
    cases = _run(reads, headers=headers)
    cases += _run(decisions, headers=headers)
    print(f"schemathesis (staff): {len(staff)} operations, {len(cases)} cases")
    assert (len(reads), len(decisions)) == (8, 4)
    assert len(cases) >= len(staff) * 2
