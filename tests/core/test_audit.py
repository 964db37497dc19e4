"""The audit log: typed actions, the channel of each row, and rows nobody can change."""

from __future__ import annotations

import pathlib
import re

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from tests import factories as f
from yoyaku.core.models import AppendOnly, AuditAction, AuditLog, AuditVia
from yoyaku.core.services import audit_record

pytestmark = pytest.mark.django_db

ROOT = pathlib.Path(__file__).resolve().parents[2] / "yoyaku"


def _row(**kw) -> AuditLog:
    return audit_record(action=AuditAction.NOTICE_PUBLISH, **kw)


def test_a_job_is_audited_with_no_actor_and_staff_through_the_console(minato):
    assert _row().via == AuditVia.JOB
    assert _row(actor=f.staff_user(minato, login_id="clerk")).via == AuditVia.STAFF
    assert _row(via=AuditVia.API).via == AuditVia.API


def test_an_unknown_action_is_refused():
    with pytest.raises(ValueError):
        audit_record(action="something.invented")


def test_rows_cannot_be_changed_or_deleted_through_the_orm():
    row = _row()
    row.data = {"forged": True}
    with pytest.raises(AppendOnly):
        row.save()
    with pytest.raises(AppendOnly):
        row.delete()
    with pytest.raises(AppendOnly):
        AuditLog.objects.filter(pk=row.pk).update(data={})
    with pytest.raises(AppendOnly):
        AuditLog.objects.filter(pk=row.pk).delete()
    assert AuditLog.objects.get(pk=row.pk).data == {}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_auditlog SET data = '{}' WHERE id = %s",
        "DELETE FROM core_auditlog WHERE id = %s",
    ],
)
def test_on_postgresql_the_database_itself_refuses_update_and_delete(sql):
    row = _row(data={"kept": 1})
    with (
        pytest.raises(DatabaseError, match="Cannot update or delete"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [row.pk])
    assert AuditLog.objects.get(pk=row.pk).data == {"kept": 1}


def test_every_audit_call_names_its_action_with_the_enum():
    """No free strings: a literal ``action="x.y"`` in the code would escape the enum."""
    literal = re.compile(r'(action=|"action":\s*)f?"[a-z_]+\.')
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in ROOT.rglob("*.py")
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if literal.search(line)
    ]
    assert offenders == []
