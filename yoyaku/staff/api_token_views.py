"""Staff console: one's own API tokens (/staff/api-tokens/). Each staff member creates, names
and revokes their tokens for themselves; the plain text is shown once, on the page that answers
the creation, and never again. Created and revoked in ``yoyaku.core.api_tokens`` (audited)."""

from __future__ import annotations

import contextlib

from django import forms
from django.contrib.messages import success
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from yoyaku.core import api_tokens
from yoyaku.core.errors import DomainError
from yoyaku.core.params import SafeTextMixin
from yoyaku.core.permissions import OWN_ONLY, ROLES, Perm
from yoyaku.staff.views import staff_required


def _may_write_anything(user) -> bool:
    return any(user.staff_role in ROLES[perm].write for perm in Perm if perm not in OWN_ONLY)


class ApiTokenForm(SafeTextMixin, forms.Form):
    name = forms.CharField(
        label=gettext_lazy("名前"),
        max_length=api_tokens.NAME_MAX,
        help_text=gettext_lazy("どのシステムで使うトークンかが分かる名前（例: 庁内集計システム）"),
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("権限"),
        widget=forms.RadioSelect,
        initial=api_tokens.READ,
        choices=[
            (api_tokens.READ, gettext_lazy("読み取りのみ")),
            (api_tokens.WRITE, gettext_lazy("読み取りと操作（承認・不許可など）")),
        ],
        help_text=gettext_lazy(
            "トークンはあなたの役割と担当施設の範囲でだけ使えます。役割が変われば、トークンで"
            "できることも変わります。"
        ),
    )

    def __init__(self, *args, may_write: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_write:
            # Nothing to act on for this role: a read token is all there is.
            self.fields["scope"].choices = self.fields["scope"].choices[:1]


def _page(request: HttpRequest, form: ApiTokenForm, *, plaintext: str = "", status: int = 200):
    return render(
        request,
        "staff/api_tokens.html",
        {
            "form": form,
            "tokens": api_tokens.api_tokens_of(user=request.user),
            "plaintext": plaintext,
        },
        status=status,
    )


@staff_required(Perm.API_TOKENS)
@require_http_methods(["GET", "POST"])
@never_cache
def api_token_list(request: HttpRequest) -> HttpResponse:
    may_write = _may_write_anything(request.user)
    form = ApiTokenForm(request.POST or None, may_write=may_write)
    if request.method == "POST" and form.is_valid():
        try:
            _token, plaintext = api_tokens.api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                write=form.cleaned_data["scope"] == api_tokens.WRITE,
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            # Shown once: this answer is the only place the plain text ever appears.
            return _page(request, ApiTokenForm(may_write=may_write), plaintext=plaintext)
    return _page(request, form, status=400 if form.errors else 200)


@staff_required(Perm.API_TOKENS)
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = api_tokens.ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:
        raise Http404(_("指定されたトークンは見つかりません。"))
    # Revoked already (a second click, another tab): the same outcome.
    with contextlib.suppress(DomainError):
        api_tokens.api_token_revoke(token=token, by=request.user)
    success(request, _("トークン「%(name)s」を無効にしました。") % {"name": token.name})
    return redirect("staff:api_token_list")
