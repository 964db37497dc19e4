"""Every state change of a registrant or a change request goes through the lifecycle tables."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

import yoyaku
from tests import factories as f
from tests.registrants import builders
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditLog
from yoyaku.registrants import services, states
from yoyaku.registrants.models import ChangeRequest, Registrant

pytestmark = pytest.mark.django_db
S = Registrant.Status
SOURCE = Path(yoyaku.__file__).parent
APP = SOURCE / "registrants"
# An assignment of a status (not a comparison), or a bulk UPDATE of one.
ASSIGNS = re.compile(r"\.status\s*=(?!=)|update\([^)]*\bstatus\s*=")
REGISTRANT_ASSIGNS = re.compile(
    r"(registrant|request)\w*\.status\s*=(?!=)"
    r"|(Registrant|ChangeRequest)\.objects[^\n]*\.update\([^)]*\bstatus\s*="
)


def test_no_module_of_the_registrants_app_assigns_a_status_outside_the_lifecycle_tables():
    writers = sorted(
        str(path.relative_to(SOURCE))
        for path in APP.rglob("*.py")
        if "migrations" not in path.parts
        and path.name != "states.py"
        and ASSIGNS.search(path.read_text(encoding="utf-8"))
    )
    assert writers == []


def test_no_other_app_assigns_a_registrant_or_change_request_status():
    writers = sorted(
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if "migrations" not in path.parts
        and REGISTRANT_ASSIGNS.search(path.read_text(encoding="utf-8"))
    )
    assert writers == []


@pytest.fixture
def admin(ukiha):
    return f.staff_user(ukiha)


def test_the_daily_expiry__moves_along_the_table_with_one_audit_row_per_registrant(
    ukiha, admin, travel
):
    people = [builders.active(ukiha, admin) for _ in range(3)]
    travel(dt.datetime(2028, 6, 2, 4, 0))
    assert services.validity_daily()["expired"] == 3
    for person in people:
        person.refresh_from_db()
        assert person.status == S.EXPIRED
        assert person.ended_at is not None
        assert (
            AuditLog.objects.filter(action="registration.expire", target_id=str(person.pk)).count()
            == 1
        )


def test_the_daily_expiry__skips_a_registrant_who_ended_meanwhile(ukiha, admin, travel):
    person = builders.active(ukiha, admin)
    services.registration_delete(
        registrant=person, by=admin, reason=Registrant.DeletionReason.FRAUD
    )
    travel(dt.datetime(2028, 6, 2, 4, 0))
    assert services.validity_daily() == {"renewed": 0, "expired": 0, "warned": 0}
    person.refresh_from_db()
    assert person.status == S.DELETED


def test_a_refused_approval__changes_nothing_and_writes_no_audit_row(ukiha, admin):
    person = builders.active(ukiha, admin)
    rows = AuditLog.objects.count()
    with pytest.raises(DomainError) as caught:
        services.registration_approve(registrant=person, by=admin)
    assert caught.value.code == "registrant_wrong_state"
    assert AuditLog.objects.count() == rows


def test_a_change_request__is_decided_once_through_its_table(ukiha, admin):
    person = builders.active(ukiha, admin)
    request = services.registrant_details_change(
        registrant=person, changes={"street": "吉井町１０００"}
    )
    assert states.CHANGE_REQUEST.allows(request, "approve")
    services.change_request_decide(request=request, by=admin, approve=True)
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.APPROVED
    with pytest.raises(DomainError) as caught:
        services.change_request_decide(request=request, by=admin, approve=False, reason="誤り")
    assert caught.value.code == "change_request_decided"
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.APPROVED
    person.refresh_from_db()
    assert person.street == "吉井町１０００"
