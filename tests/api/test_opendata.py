"""Availability as open data: one CSV per municipality and month, with its licence."""

from __future__ import annotations

import csv
import io

import pytest

from yoyaku.api.opendata import FIELDS
from yoyaku.facilities.models import Unit

pytestmark = pytest.mark.django_db

URL = "/api/v1/opendata/ukiha/availability/2026-06.csv"


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


def test_the_month_csv_starts_with_a_bom_and_the_cc_by_licence_of_the_municipality(client, demo):
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="ukiha-availability-2026-06.csv"' in response["Content-Disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = _rows(response.content.removeprefix("\ufeff".encode()))
    licence = rows[0][0]
    assert "CC BY 4.0" in licence and "うきは市" in licence
    assert rows[1] == []
    assert rows[2] == [name for name, *_ in FIELDS]


def test_the_month_csv_has_a_row_per_unit_and_day_with_the_calendars_marks(client, demo):
    rows = _rows(client.get(URL).content.removeprefix("\ufeff".encode()))[3:]
    units = Unit.objects.filter(
        facility__municipality__slug="ukiha", is_active=True, facility__is_active=True
    ).count()
    assert len(rows) == units * 30
    assert {row[6] for row in rows} <= {"○", "△", "×", "－", "抽"}
    mondays = [row for row in rows if row[0] == "2026-06-01" and row[2] == "bunka-kaikan"]
    assert mondays and all(row[6] == "－" and row[10] == "休館日" for row in mondays)


def test_a_name_that_looks_like_a_formula_is_quoted_in_the_csv(client, demo):
    Unit.objects.filter(facility__slug="bunka-kaikan").update(name='=HYPERLINK("http://x")')
    rows = _rows(client.get(URL).content.removeprefix("\ufeff".encode()))[3:]
    names = {row[5] for row in rows if row[2] == "bunka-kaikan"}
    assert names == {'\'=HYPERLINK("http://x")'}


def test_the_field_definitions_explain_every_column(client, db):
    response = client.get("/api/v1/opendata/availability-fields.csv")
    rows = _rows(response.content.removeprefix("\ufeff".encode()))
    assert rows[0] == ["項目名", "説明", "型", "例"]
    assert [row[0] for row in rows[1:]] == [name for name, *_ in FIELDS]


def test_the_month_csv_has_an_etag(client, demo):
    etag = client.get(URL)["ETag"]
    assert client.get(URL, headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize(
    "month", ["2026-13", "2026-6", "1999-01", "9999-12", "0000-06", "2026-06%00"]
)
def test_a_bad_or_far_month_is_refused(client, demo, month):
    response = client.get(f"/api/v1/opendata/ukiha/availability/{month}.csv")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


def test_an_unknown_municipality_has_no_csv(client, demo):
    assert client.get("/api/v1/opendata/nowhere/availability/2026-06.csv").status_code == 404
