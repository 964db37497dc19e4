"""Reports in the staff console (集計): a period, a chart, a table with the same figures, and
CSV / Excel downloads. Thin: the figures come from ``yoyaku.reports``; every report is scoped
to the facilities the staff member may see (registrations, which belong to no facility, are
for municipality admins)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from yoyaku.core import services as core_services
from yoyaku.core.exports import Table, csv_response, xlsx_response
from yoyaku.core.models import AuditAction
from yoyaku.core.permissions import Perm, can, staff_facilities
from yoyaku.registrants.models import Registrant
from yoyaku.reports import selectors
from yoyaku.reports.utilisation import utilisation
from yoyaku.security.services import client_ip
from yoyaku.staff.charts import BarChart, bar_chart
from yoyaku.staff.report_forms import ReportPeriodForm
from yoyaku.staff.views import staff_required


@dataclass
class Report:
    tables: list[Table] = field(default_factory=list)
    charts: list[BarChart] = field(default_factory=list)


def _percent(value: float | None) -> str:
    return "－" if value is None else f"{value:.1f}%"


def _shown(value) -> tuple[str, bool]:
    """A cell as the page shows it: (text, whether it is a figure, right-aligned)."""
    if value is None:
        return "－", True
    if isinstance(value, bool):
        return str(value), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.1f}", True
    if isinstance(value, dt.date):
        return value.isoformat(), False
    return str(value), False


def html_rows(table: Table) -> list[list[tuple[str, bool]]]:
    return [[_shown(value) for value in row] for row in table.rows]


def _month(day: dt.date) -> str:
    return f"{day:%Y-%m}"


# — the reports —


def _utilisation(facilities, start, end, _request) -> Report:
    data = utilisation(facilities=facilities, start=start, end=end)
    heading = [_("予約可能コマ数"), _("予約済みコマ数"), _("利用率（％）")]
    by_facility = Table(
        _("施設別・月別の利用率"),
        [_("施設"), _("月"), *heading],
        [
            [r.facility.display_name, _month(r.month), r.bookable, r.booked, r.percent]
            for r in data.facilities
        ],
    )
    by_unit = Table(
        _("室場別・月別の利用率"),
        [_("施設"), _("室場"), _("月"), *heading],
        [
            [
                r.facility.display_name,
                r.unit.display_name,
                _month(r.month),
                r.bookable,
                r.booked,
                r.percent,
            ]
            for r in data.units
        ],
    )
    by_block = Table(
        _("時間区分別の利用率"),
        [_("時間区分"), _("時間"), *heading],
        [[b.label, b.time_label, b.bookable, b.booked, b.percent] for b in data.blocks],
    )
    charts = [
        bar_chart(
            chart_id="chart-units",
            title=_("室場別の利用率（期間全体）"),
            description=_(
                "予約済みコマ数÷予約可能コマ数。同じ数値を表「室場別・月別の利用率」に示します。"
            ),
            items=[
                (f"{r.facility.display_name} {r.unit.display_name}", r.percent, _percent(r.percent))
                for r in data.unit_totals
            ],
            maximum=100,
        ),
        bar_chart(
            chart_id="chart-blocks",
            title=_("時間区分別の利用率"),
            description=_(
                "時間帯ごとの予約済みコマ数÷予約可能コマ数。同じ数値を表「時間区分別の利用率」に示します。"
            ),
            items=[
                (f"{b.label} {b.time_label}", b.percent, _percent(b.percent)) for b in data.blocks
            ],
            maximum=100,
        ),
    ]
    return Report([by_facility, by_unit, by_block], charts)


def _lottery(facilities, start, end, _request) -> Report:
    demand = selectors.lottery_demand(facilities=facilities, start=start, end=end)
    table = Table(
        _("抽選の申込状況（利用日別）"),
        [_("利用日"), _("施設"), _("室場"), _("申込数"), _("うち第1希望"), _("枠数"), _("倍率")],
        [
            [
                d.date,
                d.unit.facility.display_name,
                d.unit.display_name,
                d.applications,
                d.first_choices,
                d.capacity,
                d.odds,
            ]
            for d in demand
        ],
    )
    per_date = selectors.demand_per_date(demand)
    chart = bar_chart(
        chart_id="chart-demand",
        title=_("利用日別の抽選申込数"),
        description=_("すべての室場の合計。室場ごとの数と倍率を表に示します。"),
        items=[(f"{day:%Y-%m-%d}", n, f"{n}") for day, n in per_date],
    )
    return Report([table], [chart])


def _money(facilities, start, end, _request) -> Report:
    rows = selectors.money(facilities=facilities, start=start, end=end)
    table = Table(
        _("使用料・返金・減免（月別）"),
        [
            _("施設"),
            _("月"),
            _("調定額（円）"),
            _("収入（円）"),
            _("返金（円）"),
            _("差引（円）"),
            _("減免額（円）"),
            _("減免件数"),
            _("調整（円）"),
        ],
        [
            [
                m.facility.display_name,
                _month(m.month),
                m.charged,
                m.received,
                m.refunded,
                m.net,
                m.reductions,
                m.reduced_count,
                m.adjusted,
            ]
            for m in rows
        ],
    )
    per_month: dict[dt.date, int] = defaultdict(int)
    for m in rows:
        per_month[m.month] += m.net
    chart = bar_chart(
        chart_id="chart-money",
        title=_("月別の収入（返金を差し引いた額）"),
        description=_("すべての施設の合計。施設ごとの調定額・収入・返金・減免額を表に示します。"),
        items=[
            (_month(month), total, f"{total:,}円") for month, total in sorted(per_month.items())
        ],
    )
    return Report([table], [chart])


def _registrations(_facilities, start, end, request) -> Report:
    municipality = request.municipality
    rows = selectors.registrations(municipality=municipality, start=start, end=end)
    categories = Registrant.Category.values
    table = Table(
        _("利用者登録（月別・区分別）"),
        [
            _("月"),
            *[Registrant.category_label_for(municipality, c) for c in categories],
            _("うち団体"),
            _("合計"),
        ],
        [
            [_month(r.month), *[r.by_category.get(c, 0) for c in categories], r.groups, r.total]
            for r in rows
        ],
    )
    chart = bar_chart(
        chart_id="chart-registrations",
        title=_("月別の新規登録数"),
        description=_("区分別の数を表に示します。"),
        items=[(_month(r.month), r.total, f"{r.total}") for r in rows],
    )
    return Report([table], [chart])


def _cancellations(facilities, start, end, _request) -> Report:
    rows = selectors.cancellations(facilities=facilities, start=start, end=end)
    table = Table(
        _("取消と無断不使用（利用月別）"),
        [
            _("施設"),
            _("月"),
            _("予約数"),
            _("本人の取消"),
            _("職員の取消"),
            _("自動の取消"),
            _("取消率（％）"),
            _("無断不使用"),
            _("無断不使用率（％）"),
        ],
        [
            [
                c.facility.display_name,
                _month(c.month),
                c.reservations,
                c.by_registrant,
                c.by_staff,
                c.automatic,
                c.rate(c.cancelled),
                c.no_shows,
                c.rate(c.no_shows),
            ]
            for c in rows
        ],
    )
    chart = bar_chart(
        chart_id="chart-cancellations",
        title=_("施設・月別の取消率"),
        description=_("取消件数÷予約数。内訳と無断不使用を表に示します。"),
        items=[
            (
                f"{c.facility.display_name} {_month(c.month)}",
                c.rate(c.cancelled),
                _percent(c.rate(c.cancelled)),
            )
            for c in rows
        ],
        maximum=100,
    )
    return Report([table], [chart])


@dataclass(frozen=True)
class Kind:
    title: str
    build: Callable[..., Report]
    by_facility: bool = True  # False: the municipality's, for admins only


KINDS: dict[str, Kind] = {
    "utilisation": Kind(gettext_lazy("利用率"), _utilisation),
    "lottery": Kind(gettext_lazy("抽選の申込状況"), _lottery),
    "money": Kind(gettext_lazy("使用料・返金・減免"), _money),
    "registrations": Kind(gettext_lazy("利用者登録"), _registrations, by_facility=False),
    "cancellations": Kind(gettext_lazy("取消と無断不使用"), _cancellations),
}


def _available(request: HttpRequest) -> dict[str, Kind]:
    # Registrations belong to no facility: the municipality's business (admins).
    allowed = can(request.user, Perm.REGISTRATIONS)
    return {key: kind for key, kind in KINDS.items() if kind.by_facility or allowed}


@staff_required(Perm.REPORTS)
@require_GET
def report_index(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/reports/index.html", {"kinds": _available(request)})


@staff_required(Perm.REPORTS)
@require_GET
def report_show(request: HttpRequest, kind: str) -> HttpResponse:
    available = _available(request)
    if kind not in KINDS:
        raise Http404
    if kind not in available:
        return render(request, "staff/forbidden.html", status=403)
    spec = KINDS[kind]
    facilities = staff_facilities(request.user)
    form = ReportPeriodForm(request.GET, facilities=facilities, with_facility=spec.by_facility)
    report = None
    if form.is_valid():
        start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        chosen = form.cleaned_data.get("facility")
        scoped = facilities.filter(pk=chosen.pk) if chosen else facilities
        report = spec.build(scoped, start, end, request)
        download = request.GET.get("format", "")
        if download in ("csv", "xlsx"):
            core_services.audit_record(
                action=AuditAction.REPORT_EXPORT,
                actor=request.user,
                municipality=request.municipality,
                data={
                    "report": kind,
                    "format": download,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "facility": chosen.pk if chosen else None,
                },
                ip_address=client_ip(request),
            )
            name = f"{kind}-{start:%Y%m%d}-{end:%Y%m%d}"
            writer = csv_response if download == "csv" else xlsx_response
            return writer(report.tables, filename=name)
    query = ""
    if report is not None:
        # The period as shown (the defaults on a first visit), for the download links.
        query = urlencode(
            {
                "date_from": start.isoformat(),
                "date_to": end.isoformat(),
                **({"facility": chosen.pk} if chosen else {}),
            }
        )
    return render(
        request,
        "staff/reports/report.html",
        {
            "kind": kind,
            "spec": spec,
            "form": form,
            "report": report,
            "tables": [(t, html_rows(t)) for t in report.tables] if report else [],
            "query": query,
            "kinds": available,
        },
        status=200 if report is not None or not request.GET else 400,
    )
