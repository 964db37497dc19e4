"""Staff console: setup (施設の設定) — facilities, units, fee tables, closures, slot schedules and
減免 categories. Thin: each write is a service of ``yoyaku.facilities.services`` that checks,
writes and audits; facility staff reach only their own facilities (``staff_facilities``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.permissions import Perm, can, staff_facilities
from yoyaku.facilities import services as setup
from yoyaku.facilities.models import Closure, Facility, ReductionCategory, SlotSchedule, Unit
from yoyaku.facilities.selectors import fee_rules_current
from yoyaku.security.services import client_ip
from yoyaku.staff.setup_forms import (
    ClosureForm,
    FacilityForm,
    FeeTableForm,
    ReductionCategoryForm,
    SlotScheduleForm,
    UnitForm,
)
from yoyaku.staff.views import staff_required

T = TypeVar("T")


def _refused(form: forms.Form, error: DomainError) -> None:
    """The service's message next to the field it names (or at the top of the form)."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _saved(request: HttpRequest, form: forms.Form, save: Callable[[], T]) -> T | None:
    """A valid POST handed to its service: what the service saved, or None when there was
    nothing to save or the service refused (its message is then on the form)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return save()
    except DomainError as error:
        _refused(form, error)
        return None


def _facility(request: HttpRequest, facility_id: int) -> Facility:
    """One of the facilities this staff member may set up; anything else is not found."""
    facility = staff_facilities(request.user).filter(pk=facility_id).first()
    if facility is None:
        raise Http404(_("指定された施設は見つかりません。"))
    return facility


def _unit(request: HttpRequest, unit_id: int) -> Unit:
    unit = (
        Unit.objects.filter(pk=unit_id, facility__in=staff_facilities(request.user))
        .select_related("facility", "facility__municipality", "slot_schedule")
        .first()
    )
    if unit is None:
        raise Http404(_("指定された室場は見つかりません。"))
    return unit


def preview_url(unit: Unit) -> str:
    """The public availability calendar of ``unit``, as citizens see it."""
    facility = unit.facility
    url = reverse(
        "citizen:facility_calendar",
        kwargs={"municipality": facility.municipality.slug, "facility": facility.slug},
    )
    return f"{url}?unit={unit.pk}"


def _to_facility(facility: Facility, unit: Unit | None = None) -> HttpResponse:
    """Back to the facility's page; after a change of a unit it offers the preview."""
    url = reverse("staff:setup_facility", args=[facility.pk])
    return redirect(f"{url}?preview={unit.pk}" if unit is not None else url)


@staff_required(Perm.SETUP)
def setup_home(request: HttpRequest) -> HttpResponse:
    facilities = staff_facilities(request.user).order_by("order", "id")
    return render(
        request,
        "staff/setup_home.html",
        {
            "facilities": facilities,
            "municipality_setup": can(request.user, Perm.SETUP_MUNICIPALITY),
        },
    )


@staff_required(Perm.SETUP_MUNICIPALITY)
@require_http_methods(["GET", "POST"])
def facility_create(request: HttpRequest) -> HttpResponse:
    form = FacilityForm(request.POST or None)
    facility = _saved(
        request,
        form,
        lambda: setup.facility_create(
            municipality=request.municipality,
            by=request.user,
            slug=form.cleaned_data["slug"],
            settings=form.settings(),
            ip_address=client_ip(request),
        ),
    )
    if facility is not None:
        messages.success(request, _("施設を登録しました。続けて室場を登録してください。"))
        return _to_facility(facility)
    return render(request, "staff/setup_facility_form.html", {"form": form})


@staff_required(Perm.SETUP)
@require_http_methods(["GET", "POST"])
def facility_detail(request: HttpRequest, facility_id: int) -> HttpResponse:
    """The facility's settings form, its units with their fees and preview links, closures."""
    facility = _facility(request, facility_id)
    form = FacilityForm(request.POST or None, facility=facility)
    saved = _saved(
        request,
        form,
        lambda: setup.facility_update(
            facility=facility,
            by=request.user,
            settings=form.settings(),
            ip_address=client_ip(request),
        ),
    )
    if saved is not None:
        messages.success(request, _("施設の設定を保存しました。"))
        return _to_facility(facility)
    units = list(facility.units.select_related("parent", "slot_schedule").order_by("order", "id"))
    preview_id = request.GET.get("preview", "")
    preview = next((u for u in units if str(u.pk) == preview_id), None)
    return render(
        request,
        "staff/setup_facility.html",
        {
            "facility": facility,
            "form": form,
            "units": [(u, preview_url(u)) for u in units],
            "preview": (preview, preview_url(preview)) if preview else None,
            "closures": facility.closures.select_related("unit").filter(
                end_date__gte=clock.today()
            ),
            "closure_form": ClosureForm(facility=facility),
        },
    )


@staff_required(Perm.SETUP)
@require_http_methods(["GET", "POST"])
def unit_create(request: HttpRequest, facility_id: int) -> HttpResponse:
    facility = _facility(request, facility_id)
    form = UnitForm(request.POST or None, facility=facility)
    unit = _saved(
        request,
        form,
        lambda: setup.unit_create(
            facility=facility,
            by=request.user,
            settings=form.settings(),
            ip_address=client_ip(request),
        ),
    )
    if unit is not None:
        messages.success(request, _("室場を登録しました。料金表を登録すると予約できます。"))
        return redirect("staff:setup_fees", unit.pk)
    return render(request, "staff/setup_unit_form.html", {"form": form, "facility": facility})


@staff_required(Perm.SETUP)
@require_http_methods(["GET", "POST"])
def unit_edit(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = _unit(request, unit_id)
    form = UnitForm(request.POST or None, facility=unit.facility, unit=unit)
    saved = _saved(
        request,
        form,
        lambda: setup.unit_update(
            unit=unit, by=request.user, settings=form.settings(), ip_address=client_ip(request)
        ),
    )
    if saved is not None:
        messages.success(request, _("室場を保存しました。"))
        return _to_facility(unit.facility, unit)
    return render(
        request,
        "staff/setup_unit_form.html",
        {"form": form, "facility": unit.facility, "unit": unit},
    )


@staff_required(Perm.SETUP)
@require_http_methods(["GET", "POST"])
def fee_table(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The table in force, every table before and after it, and a form for a new one."""
    unit = _unit(request, unit_id)
    today = clock.today()
    current = fee_rules_current(units=[unit], on=today).get(unit.pk, [])
    if not current:  # nothing in force yet: start from the latest table, if any
        latest = unit.fee_rules.order_by("-effective_from").first()
        current = (
            list(unit.fee_rules.filter(effective_from=latest.effective_from)) if latest else []
        )
    form = FeeTableForm(request.POST or None, unit=unit, current=current)
    saved = _saved(
        request,
        form,
        lambda: setup.fee_table_publish(
            unit=unit,
            by=request.user,
            effective_from=form.cleaned_data["effective_from"],
            lines=form.lines(),
            ip_address=client_ip(request),
        ),
    )
    if saved is not None:
        messages.success(
            request,
            _("料金表を登録しました。%(date)s以降の利用に適用されます。")
            % {"date": form.cleaned_data["effective_from"].isoformat()},
        )
        return _to_facility(unit.facility, unit)
    history = unit.fee_rules.select_related("slot").order_by(
        "-effective_from", "slot__start", "slot__end", "rate_class", "person_class"
    )
    return render(
        request,
        "staff/setup_fees.html",
        {"unit": unit, "form": form, "history": history, "today": today},
    )


@staff_required(Perm.SETUP)
@require_POST
def closure_add(request: HttpRequest, facility_id: int) -> HttpResponse:
    facility = _facility(request, facility_id)
    form = ClosureForm(request.POST, facility=facility)
    if form.is_valid():
        try:
            setup.closure_add(
                facility=facility,
                by=request.user,
                ip_address=client_ip(request),
                **form.cleaned_data,
            )
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("臨時休館を登録しました。"))
            return _to_facility(facility, form.cleaned_data["unit"])
    # Refused: the form again, with the messages next to the fields.
    return render(
        request,
        "staff/setup_closure_form.html",
        {"facility": facility, "closure_form": form},
        status=400,
    )


@staff_required(Perm.SETUP)
@require_POST
def closure_remove(request: HttpRequest, closure_id: int) -> HttpResponse:
    closure = (
        Closure.objects.filter(pk=closure_id, facility__in=staff_facilities(request.user))
        .select_related("facility", "facility__municipality")
        .first()
    )
    if closure is None:
        raise Http404(_("指定された臨時休館は見つかりません。"))
    facility = closure.facility
    setup.closure_remove(closure=closure, by=request.user, ip_address=client_ip(request))
    messages.success(request, _("臨時休館を取り消しました。"))
    return _to_facility(facility)


@staff_required(Perm.SETUP_MUNICIPALITY)
@require_http_methods(["GET", "POST"])
def schedule_list(request: HttpRequest) -> HttpResponse:
    form = SlotScheduleForm(request.POST or None)
    saved = _saved(
        request,
        form,
        lambda: setup.slot_schedule_create(
            municipality=request.municipality,
            by=request.user,
            name=form.cleaned_data["name"],
            slots=form.cleaned_data["slots"],
            ip_address=client_ip(request),
        ),
    )
    if saved is not None:
        messages.success(request, _("時間区分を登録しました。"))
        return redirect("staff:setup_schedules")
    schedules = SlotSchedule.objects.filter(municipality=request.municipality).prefetch_related(
        "slots", Prefetch("units", queryset=Unit.objects.select_related("facility"))
    )
    return render(request, "staff/setup_schedules.html", {"form": form, "schedules": schedules})


@staff_required(Perm.SETUP_MUNICIPALITY)
@require_http_methods(["GET", "POST"])
def reduction_categories(request: HttpRequest) -> HttpResponse:
    form = ReductionCategoryForm(request.POST or None)
    saved = _saved(
        request,
        form,
        lambda: setup.reduction_category_create(
            municipality=request.municipality,
            by=request.user,
            settings=form.settings(),
            ip_address=client_ip(request),
        ),
    )
    if saved is not None:
        messages.success(request, _("減免の区分を登録しました。"))
        return redirect("staff:setup_reductions")
    categories = ReductionCategory.objects.filter(municipality=request.municipality)
    return render(request, "staff/setup_reductions.html", {"form": form, "categories": categories})


@staff_required(Perm.SETUP_MUNICIPALITY)
@require_http_methods(["GET", "POST"])
def reduction_category_edit(request: HttpRequest, category_id: int) -> HttpResponse:
    category = ReductionCategory.objects.filter(
        pk=category_id, municipality=request.municipality
    ).first()
    if category is None:
        raise Http404(_("指定された減免の区分は見つかりません。"))
    initial = {name: getattr(category, name) for name in ReductionCategoryForm.base_fields}
    form = ReductionCategoryForm(request.POST or None, initial=initial)
    saved = _saved(
        request,
        form,
        lambda: setup.reduction_category_update(
            category=category,
            by=request.user,
            settings=form.settings(),
            ip_address=client_ip(request),
        ),
    )
    if saved is not None:
        messages.success(request, _("減免の区分を保存しました。"))
        return redirect("staff:setup_reductions")
    return render(request, "staff/setup_reduction_form.html", {"form": form, "category": category})
