"""APIトークン on my page: make one (its secret shown once), see them, revoke one."""

from __future__ import annotations

from django import forms
from django.contrib.messages import success
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from yoyaku.citizen.account_views import registrant_required
from yoyaku.core import api_tokens
from yoyaku.core.errors import DomainError
from yoyaku.core.middleware import changes_data
from yoyaku.core.models import ApiToken


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("トークンの名前"),
        max_length=api_tokens.NAME_MAX,
        help_text=gettext_lazy("何に使うかがわかる名前（例: 家のパソコンのスクリプト）"),
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("できること"),
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "「読み取りと書き込み」のトークンでは、予約・変更・取消や支払いの開始もできます。"
        ),
    )


def _page(request: HttpRequest, form: TokenForm, *, status: int = 200, plaintext: str = ""):
    return render(
        request,
        "citizen/api_tokens.html",
        {"form": form, "tokens": api_tokens.tokens_of(request.user), "plaintext": plaintext},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@changes_data
@registrant_required
def api_tokens_page(request: HttpRequest, municipality: str) -> HttpResponse:
    """The list and the form; a new token's secret appears on the answer to the POST only."""
    if request.method == "GET":
        return _page(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        _token, plaintext = api_tokens.api_token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            scopes=[form.cleaned_data["scope"]],
        )
    except DomainError as error:
        form.add_error("name" if error.field == "name" else None, error.message)
        return _page(request, form, status=409)
    response = _page(request, TokenForm(), plaintext=plaintext)
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@changes_data
@registrant_required
def api_token_revoke(request: HttpRequest, municipality: str, token_id: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:
        raise Http404(_("指定されたトークンは見つかりません。"))
    try:
        api_tokens.api_token_revoke(token=token, by=request.user)
    except DomainError:
        pass  # revoked already (a second click): the list says so
    else:
        success(request, _("APIトークン「%(name)s」を取り消しました。") % {"name": token.name})
    return redirect("citizen:api_tokens", municipality)
