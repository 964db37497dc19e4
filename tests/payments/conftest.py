from __future__ import annotations

import pytest

from tests.payments.sandbox_harness import Sandbox


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox()
