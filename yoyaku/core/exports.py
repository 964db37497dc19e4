"""Downloads of tables: CSV (UTF-8 with BOM) and Excel (.xlsx), the one writer of both.

Every console page that offers a download builds a :class:`Table` (a title, the column
headings, the rows) and hands it to :func:`csv_response` or :func:`xlsx_response`.

Formula injection: a spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return as a formula (``=HYPERLINK(…)`` in a registrant's name). Text cells
that start so get a leading single quote, in CSV and in Excel alike. Numbers stay numbers: an
``int`` of -500 is a number in both formats, not text, and cannot carry a formula.

The BOM makes Excel on Japanese Windows read the CSV as UTF-8 instead of Shift_JIS.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel refuses sheet titles longer than 31 characters or with any of these.
_SHEET_FORBIDDEN = set("[]:*?/\\")


@dataclass
class Table:
    title: str
    header: Sequence[str]
    rows: list[Sequence[Any]] = field(default_factory=list)


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet should receive it: text that a spreadsheet would run as a
    formula gets a leading single quote; numbers, dates and None are returned unchanged."""
    if value is None or isinstance(value, bool | int | float | dt.date):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _csv_cell(value: Any) -> Any:
    value = safe_cell(value)
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def csv_bytes(tables: Iterable[Table]) -> bytes:
    """One CSV: each table's heading row and rows, tables separated by an empty line."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    for number, table in enumerate(tables):
        if number:
            writer.writerow([])
        writer.writerow([_csv_cell(h) for h in table.header])
        for row in table.rows:
            writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def _sheet_title(title: str, taken: set[str]) -> str:
    base = "".join(c for c in title if c not in _SHEET_FORBIDDEN)[:28] or "Sheet"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base[:26]}-{n}"
    taken.add(candidate)
    return candidate


def _xlsx_cell(value: Any) -> Any:
    value = safe_cell(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # Excel has no time zones: the local time as shown on the page.
        return value.replace(tzinfo=None)
    return value


def xlsx_bytes(tables: Iterable[Table]) -> bytes:
    """One workbook, one sheet per table; the heading row is frozen."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(table.title, taken))
        sheet.append([_xlsx_cell(h) for h in table.header])
        for row in table.rows:
            sheet.append([_xlsx_cell(value) for value in row])
        sheet.freeze_panes = "A2"
        for index, heading in enumerate(table.header, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(10, len(heading) * 2 + 2)
    if not workbook.worksheets:
        workbook.create_sheet("Sheet")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    # ASCII file names only: every browser keeps them as given.
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def csv_response(tables: Iterable[Table], *, filename: str) -> HttpResponse:
    return _attachment(csv_bytes(tables), CSV_TYPE, f"{filename}.csv")


def xlsx_response(tables: Iterable[Table], *, filename: str) -> HttpResponse:
    return _attachment(xlsx_bytes(tables), XLSX_TYPE, f"{filename}.xlsx")
