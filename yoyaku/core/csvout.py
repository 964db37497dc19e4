"""CSV downloads that open cleanly in Excel and cannot run as formulas.

Excel reads a CSV as Shift_JIS unless it starts with a byte-order mark, so the file is UTF-8
with a BOM. A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read as a formula (CSV injection: a registrant's name like ``=HYPERLINK(…)``), so such a cell
is prefixed with a single quote. Numbers are written as numbers: a negative amount stays a
number, because only text cells are escaped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str | int:
    """One cell: integers as they are, text escaped when a spreadsheet would run it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The whole file: BOM, header, rows; CRLF line ends as RFC 4180 and Excel expect."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()
