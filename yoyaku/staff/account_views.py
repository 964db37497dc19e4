"""Staff accounts in the console (administrators): list, create, change role and facilities,
stop and restart, issue a new password, reset the authenticator. Every write is a service in
yoyaku.core.staff_services (or totp) that writes the audit row."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yoyaku.core import staff_services
from yoyaku.core.errors import DomainError
from yoyaku.core.models import User
from yoyaku.core.permissions import Perm
from yoyaku.core.staff_selectors import staff_account, staff_accounts
from yoyaku.core.totp import staff_totp_reset
from yoyaku.security.passkeys import passkeys_reset
from yoyaku.security.selectors import passkeys_of
from yoyaku.security.services import client_ip
from yoyaku.staff.account_forms import StaffAccountForm, TotpResetForm
from yoyaku.staff.views import staff_required


def _account(request: HttpRequest, user_id: int) -> User:
    user = staff_account(municipality=request.municipality, user_id=user_id)
    if user is None:
        raise Http404(_("指定された職員は見つかりません。"))
    return user


def _add_error(form: StaffAccountForm, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _password_page(request: HttpRequest, account: User, password: str) -> HttpResponse:
    """The password, shown this once: never cached, never stored anywhere readable."""
    response = render(
        request, "staff/account_password.html", {"account": account, "password": password}
    )
    response["Cache-Control"] = "no-store"
    return response


@staff_required(Perm.STAFF_ACCOUNTS)
def account_list(request: HttpRequest) -> HttpResponse:
    accounts = staff_accounts(municipality=request.municipality)
    return render(request, "staff/account_list.html", {"accounts": accounts})


@staff_required(Perm.STAFF_ACCOUNTS)
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    form = StaffAccountForm(
        request.POST or None,
        municipality=request.municipality,
        with_login_id=True,
        initial={"role": User.StaffRole.CLERK},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account, password = staff_services.staff_account_create(
                municipality=request.municipality,
                login_id=data["login_id"],
                display_name=data["display_name"],
                email=data["email"],
                role=data["role"],
                facility_ids=[facility.pk for facility in data["facilities"]],
                by=request.user,
                ip_address=client_ip(request),
            )
        except DomainError as error:
            _add_error(form, error)
        else:
            return _password_page(request, account, password)
    return render(request, "staff/account_form.html", {"form": form})


@staff_required(Perm.STAFF_ACCOUNTS)
@require_http_methods(["GET", "POST"])
def account_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    account = _account(request, user_id)
    initial = {
        "display_name": account.display_name,
        "email": account.email,
        "role": account.staff_role,
        "facilities": list(account.facilities.all()),
    }
    form = StaffAccountForm(
        request.POST or None,
        municipality=request.municipality,
        with_login_id=False,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            staff_services.staff_account_change(
                user=account,
                role=data["role"],
                facility_ids=[facility.pk for facility in data["facilities"]],
                display_name=data["display_name"],
                email=data["email"],
                by=request.user,
                ip_address=client_ip(request),
            )
        except DomainError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("職員アカウントを更新しました。"))
            return redirect("staff:account_detail", user_id=account.pk)
    return _detail_page(request, account, form, TotpResetForm())


def _detail_page(
    request: HttpRequest, account: User, form: StaffAccountForm, totp_form: TotpResetForm
) -> HttpResponse:
    context = {
        "account": account,
        "form": form,
        "totp_form": totp_form,
        "passkey_form": TotpResetForm(prefix="passkeys"),
        "account_passkeys": passkeys_of(account),
    }
    return render(request, "staff/account_form.html", context)


@staff_required(Perm.STAFF_ACCOUNTS)
@require_POST
def account_active(request: HttpRequest, user_id: int) -> HttpResponse:
    account = _account(request, user_id)
    active = request.POST.get("active") == "1"
    try:
        staff_services.staff_account_set_active(
            user=account, active=active, by=request.user, ip_address=client_ip(request)
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if active:
            messages.success(request, _("職員アカウントを再開しました。"))
        else:
            messages.success(request, _("職員アカウントを停止しました。"))
    return redirect("staff:account_detail", user_id=account.pk)


@staff_required(Perm.STAFF_ACCOUNTS)
@require_POST
def account_password(request: HttpRequest, user_id: int) -> HttpResponse:
    account = _account(request, user_id)
    password = staff_services.staff_password_issue(
        user=account, by=request.user, ip_address=client_ip(request)
    )
    return _password_page(request, account, password)


@staff_required(Perm.STAFF_ACCOUNTS)
@require_POST
def account_totp_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    account = _account(request, user_id)
    totp_form = TotpResetForm(request.POST)
    if not totp_form.is_valid():
        form = StaffAccountForm(
            municipality=request.municipality,
            with_login_id=False,
            initial={"display_name": account.display_name, "role": account.staff_role},
        )
        return _detail_page(request, account, form, totp_form)
    staff_totp_reset(user=account, by=request.user, reason=totp_form.cleaned_data["reason"])
    messages.success(
        request, _("確認コードを再設定しました。次のログインで認証アプリを登録し直します。")
    )
    return redirect("staff:account_detail", user_id=account.pk)


@staff_required(Perm.STAFF_ACCOUNTS)
@require_POST
def account_passkeys_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    """Remove all passkeys of a staff member (a lost device): audited as ``passkey.reset``."""
    account = _account(request, user_id)
    form = TotpResetForm(request.POST, prefix="passkeys")
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    removed = passkeys_reset(
        user=account, by=request.user, reason=reason, ip_address=client_ip(request)
    )
    messages.success(request, _("パスキーを%(count)s個削除しました。") % {"count": removed})
    return redirect("staff:account_detail", user_id=account.pk)
