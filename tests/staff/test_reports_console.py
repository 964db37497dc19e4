"""Reports in the staff console: scoped figures, an accessible chart beside a table with the
same figures, and CSV / Excel downloads that carry them."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest

from tests import factories as f
from tests.reports.fixture import build_june
from tests.staff.test_console import login
from yoyaku.core.models import AuditLog, User

pytestmark = pytest.mark.django_db

JUNE = "?date_from=2026-06-01&date_to=2026-06-30"


@pytest.fixture
def june(ukiha, travel):
    return build_june(ukiha, travel)


@pytest.fixture
def other_hall(ukiha):
    hall = f.FacilityFactory(municipality=ukiha, name="うきは市文化会館")
    f.slot_unit(hall, "大ホール")
    return hall


def test_utilisation_page_shows_a_chart_and_a_table_with_the_same_figures(client, ukiha, june):
    login(client, ukiha)
    response = client.get("/staff/reports/utilisation/" + JUNE)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="img"' in page and '<title id="chart-units-title">' in page
    assert 'aria-labelledby="chart-units-title chart-units-desc"' in page
    assert ">4.4%</text>" in page  # 会議室 on the chart …
    assert re.search(
        r"<td>会議室</td>\s*<td>2026-06</td>\s*<td class=\"num\">68</td>"
        r"\s*<td class=\"num\">3</td>\s*<td class=\"num\">4.4</td>",
        page,
    )  # … and table
    assert "style=" not in page and "<script" not in page.split("</header>")[-1]


def test_facility_staff_see_only_their_facilities(client, ukiha, june, other_hall):
    clerk = f.staff_user(ukiha, role=User.StaffRole.FACILITY, login_id="bunka")
    clerk.facilities.add(other_hall)
    login(client, ukiha, login_id="bunka")
    page = client.get("/staff/reports/utilisation/" + JUNE).content.decode()
    assert "大ホール" in page and "会議室" not in page
    money = client.get("/staff/reports/money/" + JUNE).content.decode()
    assert "吉井体育センター" not in money
    # Choosing a facility that is not theirs is refused like any other wrong choice.
    refused = client.get(f"/staff/reports/money/{JUNE}&facility={june.gym.pk}")
    assert refused.status_code == 400
    # Registrations belong to no facility: the municipality admins'.
    assert client.get("/staff/reports/registrations/" + JUNE).status_code == 403
    assert "registrations" not in client.get("/staff/reports/").content.decode()
    assert client.get("/staff/audit/").status_code == 403


def test_staff_of_another_municipality_see_none_of_these_figures(client, ukiha, minato, june):
    f.staff_user(minato, login_id="minato-admin")
    login(client, minato, login_id="minato-admin")
    page = client.get("/staff/reports/cancellations/" + JUNE).content.decode()
    assert "吉井体育センター" not in page


def test_csv_download_has_a_bom_and_the_figures_and_is_audited(client, ukiha, june):
    login(client, ukiha)
    response = client.get("/staff/reports/money/" + JUNE + "&format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="money-20260601-20260630.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[1] == "うきは市吉井体育センター,2026-06,6000,2000,1000,1000,500,1,0"
    row = AuditLog.objects.get(action="report.export")
    assert row.data["report"] == "money" and row.data["format"] == "csv"


def test_excel_download_opens_and_has_the_utilisation_figures(client, ukiha, june):
    login(client, ukiha)
    response = client.get("/staff/reports/utilisation/" + JUNE + "&format=xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(workbook["室場別・月別の利用率"].iter_rows(values_only=True))
    assert rows[0] == ("施設", "室場", "月", "予約可能コマ数", "予約済みコマ数", "利用率（％）")
    assert rows[1] == ("うきは市吉井体育センター", "会議室", "2026-06", 68, 3, 4.4)
    blocks = list(workbook["時間区分別の利用率"].iter_rows(values_only=True))
    assert [r[:4] for r in blocks[1:]] == [
        ("午前", "9:00～12:00", 68, 3),
        ("午後", "13:00～17:00", 69, 2),
        ("夜間", "18:00～21:00", 69, 1),
    ]


@pytest.mark.parametrize("kind", ["lottery", "money", "registrations", "cancellations"])
def test_every_report_page_answers_for_an_admin(client, ukiha, june, kind):
    login(client, ukiha)
    assert client.get(f"/staff/reports/{kind}/").status_code == 200
    response = client.get(f"/staff/reports/{kind}/" + JUNE)
    assert response.status_code == 200
    assert 'role="img"' in response.content.decode()


def test_a_period_that_ends_before_it_starts_is_refused_next_to_the_field(client, ukiha, june):
    login(client, ukiha)
    response = client.get("/staff/reports/utilisation/?date_from=2026-06-30&date_to=2026-06-01")
    assert response.status_code == 400
    assert "終了日は開始日以降にしてください。" in response.content.decode()


def test_an_unknown_report_is_not_found(client, ukiha, june):
    login(client, ukiha)
    assert client.get("/staff/reports/nothing/").status_code == 404
