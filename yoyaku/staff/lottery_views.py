"""Staff console: lottery rounds (抽選) and rounds on a schedule (定期抽選).

Municipality admins only. Rounds are made by ``lottery.services.round_create`` and drawn by
``lottery.services.lottery_draw``; schedules by ``lottery.schedules`` — each writes its audit
row. A round or schedule of another municipality is a 404. The round pages show counts and
demand only; the one page that shows who applied (user numbers, names) writes
``lottery.view``.
"""

from __future__ import annotations

from django.contrib.messages import success
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from yoyaku.core import clock, params
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction
from yoyaku.core.permissions import Perm
from yoyaku.core.services import audit_record
from yoyaku.lottery import schedules, selectors, services
from yoyaku.lottery.models import (
    LotteryApplication,
    LotteryRound,
    LotteryRoundSchedule,
)
from yoyaku.security.services import client_ip
from yoyaku.staff.forms import (
    LotteryPublicSourceForm,
    LotteryPublicValueForm,
    LotteryRoundForm,
    LotteryScheduleForm,
)
from yoyaku.staff.views import staff_required

A = LotteryApplication.Status
APPLICATIONS_LIMIT = 500

PHASE_LABELS = {
    "before": gettext_lazy("受付前"),
    "open": gettext_lazy("受付中"),
    "closed": gettext_lazy("受付終了・抽選待ち"),
    "drawn": gettext_lazy("抽選済み"),
}


def _rounds(request: HttpRequest) -> QuerySet[LotteryRound]:
    return LotteryRound.objects.filter(municipality=request.municipality)


def _round(request: HttpRequest, round_id: int) -> LotteryRound:
    lottery = (
        _rounds(request)
        .select_related("municipality")
        .prefetch_related("units__facility")
        .filter(pk=round_id)
        .first()
    )
    if lottery is None:
        raise Http404(_("指定された抽選は見つかりません。"))
    return lottery


# ---------------------------------------------------------------------------------------------
# Rounds: list, create, detail, draw, applications
# ---------------------------------------------------------------------------------------------


@staff_required(Perm.LOTTERY)
def lottery_list(request: HttpRequest) -> HttpResponse:
    rounds = list(selectors.rounds_with_counts(municipality=request.municipality))
    now = clock.now()
    for lottery in rounds:
        lottery.phase = services.phase(lottery, now)
        lottery.phase_label = PHASE_LABELS[lottery.phase]
    return render(request, "staff/lottery_list.html", {"rounds": rounds})


@staff_required(Perm.LOTTERY)
@require_http_methods(["GET", "POST"])
def lottery_create(request: HttpRequest) -> HttpResponse:
    form = LotteryRoundForm(request.POST or None, municipality=request.municipality)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            fields = dict(form.cleaned_data)
            units = list(fields.pop("units"))
            try:
                lottery = services.round_create(
                    municipality=request.municipality, by=request.user, units=units, **fields
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                success(request, _("抽選「%(name)s」を作成しました。") % {"name": lottery.name})
                return redirect("staff:lottery_detail", lottery.pk)
    return render(request, "staff/lottery_form.html", {"form": form}, status=status)


def _missing_for_drawing(lottery: LotteryRound, current: str) -> list[str]:
    """What the drawing still waits for, in words for the round's page."""
    missing = []
    if current in ("before", "open"):
        missing.append(_("申込みの受付終了"))
    if lottery.uses_public_value and not lottery.public_value_confirmed:
        if not lottery.public_value:
            missing.append(_("公開乱数の値の入力（公開乱数が決まった後）"))
        missing.append(_("入力した職員とは別の職員による公開乱数の値の確認"))
    return missing


def _detail_page(
    request: HttpRequest,
    lottery: LotteryRound,
    *,
    error: str = "",
    status: int = 200,
    source_form: LotteryPublicSourceForm | None = None,
    value_form: LotteryPublicValueForm | None = None,
) -> HttpResponse:
    current = services.phase(lottery)
    counts = selectors.round_status_counts(lottery=lottery)
    published = reverse("citizen:lottery_published", args=[lottery.municipality.slug, lottery.pk])
    missing = _missing_for_drawing(lottery, current)
    now = clock.now()
    value_step = ""
    value_due = (
        lottery.uses_public_value
        and current != "drawn"
        and not lottery.public_value_confirmed
        and lottery.public_value_at is not None
        and now >= lottery.public_value_at
    )
    if value_due:
        can_confirm = lottery.public_value and lottery.public_value_entered_by_id != request.user.pk
        value_step = "confirm" if can_confirm else "enter"
    if source_form is None and lottery.uses_public_value and now < lottery.applications_open_at:
        source_form = LotteryPublicSourceForm(
            initial={
                "public_source_kind": lottery.public_source_kind,
                "public_source_text": (
                    lottery.public_source_text
                    if lottery.public_source_kind == LotteryRound.PublicSource.NAMED_DRAW
                    else ""
                ),
                "public_value_at": clock.local(lottery.public_value_at)
                if lottery.public_value_at
                else None,
            }
        )
    return render(
        request,
        "staff/lottery_detail.html",
        {
            "lottery": lottery,
            "phase": current,
            "phase_label": PHASE_LABELS[current],
            "counts": counts,
            "applied": counts[A.SUBMITTED] + counts[A.WON] + counts[A.LOST],
            "demand": selectors.round_demand(lottery=lottery),
            "can_draw": current == "closed" and not missing,
            "missing": missing,
            "commitments": selectors.round_commitments(lottery=lottery),
            "source_form": source_form,
            "value_form": value_form or (LotteryPublicValueForm() if value_step else None),
            "value_step": value_step,
            "public_page": reverse(
                "citizen:lottery_detail", args=[lottery.municipality.slug, lottery.pk]
            ),
            "published_path": published,
            "published_url": request.build_absolute_uri(published),
            "error": error,
        },
        status=status,
    )


@staff_required(Perm.LOTTERY)
def lottery_detail(request: HttpRequest, round_id: int) -> HttpResponse:
    return _detail_page(request, _round(request, round_id))


@staff_required(Perm.LOTTERY)
@require_POST
def lottery_draw(request: HttpRequest, round_id: int) -> HttpResponse:
    """「今すぐ抽選する」: the same drawing the scheduler runs at ``draw_at``, any time after
    the application window has closed (the service refuses earlier, and a second time)."""
    lottery = _round(request, round_id)
    try:
        services.lottery_draw(lottery=lottery, by=request.user)
    except DomainError as error:
        return _detail_page(request, _round(request, round_id), error=error.message, status=409)
    success(request, _("抽選を実行しました。結果は申込者にメールで知らせます。"))
    return redirect("staff:lottery_detail", lottery.pk)


@staff_required(Perm.LOTTERY)
@require_POST
def lottery_public_source(request: HttpRequest, round_id: int) -> HttpResponse:
    """Change the public value's source: only before the round's applications open."""
    lottery = _round(request, round_id)
    form = LotteryPublicSourceForm(request.POST)
    if form.is_valid():
        try:
            services.round_public_source_set(
                lottery=lottery,
                by=request.user,
                kind=form.cleaned_data["public_source_kind"],
                text=form.cleaned_data["public_source_text"],
                value_at=form.cleaned_data["public_value_at"],
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            success(request, _("公開乱数の出典を変更しました。公開記録に残ります。"))
            return redirect("staff:lottery_detail", lottery.pk)
    return _detail_page(request, lottery, source_form=form, status=400)


@staff_required(Perm.LOTTERY)
@require_POST
def lottery_public_value(request: HttpRequest, round_id: int) -> HttpResponse:
    """Enter the public value (一人目) or confirm it by typing it again (二人目, another
    staff member): the service decides which the round is waiting for and refuses the rest."""
    lottery = _round(request, round_id)
    form = LotteryPublicValueForm(request.POST)
    step = params.action_param(request.POST.get("step"), ["enter", "confirm"])
    if form.is_valid() and step:
        verb = (
            services.round_public_value_confirm
            if step == "confirm"
            else services.round_public_value_enter
        )
        try:
            verb(lottery=lottery, by=request.user, value=form.cleaned_data["value"])
        except DomainError as error:
            form.add_error("value" if error.field == "value" else None, error.message)
        else:
            success(
                request,
                _("公開乱数の値を確認しました。抽選できます。")
                if step == "confirm"
                else _("公開乱数の値を入力しました。別の職員が確認すると抽選できます。"),
            )
            return redirect("staff:lottery_detail", lottery.pk)
    return _detail_page(request, _round(request, round_id), value_form=form, status=400)


@staff_required(Perm.LOTTERY)
def lottery_applications(request: HttpRequest, round_id: int) -> HttpResponse:
    """Who applied for what: user numbers and names, so every view is audited."""
    lottery = _round(request, round_id)
    applications = selectors.round_applications(lottery=lottery, limit=APPLICATIONS_LIMIT + 1)
    truncated = len(applications) > APPLICATIONS_LIMIT
    applications = applications[:APPLICATIONS_LIMIT]
    audit_record(
        action=AuditAction.LOTTERY_VIEW,
        actor=request.user,
        municipality=request.municipality,
        target=lottery,
        data={"page": "applications", "applications": [a.pk for a in applications]},
        ip_address=client_ip(request),
    )
    return render(
        request,
        "staff/lottery_applications.html",
        {
            "lottery": lottery,
            "applications": applications,
            "truncated": truncated,
            "limit": APPLICATIONS_LIMIT,
        },
    )


# ---------------------------------------------------------------------------------------------
# Rounds on a schedule (定期抽選)
# ---------------------------------------------------------------------------------------------


def _schedule_rows(request: HttpRequest) -> list[LotteryRoundSchedule]:
    """Each schedule with the round it makes this month, and that round if it exists."""
    today = clock.today()
    rows = list(
        LotteryRoundSchedule.objects.filter(municipality=request.municipality)
        .prefetch_related("units__facility")
        .order_by("id")
    )
    for schedule in rows:
        schedule.this_month = schedules.round_fields(schedule, today)
    names = {schedule.this_month["name"] for schedule in rows}
    made = dict(_rounds(request).filter(name__in=names).values_list("name", "pk"))
    now = clock.now()
    for schedule in rows:
        schedule.this_month_round_id = made.get(schedule.this_month["name"])
        schedule.this_month_too_late = schedule.this_month["applications_close_at"] <= now
    return rows


@staff_required(Perm.LOTTERY)
@require_http_methods(["GET", "POST"])
def schedule_list(request: HttpRequest) -> HttpResponse:
    form = LotteryScheduleForm(request.POST or None, municipality=request.municipality)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            fields = dict(form.cleaned_data)
            units = list(fields.pop("units"))
            try:
                schedules.schedule_create(
                    municipality=request.municipality, by=request.user, units=units, **fields
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                success(
                    request,
                    _("定期抽選を登録しました。毎日1:00の処理で、今月分の抽選が作成されます。"),
                )
                return redirect("staff:lottery_schedules")
    return render(
        request,
        "staff/lottery_schedules.html",
        {"form": form, "schedules": _schedule_rows(request)},
        status=status,
    )


@staff_required(Perm.LOTTERY)
@require_POST
def schedule_active(request: HttpRequest, schedule_id: int) -> HttpResponse:
    """Pause (停止) or resume (再開) a schedule."""
    schedule = LotteryRoundSchedule.objects.filter(
        pk=schedule_id, municipality=request.municipality
    ).first()
    if schedule is None:
        raise Http404(_("指定された定期抽選は見つかりません。"))
    active = params.action_param(request.POST.get("active"), ["0", "1"]) == "1"
    schedules.schedule_set_active(schedule=schedule, by=request.user, is_active=active)
    success(request, _("定期抽選を再開しました。") if active else _("定期抽選を停止しました。"))
    return redirect("staff:lottery_schedules")
