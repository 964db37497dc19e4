"""Passkeys (パスキー) for registrants: on my page add, list and delete them; on the log-in
page log in with one. Thin: the ceremonies are in yoyaku.security.passkeys.

The browser side is static/yoyaku/passkeys.js: it asks the ``…/options/`` endpoints for the
options (JSON), calls ``navigator.credentials``, and posts the answer back as JSON. Each
challenge lives in the session for one answer only. Without JavaScript the pages say that
passkeys need it, and the password log-in works as always. Like the password change, managing
passkeys is closed outside the service hours; logging in with one is not.
"""

from __future__ import annotations

from django.contrib.messages import success
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from yoyaku.citizen.account_views import registrant_required
from yoyaku.citizen.views import _municipality, registrant_login_complete
from yoyaku.core.errors import DomainError
from yoyaku.core.middleware import changes_data
from yoyaku.core.models import AuditVia, User
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

REGISTER_KEY = "passkey_register"
LOGIN_KEY = "passkey_login"


# --- my page -------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET"])
@changes_data
@registrant_required
def passkeys_page(request: HttpRequest, municipality: str) -> HttpResponse:
    return render(
        request,
        "citizen/passkeys.html",
        {"form": PasskeyNameForm(), "passkeys": passkeys_of(request.user)},
    )


@require_POST
@changes_data
@registrant_required
def passkey_register_options(request: HttpRequest, municipality: str) -> HttpResponse:
    ceremony = passkey_services.passkey_registration_options(user=request.user)
    challenge_keep(request, REGISTER_KEY, ceremony.challenge)
    return options_response(ceremony)


@require_POST
@changes_data
@registrant_required
def passkey_register(request: HttpRequest, municipality: str) -> HttpResponse:
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
            via=AuditVia.CITIZEN,
        )
    except DomainError as error:
        return json_error(error.message, field=error.field or "")
    success(request, _("パスキー「%(name)s」を登録しました。") % {"name": passkey.name})
    return JsonResponse({"redirect": reverse("citizen:passkeys", args=[municipality])})


def _own_passkey(request: HttpRequest, passkey_id: int) -> Passkey:
    passkey = Passkey.objects.filter(pk=passkey_id, user=request.user).first()
    if passkey is None:
        raise Http404(_("指定されたパスキーは見つかりません。"))
    return passkey


@require_http_methods(["GET", "POST"])
@changes_data
@registrant_required
def passkey_delete(request: HttpRequest, municipality: str, passkey_id: int) -> HttpResponse:
    """Asks once (GET shows what will be deleted), then deletes (POST)."""
    passkey = _own_passkey(request, passkey_id)
    if request.method == "POST":
        passkey_services.passkey_remove(
            passkey=passkey,
            by=request.user,
            ip_address=security_services.client_ip(request),
            via=AuditVia.CITIZEN,
        )
        success(request, _("パスキー「%(name)s」を削除しました。") % {"name": passkey.name})
        return redirect("citizen:passkeys", municipality)
    return render(request, "citizen/passkey_delete.html", {"passkey": passkey})


# --- the log-in page -----------------------------------------------------------------------


@require_POST
def passkey_login_options(request: HttpRequest, municipality: str) -> HttpResponse:
    _municipality(request)
    ceremony = passkey_services.passkey_authentication_options()
    challenge_keep(request, LOGIN_KEY, ceremony.challenge)
    return options_response(ceremony)


@require_POST
def passkey_login(request: HttpRequest, municipality: str) -> HttpResponse:
    """Log in with a passkey: behind the same throttle as the password (one attempt of the
    passkey's owner from this address), then the same session set-up."""
    muni = _municipality(request)
    body = json_body(request)
    credential = body.get("credential") or {}
    challenge = challenge_take(request, LOGIN_KEY)
    owner = passkey_services.passkey_owner(credential)
    known = owner is not None and owner.municipality_id == muni.pk
    ip = security_services.client_ip(request)
    outcome = security_services.login_guarded(
        request=request,
        municipality=muni,
        kind=User.Kind.REGISTRANT,
        # An unknown passkey still counts against this address (under no login id).
        login_id=owner.login_id if known else "",
        check=lambda: passkey_services.passkey_authenticate(
            credential=credential,
            challenge=challenge,
            municipality=muni,
            kind=User.Kind.REGISTRANT,
            ip_address=ip,
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
        return json_error(
            _(
                "パスキーでログインできませんでした。登録したパスキーか確かめるか、"
                "利用者番号とパスワードでログインしてください。"
            )
        )
    return JsonResponse({"redirect": registrant_login_complete(request, muni, outcome.user)})
