"""The staff console. Thin: every write goes through a service that writes the audit log."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from yoyaku.core import clock
from yoyaku.core import services as core_services
from yoyaku.core import totp as core_totp
from yoyaku.core.errors import DomainError
from yoyaku.core.models import MaintenanceWindow, Notice, User
from yoyaku.core.permissions import Perm, can, can_request, staff_facilities, staff_may
from yoyaku.core.selectors import maintenance_windows_upcoming, service_status
from yoyaku.payments import selectors as money
from yoyaku.registrants.selectors import review_counts
from yoyaku.reservations import daysheet
from yoyaku.security import services as security_services
from yoyaku.security.selectors import attempt_spike, passkeys_of, shared_id_signals
from yoyaku.staff.forms import MaintenanceForm, NoticeForm, OneTimeCodeForm, StaffLoginForm


def staff_required(perm: Perm = Perm.CONSOLE):
    """Only logged-in staff whose role may ``perm`` (yoyaku.core.permissions): read roles for
    a GET, write roles for a POST; the municipality is the staff member's own."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            user = request.user
            if not user.is_authenticated or user.kind != User.Kind.STAFF:
                return redirect_to_login(request.get_full_path(), reverse("staff:login"))
            request.municipality = user.municipality
            # The navigation shows only what the table in yoyaku.core.permissions allows.
            request.staff_may = staff_may(user)
            if not can_request(user, perm, request.method):
                return render(request, "staff/forbidden.html", status=403)
            return view(request, *args, **kwargs)

        # Declared on the view, so the role test can walk every console URL with its verb.
        wrapper.staff_perm = perm
        return wrapper

    return decorator


def _ip(request: HttpRequest) -> str | None:
    # The same client address as the log-in throttle (honours YOYAKU_TRUSTED_PROXY_COUNT).
    return security_services.client_ip(request)


@require_http_methods(["GET", "POST"])
def staff_login(request: HttpRequest) -> HttpResponse:
    form = StaffLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Throttled by client address, never locked per account (yoyaku.security.services).
        outcome = security_services.login_authenticate(
            request=request,
            municipality=form.cleaned_data["municipality"],
            kind=User.Kind.STAFF,
            login_id=form.cleaned_data["login_id"],
            password=form.cleaned_data["password"],
        )
        if outcome.user is not None:
            # The password is right; the log-in completes after the second factor (TOTP).
            return _second_factor_begin(request, outcome.user)
        if outcome.throttled:
            form.add_error(
                None,
                _("ログインの試行回数が多すぎます。%(minutes)s分後にもう一度お試しください。")
                % {"minutes": outcome.decision.retry_after_minutes},
            )
            response = render(request, "staff/login.html", {"form": form}, status=429)
            response["Retry-After"] = str(outcome.decision.retry_after)
            return response
        form.add_error(None, _("職員IDまたはパスワードが正しくありません。"))
    return render(request, "staff/login.html", {"form": form})


@require_POST
def staff_logout(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("staff:login")


@staff_required(Perm.CONSOLE)
def dashboard(request: HttpRequest) -> HttpResponse:
    muni = request.municipality
    now = clock.now()
    today = clock.today()
    days = [today, today + dt.timedelta(days=1)]
    # Scoped: facility staff see the use and the queues of their own facilities only.
    facilities = list(staff_facilities(request.user))
    facility_ids = [f.pk for f in facilities]
    context = {
        "status": service_status(municipality=muni),
        "now": now,
        "days": days,
        "use": daysheet.use_by_facility(facilities=facilities, days=days),
        "approvals": daysheet.approvals_waiting(facilities=facilities),
        "unpaid_soon": len(
            money.unpaid_due_soon(municipality_id=muni.pk, facility_ids=facility_ids, at=now)
        ),
    }
    if can(request.user, Perm.REGISTRATIONS):
        context["counts"] = review_counts(municipality=muni)
    if can(request.user, Perm.SECURITY):
        context["spike"] = attempt_spike(municipality=muni, at=context["now"])
        context["shared_ids"] = len(shared_id_signals(municipality=muni, at=context["now"]))
    return render(request, "staff/dashboard.html", context)


@staff_required(Perm.NOTICES)
def notice_list(request: HttpRequest) -> HttpResponse:
    notices = Notice.objects.filter(municipality=request.municipality)
    return render(request, "staff/notice_list.html", {"notices": notices, "now": clock.now()})


@staff_required(Perm.NOTICES)
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
            messages.success(request, _("お知らせを登録しました。"))
            return redirect("staff:notice_list")
    return render(request, "staff/notice_form.html", {"form": form})


def _notice(request: HttpRequest, notice_id: int) -> Notice:
    notice = Notice.objects.filter(pk=notice_id, municipality=request.municipality).first()
    if notice is None:
        raise Http404(_("指定されたお知らせは見つかりません。"))
    return notice


@staff_required(Perm.NOTICES)
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
            messages.success(request, _("お知らせを更新しました。"))
            return redirect("staff:notice_list")
    return render(request, "staff/notice_form.html", {"form": form, "notice": notice})


@staff_required(Perm.NOTICES)
@require_POST
def notice_withdraw(request: HttpRequest, notice_id: int) -> HttpResponse:
    core_services.notice_withdraw(notice=_notice(request, notice_id), by=request.user)
    messages.success(request, _("お知らせを取り下げました。"))
    return redirect("staff:notice_list")


@staff_required(Perm.MAINTENANCE)
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
            messages.success(request, _("システム休止を登録しました。"))
            return redirect("staff:maintenance_list")
    windows = maintenance_windows_upcoming(municipality=request.municipality)
    return render(
        request,
        "staff/maintenance.html",
        {"form": form, "windows": windows, "now": clock.now()},
    )


@staff_required(Perm.MAINTENANCE)
@require_POST
def maintenance_end(request: HttpRequest, window_id: int) -> HttpResponse:
    # Staff may end only their own municipality's windows; deployment-wide ones are operators'.
    window = MaintenanceWindow.objects.filter(
        pk=window_id, municipality=request.municipality
    ).first()
    if window is None:
        raise Http404(_("指定されたシステム休止は見つかりません。"))
    # A window that has not begun is called off rather than ended (the service deletes it).
    upcoming = window.starts_at >= clock.now()
    try:
        core_services.maintenance_end_now(window=window, by=request.user)
    except DomainError as error:
        # Already over: nothing to end, and the list shows the current state.
        messages.info(request, error.message)
    else:
        messages.success(
            request,
            _("システム休止の予定を取り消しました。")
            if upcoming
            else _("システム休止を終了しました。"),
        )
    return redirect("staff:maintenance_list")


# ---------------------------------------------------------------------------------------------
# Second log-in step: the one-time code of the staff member's authenticator app (TOTP)
# ---------------------------------------------------------------------------------------------

# Between the password and the code the session holds who is logging in, not a log-in.
PENDING_LOGIN_KEY = "staff_pending_login"
PENDING_LOGIN_SECONDS = 5 * 60
# Wrong codes allowed per password check; then the password must be typed again (the password
# step has its own throttling), so guessing 6 digits stays hopeless.
PENDING_LOGIN_MAX_FAILURES = 5


def _second_factor_begin(request: HttpRequest, user: User) -> HttpResponse:
    """After a right password: remember the pending user, ask for (or set up) the code."""
    request.session[PENDING_LOGIN_KEY] = {
        "user_id": user.pk,
        "since": clock.now().timestamp(),
        "failures": 0,
    }
    if user.totp_confirmed_at is None and not passkeys_of(user):
        return redirect("staff:login_otp_setup")
    # A passkey replaces the code: the page offers both (or the passkey and the app's set-up).
    return redirect("staff:login_otp")


def _pending_login(request: HttpRequest) -> tuple[User | None, dict]:
    """The staff member whose password was checked less than 5 minutes ago, if any."""
    state = request.session.get(PENDING_LOGIN_KEY)
    if not isinstance(state, dict):
        return None, {}
    if clock.now().timestamp() - state.get("since", 0) > PENDING_LOGIN_SECONDS:
        request.session.pop(PENDING_LOGIN_KEY, None)
        messages.error(
            request, _("確認コードの入力期限（5分）を過ぎました。もう一度ログインしてください。")
        )
        return None, {}
    user = User.objects.filter(
        pk=state.get("user_id"), kind=User.Kind.STAFF, is_active=True
    ).first()
    if user is None:
        request.session.pop(PENDING_LOGIN_KEY, None)
    return user, state


def _second_factor_failed(request: HttpRequest, state: dict, form: OneTimeCodeForm) -> bool:
    """Count a wrong code; True when the pending log-in is used up and was dropped."""
    state["failures"] = state.get("failures", 0) + 1
    if state["failures"] >= PENDING_LOGIN_MAX_FAILURES:
        request.session.pop(PENDING_LOGIN_KEY, None)
        messages.error(
            request,
            _(
                "確認コードの誤りが続いたため、ログインを中止しました。もう一度ログインしてください。"
            ),
        )
        return True
    request.session[PENDING_LOGIN_KEY] = state
    if "code" not in form.errors:
        form.add_error("code", _("確認コードが正しくありません。"))
    return False


def _second_factor_done(request: HttpRequest, user: User) -> HttpResponse:
    request.session.pop(PENDING_LOGIN_KEY, None)
    login(request, user)  # also rotates the session key
    return redirect("staff:dashboard")


@never_cache
@require_http_methods(["GET", "POST"])
def staff_login_otp(request: HttpRequest) -> HttpResponse:
    user, state = _pending_login(request)
    if user is None:
        return redirect("staff:login")
    has_passkeys = bool(passkeys_of(user))
    if user.totp_confirmed_at is None and not has_passkeys:
        return redirect("staff:login_otp_setup")
    form = OneTimeCodeForm(request.POST or None)
    context = {"form": form, "has_passkeys": has_passkeys, "has_totp": user.totp_confirmed_at}
    if request.method == "POST" and user.totp_confirmed_at is not None:
        # Codes are throttled like passwords and in the same order (record, check the
        # throttle, then the code): a wrong code counts as a failed log-in of this address,
        # and the per-address counter never resets, so knowing a staff password does not buy
        # unlimited guesses at the 6-digit code, not even by sending them in parallel.
        code = form.cleaned_data["code"] if form.is_valid() else None
        outcome = security_services.login_guarded(
            request=request,
            municipality=user.municipality,
            kind=User.Kind.STAFF,
            login_id=user.login_id,
            check=lambda: (
                user
                if code
                and core_totp.staff_totp_login(user=user, code=code, ip_address=_ip(request))
                else None
            ),
        )
        if outcome.throttled:
            form.add_error(
                None,
                _("ログインの試行回数が多すぎます。%(minutes)s分後にもう一度お試しください。")
                % {"minutes": outcome.decision.retry_after_minutes},
            )
            return render(request, "staff/otp.html", context, status=429)
        if outcome.user is not None:
            return _second_factor_done(request, user)
        if _second_factor_failed(request, state, form):
            return redirect("staff:login")
    return render(request, "staff/otp.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def staff_login_otp_setup(request: HttpRequest) -> HttpResponse:
    user, state = _pending_login(request)
    if user is None:
        return redirect("staff:login")
    if user.totp_confirmed_at is not None:
        return redirect("staff:login_otp")
    # The new secret lives in this pending log-in only until its first code confirms it, so a
    # secret shown to anyone else (or on an abandoned attempt) never becomes valid.
    if not state.get("secret"):
        state["secret"] = core_totp.totp_new_secret()
        request.session[PENDING_LOGIN_KEY] = state
    secret = state["secret"]
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid() and core_totp.staff_totp_enrol(
            user=user, secret=secret, code=form.cleaned_data["code"], ip_address=_ip(request)
        ):
            return _second_factor_done(request, user)
        if _second_factor_failed(request, state, form):
            return redirect("staff:login")
    uri = core_totp.totp_provisioning_uri(user=user, secret=secret)
    return render(
        request,
        "staff/otp_setup.html",
        {
            "form": form,
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
            "otpauth_uri": uri,
            "qr_data_uri": core_totp.totp_qr_data_uri(uri),
            "issuer": core_totp.totp_issuer(user.municipality),
            "account": user.login_id,
        },
    )
