"""schemathesis over the public API: the OpenAPI document served by the WSGI application,
requests generated from it against the demo data, in process.

For every operation, ``MAX_EXAMPLES`` requests that fit the document (positive) and as many
that do not (negative): no server error; only the statuses, content types, headers and bodies
the document declares; and what the document calls invalid is refused.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi import checks

from yoyaku.wsgi import application

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 15
CHECKS = [
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]


def test_the_public_api_conforms_to_its_openapi_document(demo, settings):
    # The generated requests all come from one address: no rate limit in this test.
    settings.YOYAKU_API_RATE = "100000/min"
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    cases = []

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

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
                case.call_and_validate(checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                # An operation without parameters has no invalid request to make.
                assert mode is GenerationMode.NEGATIVE

    print(f"schemathesis: {len(operations)} operations, {len(cases)} cases")
    # 12 public operations and 12 of the staff API (here without a token: 401 as documented).
    assert len(operations) == 24
    assert len(cases) >= len(operations) * 2
