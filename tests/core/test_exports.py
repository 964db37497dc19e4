"""Downloads: CSV opens in Japanese Excel (BOM), no cell runs as a formula, Excel has the figures."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from yoyaku.core.exports import Table, csv_bytes, csv_response, safe_cell, xlsx_bytes, xlsx_response

TABLE = Table(
    title="利用率",
    header=["施設", "予約数", "備考"],
    rows=[
        ["うきは市文化会館", 12, '=HYPERLINK("http://evil")'],
        ["+81 体育館", -500, "@SUM(A1)"],
        ["-会議室", 0, "\tタブ"],
        ["\r改行", 3, None],
    ],
)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_a_text_cell_a_spreadsheet_would_run_gets_a_leading_quote(text):
    assert safe_cell(text) == "'" + text


def test_ordinary_text_and_numbers_are_left_alone():
    assert safe_cell("浮羽　花子") == "浮羽　花子"
    assert safe_cell("a=b") == "a=b"
    assert safe_cell(-500) == -500
    assert safe_cell(dt.date(2026, 4, 1)) == dt.date(2026, 4, 1)


def test_csv_starts_with_a_bom_and_escapes_formulas():
    content = csv_bytes([TABLE])
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "施設,予約数,備考"
    assert lines[1] == 'うきは市文化会館,12,"\'=HYPERLINK(""http://evil"")"'
    assert lines[2] == "'+81 体育館,-500,'@SUM(A1)"
    assert lines[3] == "'-会議室,0,'\tタブ"
    assert lines[4].startswith('"\'\r改行",3,')


def test_two_tables_in_one_csv_are_separated_by_an_empty_line():
    second = Table(title="合計", header=["件数"], rows=[[1]])
    text = csv_bytes([TABLE, second]).decode("utf-8-sig")
    assert "\r\n\r\n件数\r\n1\r\n" in text


def test_csv_response_is_a_download_with_an_ascii_name():
    response = csv_response([TABLE], filename="utilisation-2026")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="utilisation-2026.csv"'


def test_excel_opens_with_openpyxl_and_has_the_figures_as_numbers():
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([TABLE])))
    sheet = workbook["利用率"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("施設", "予約数", "備考")
    assert rows[1] == ("うきは市文化会館", 12, '\'=HYPERLINK("http://evil")')
    assert rows[2][1] == -500
    # No cell became a formula.
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_excel_has_one_sheet_per_table_with_safe_names():
    workbook = openpyxl.load_workbook(
        io.BytesIO(xlsx_bytes([TABLE, Table("利用率", ["a"], [[1]]), Table("月/日", ["b"], [])]))
    )
    assert workbook.sheetnames == ["利用率", "利用率-2", "月日"]


def test_xlsx_response_is_a_download():
    response = xlsx_response([TABLE], filename="money")
    assert response["Content-Disposition"] == 'attachment; filename="money.xlsx"'
    assert response.content[:2] == b"PK"
