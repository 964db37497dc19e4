"""CSV downloads: a BOM so that Excel reads Japanese, and no cell that Excel would run."""

from __future__ import annotations

import csv
import io

from yoyaku.core.csvout import csv_cell, csv_text


def test_the_file_starts_with_a_bom_and_keeps_japanese_text():
    text = csv_text(["施設", "金額"], [["うきは市文化会館", 2000]])
    data = text.encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["施設", "金額"], ["うきは市文化会館", "2000"]]


def test_cells_that_a_spreadsheet_would_run_as_a_formula__start_with_a_quote():
    for dangerous in ('=HYPERLINK("http://x")', "+81", "-1+2", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(dangerous) == "'" + dangerous
    assert csv_cell("浮羽 花子") == "浮羽 花子"
    assert csv_cell("a=b") == "a=b"


def test_numbers_stay_numbers__a_negative_amount_is_not_escaped():
    assert csv_cell(-500) == -500
    assert csv_cell(None) == ""
    line = csv_text(["a"], [[-500]]).splitlines()[1]
    assert line == "-500"
