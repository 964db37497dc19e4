"""The staff console. Thin: every write goes through a service that writes the audit log."""

from __future__ import annotations

import contextlib
from functools import wraps

from django.contrib.auth import authenticate, login, logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yoyaku.core import clock
from yoyaku.core import services as core_services
from yoyaku.core.errors import DomainError
from yoyaku.core.models import MaintenanceWindow, Notice, User
from yoyaku.core.selectors import maintenance_windows_upcoming, service_status
from yoyaku.staff.forms import MaintenanceForm, NoticeForm, StaffLoginForm


def staff_required(*roles: str):
    """Only logged-in staff of the right role; the municipality is the staff member's own."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            user = request.user
            if not user.is_authenticated or user.kind != User.Kind.STAFF:
                return redirect(f"{reverse('staff:login')}?next={request.path}")
            if roles and user.staff_role not in roles:
                return render(request, "staff/forbidden.html", status=403)
            request.municipality = user.municipality
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


@require_http_methods(["GET", "POST"])
def staff_login(request: HttpRequest) -> HttpResponse:
    form = StaffLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            municipality=form.cleaned_data["municipality"],
            kind=User.Kind.STAFF,
            login_id=form.cleaned_data["login_id"],
            password=form.cleaned_data["password"],
        )
        if user is not None:
            login(request, user)
            core_services.audit_record(
                action="staff.login",
                actor=user,
                municipality=user.municipality,
                ip_address=_ip(request),
            )
            return redirect("staff:dashboard")
        form.add_error(None, _("職員IDまたはパスワードが正しくありません。"))
    return render(request, "staff/login.html", {"form": form})


@require_POST
def staff_logout(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("staff:login")


@staff_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    muni = request.municipality
    return render(
        request,
        "staff/dashboard.html",
        {"status": service_status(municipality=muni), "now": clock.now()},
    )


@staff_required(User.StaffRole.ADMIN)
def notice_list(request: HttpRequest) -> HttpResponse:
    notices = Notice.objects.filter(municipality=request.municipality)
    return render(request, "staff/notice_list.html", {"notices": notices, "now": clock.now()})


@staff_required(User.StaffRole.ADMIN)
@require_http_methods(["GET", "POST"])
def notice_create(request: HttpRequest) -> HttpResponse:
    form = NoticeForm(request.POST or None, initial={"published_at": clock.now()})
    if request.method == "POST" and form.is_valid():
        try:
            core_services.notice_publish(
                municipality=request.municipality, by=request.user, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return redirect("staff:notice_list")
    return render(request, "staff/notice_form.html", {"form": form})


def _notice(request: HttpRequest, notice_id: int) -> Notice:
    notice = Notice.objects.filter(pk=notice_id, municipality=request.municipality).first()
    if notice is None:
        raise Http404(_("指定されたお知らせは見つかりません。"))
    return notice


@staff_required(User.StaffRole.ADMIN)
@require_http_methods(["GET", "POST"])
def notice_edit(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = _notice(request, notice_id)
    initial = {
        "title": notice.title,
        "body": notice.body,
        "published_at": clock.local(notice.published_at),
        "expires_at": clock.local(notice.expires_at) if notice.expires_at else None,
        "is_important": notice.is_important,
    }
    form = NoticeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            core_services.notice_update(notice=notice, by=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return redirect("staff:notice_list")
    return render(request, "staff/notice_form.html", {"form": form, "notice": notice})


@staff_required(User.StaffRole.ADMIN)
@require_POST
def notice_withdraw(request: HttpRequest, notice_id: int) -> HttpResponse:
    core_services.notice_withdraw(notice=_notice(request, notice_id), by=request.user)
    return redirect("staff:notice_list")


@staff_required(User.StaffRole.ADMIN)
@require_http_methods(["GET", "POST"])
def maintenance_list(request: HttpRequest) -> HttpResponse:
    form = MaintenanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            core_services.maintenance_schedule(
                municipality=request.municipality, by=request.user, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return redirect("staff:maintenance_list")
    windows = maintenance_windows_upcoming(municipality=request.municipality)
    return render(
        request,
        "staff/maintenance.html",
        {"form": form, "windows": windows, "now": clock.now()},
    )


@staff_required(User.StaffRole.ADMIN)
@require_POST
def maintenance_end(request: HttpRequest, window_id: int) -> HttpResponse:
    # Staff may end only their own municipality's windows; deployment-wide ones are operators'.
    window = MaintenanceWindow.objects.filter(
        pk=window_id, municipality=request.municipality
    ).first()
    if window is None:
        raise Http404(_("指定されたシステム休止は見つかりません。"))
    # Already over: nothing to end, and the list shows the current state.
    with contextlib.suppress(DomainError):
        core_services.maintenance_end_now(window=window, by=request.user)
    return redirect("staff:maintenance_list")
