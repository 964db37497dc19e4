"""Availability as open data (オープンデータ): one CSV per municipality and month.

UTF-8 with a BOM (Excel on Japanese Windows), written by the project's one CSV writer
(``core.exports``: a cell that a spreadsheet would run as a formula is quoted). The file's first
line is its licence (CC BY 4.0, attributed to the municipality), then an empty line, the
heading row and one row per unit and date; the field definitions (項目名・説明) are a second
CSV. Reads the same selector as the calendars.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.http import HttpRequest, HttpResponse
from ninja import Path, Router
from ninja.decorators import decorate_view

from yoyaku.api.errors import Problem
from yoyaku.api.http import conditional
from yoyaku.api.public import MunicipalitySlug, checked_range, municipality_or_404
from yoyaku.core.db_router import replica_view
from yoyaku.core.exports import CSV_TYPE, Table, csv_bytes
from yoyaku.reservations import selectors as availability

router = Router(tags=["open data"])

LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/deed.ja"
WEEKDAYS = "月火水木金土日"
# (項目名, 説明, 型, 例): the heading row of the data, in order, and what each column means.
FIELDS = [
    ("日付", "利用日（宿泊施設は宿泊する夜の日付）", "日付（YYYY-MM-DD）", "2026-06-01"),
    ("曜日", "利用日の曜日", "文字列", "月"),
    ("施設ID", "施設の識別子（URLに使う英数字）", "文字列", "bunka-kaikan"),
    ("施設名", "施設の名称", "文字列", "うきは市文化会館"),
    ("室場ID", "室場（部屋・コート・客室の種類）の番号", "整数", "12"),
    ("室場名", "室場の名称", "文字列", "大ホール"),
    (
        "空き状況",
        "○ 空きあり、△ 一部空き（宿泊は残りわずか）、× 満、－ 休館日または過去の日、抽 抽選受付中",
        "文字列",
        "○",
    ),
    ("状況コード", "空き状況の英字コード: free, partly, full, closed, lottery", "文字列", "free"),
    (
        "空き時間区分",
        "時間区分で貸す室場の、空いている区分（「・」区切り）",
        "文字列",
        "午前・午後",
    ),
    ("空き室数", "宿泊施設の、空いている客室数（時間区分の室場は空欄）", "整数", "3"),
    ("休館等の理由", "空き状況が － のときの理由（過去の日は「past」）", "文字列", "休館日"),
    ("祝日", "国民の祝日の名称（祝日でなければ空欄）", "文字列", "海の日"),
]
# A year from 1000 (the year 0 is no date: it was a server error), ASCII digits only.
MONTH = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"


def _licence(municipality) -> str:
    return (
        f"このデータは{municipality.name}が「クリエイティブ・コモンズ 表示 4.0 国際」ライセンス"
        f"（CC BY 4.0 {LICENCE_URL}）で提供しています。出典: {municipality.name}"
        f"「{municipality.system_name}」"
    )


def _csv(request: HttpRequest, content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return conditional(request, response)


CSV_RESPONSE = {
    "responses": {
        "200": {
            "description": "CSV (UTF-8 with BOM)",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
}


@router.get(
    "/opendata/availability-fields.csv",
    response={200: None},
    summary="Field definitions (項目名・説明) of the availability CSV",
    openapi_extra=CSV_RESPONSE,
)
def availability_fields(request: HttpRequest):
    table = Table("項目定義", ["項目名", "説明", "型", "例"], [list(f) for f in FIELDS])
    return _csv(request, csv_bytes([table]), "availability-fields.csv")


@router.get(
    "/opendata/{municipality}/availability/{month}.csv",
    response={200: None, 404: Problem},
    summary="Availability of every unit of a municipality for one month, as open data (CSV)",
    description=(
        "First line: the licence (CC BY 4.0, attribution to the municipality); then an empty "
        "line, the heading row and one row per unit and date. Field definitions: "
        "/api/v1/opendata/availability-fields.csv."
    ),
    openapi_extra=CSV_RESPONSE,
)
@decorate_view(replica_view)
def availability_month(
    request: HttpRequest,
    municipality: str = MunicipalitySlug,
    month: str = Path(..., pattern=MONTH, description="YYYY-MM, e.g. 2026-06"),
):
    found = municipality_or_404(municipality)
    year, number = (int(part) for part in month.split("-"))
    first = dt.date(year, number, 1)
    last = dt.date(year, number, calendar.monthrange(year, number)[1])
    checked_range(first, last)
    rows = []
    for state in availability.municipality_days(municipality=found, start=first, end=last):
        unit = state.unit
        rows.append(
            [
                state.date,
                WEEKDAYS[state.date.weekday()],
                unit.facility.slug,
                unit.facility.name,
                unit.pk,
                unit.name,
                state.mark.value,
                state.mark.css,
                "・".join(s.slot.label for s in state.slots if s.free and s.slot.is_basic),
                state.free_rooms,
                str(state.reason),
                state.holiday,
            ]
        )
    tables = [
        Table("ライセンス", [_licence(found)]),
        Table("空き状況", [name for name, *_ in FIELDS], rows),
    ]
    return _csv(request, csv_bytes(tables), f"{found.slug}-availability-{month}.csv")
