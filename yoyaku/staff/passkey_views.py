"""Passkeys in the console: a staff member adds, lists and deletes their own (パスキー), and uses
one instead of the authenticator app's code as the second log-in step. An administrator can
remove all passkeys of a staff member (yoyaku.staff.account_views), the recovery path.

Thin: the ceremonies are in yoyaku.security.passkeys; the browser side is
static/yoyaku/passkeys.js.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditVia, User
from yoyaku.core.permissions import Perm
from yoyaku.security import passkeys as passkey_services
from yoyaku.security import services as security_services
from yoyaku.security.models import Passkey
from yoyaku.security.passkey_http import (
    PasskeyNameForm,
    challenge_keep,
    challenge_take,
    json_body,
    json_error,
    options_response,
)
from yoyaku.security.selectors import passkeys_of
from yoyaku.staff.views import (
    PENDING_LOGIN_KEY,
    PENDING_LOGIN_MAX_FAILURES,
    _pending_login,
    _second_factor_done,
    staff_required,
)

REGISTER_KEY = "staff_passkey_register"
LOGIN_KEY = "staff_passkey_login"


@never_cache
@staff_required(Perm.PASSKEYS)
@require_http_methods(["GET"])
def passkey_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "staff/passkeys.html",
        {"form": PasskeyNameForm(), "passkeys": passkeys_of(request.user)},
    )


@staff_required(Perm.PASSKEYS)
@require_POST
def passkey_register_options(request: HttpRequest) -> HttpResponse:
    ceremony = passkey_services.passkey_registration_options(user=request.user)
    challenge_keep(request, REGISTER_KEY, ceremony.challenge)
    return options_response(ceremony)


@staff_required(Perm.PASSKEYS)
@require_POST
def passkey_register(request: HttpRequest) -> HttpResponse:
    body = json_body(request)
    form = PasskeyNameForm({"name": body.get("name", "")})
    if not form.is_valid():
        return json_error(form.errors["name"][0], field="name")
    try:
        passkey = passkey_services.passkey_register(
            user=request.user,
            name=form.cleaned_data["name"],
            credential=body.get("credential") or {},
            challenge=challenge_take(request, REGISTER_KEY),
            ip_address=security_services.client_ip(request),
            via=AuditVia.STAFF,
        )
    except DomainError as error:
        return json_error(error.message, field=error.field or "")
    messages.success(request, _("パスキー「%(name)s」を登録しました。") % {"name": passkey.name})
    return JsonResponse({"redirect": reverse("staff:passkeys")})


@staff_required(Perm.PASSKEYS)
@require_http_methods(["GET", "POST"])
def passkey_delete(request: HttpRequest, passkey_id: int) -> HttpResponse:
    """Asks once (GET), then deletes (POST). Only one's own passkeys."""
    passkey = Passkey.objects.filter(pk=passkey_id, user=request.user).first()
    if passkey is None:
        raise Http404(_("指定されたパスキーは見つかりません。"))
    if request.method == "POST":
        passkey_services.passkey_remove(
            passkey=passkey,
            by=request.user,
            ip_address=security_services.client_ip(request),
            via=AuditVia.STAFF,
        )
        messages.success(
            request, _("パスキー「%(name)s」を削除しました。") % {"name": passkey.name}
        )
        return redirect("staff:passkeys")
    return render(request, "staff/passkey_delete.html", {"passkey": passkey})


# --- the second log-in step ----------------------------------------------------------------


@require_POST
def login_passkey_options(request: HttpRequest) -> HttpResponse:
    user, _state = _pending_login(request)
    if user is None:
        return json_error(_("もう一度、職員IDとパスワードを入力してください。"), status=403)
    ceremony = passkey_services.passkey_authentication_options(user=user)
    challenge_keep(request, LOGIN_KEY, ceremony.challenge)
    return options_response(ceremony)


@require_POST
def login_passkey(request: HttpRequest) -> HttpResponse:
    """The second factor by passkey: only the pending user's passkeys count, behind the same
    throttle as passwords and codes; wrong answers use up the pending log-in like codes."""
    user, state = _pending_login(request)
    if user is None:
        return json_error(_("もう一度、職員IDとパスワードを入力してください。"), status=403)
    credential = json_body(request).get("credential") or {}
    challenge = challenge_take(request, LOGIN_KEY)
    ip = security_services.client_ip(request)
    outcome = security_services.login_guarded(
        request=request,
        municipality=user.municipality,
        kind=User.Kind.STAFF,
        login_id=user.login_id,
        check=lambda: passkey_services.passkey_authenticate(
            credential=credential,
            challenge=challenge,
            user=user,
            ip_address=ip,
            purpose="staff_second_factor",
        ),
    )
    if outcome.throttled:
        response = json_error(
            _("ログインの試行回数が多すぎます。%(minutes)s分後にもう一度お試しください。")
            % {"minutes": outcome.decision.retry_after_minutes},
            status=429,
        )
        response["Retry-After"] = str(outcome.decision.retry_after)
        return response
    if outcome.user is None:
        state["failures"] = state.get("failures", 0) + 1
        if state["failures"] >= PENDING_LOGIN_MAX_FAILURES:
            request.session.pop(PENDING_LOGIN_KEY, None)
            return json_error(
                _("確認の失敗が続いたため、ログインを中止しました。もう一度ログインしてください。"),
                status=403,
            )
        request.session[PENDING_LOGIN_KEY] = state
        return json_error(_("パスキーを確認できませんでした。もう一度お試しください。"))
    response = _second_factor_done(request, user)
    return JsonResponse({"redirect": response["Location"]})
