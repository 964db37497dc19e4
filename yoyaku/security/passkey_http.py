"""The HTTP half of the passkey ceremonies, shared by the citizen pages and the console: the
challenge kept in the session for one answer, and the JSON the browser script speaks."""

from __future__ import annotations

import json

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy

from yoyaku.core import clock
from yoyaku.security import passkeys as passkey_services
from yoyaku.security.passkeys import Ceremony

CHALLENGE_SECONDS = 5 * 60


class PasskeyNameForm(forms.Form):
    """The name a person gives a passkey they add (my page and the console alike)."""

    name = forms.CharField(
        label=gettext_lazy("パスキーの名前"),
        max_length=passkey_services.NAME_MAX,
        help_text=gettext_lazy("どの機器のパスキーかがわかる名前（例: 自分のスマートフォン）"),
        error_messages={"required": gettext_lazy("パスキーの名前を入力してください。")},
    )


def challenge_keep(request: HttpRequest, key: str, challenge: str) -> None:
    request.session[key] = {"challenge": challenge, "since": clock.now().timestamp()}


def challenge_take(request: HttpRequest, key: str) -> str:
    """The challenge handed out last, once: a second answer to it finds none."""
    state = request.session.pop(key, None)
    if not isinstance(state, dict):
        return ""
    if clock.now().timestamp() - state.get("since", 0) > CHALLENGE_SECONDS:
        return ""
    return str(state.get("challenge") or "")


def json_body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def json_error(message: str, *, status: int = 400, field: str = "") -> JsonResponse:
    return JsonResponse({"error": message, "field": field}, status=status)


def options_response(ceremony: Ceremony) -> HttpResponse:
    response = HttpResponse(ceremony.options_json, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response
