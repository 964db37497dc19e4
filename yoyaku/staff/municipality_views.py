"""Staff console: the municipality's settings (自治体の設定), for its administrators — the
policies, and how the permit and the registration card are printed (issuer, conditions, the
card's note, the official seal). Thin: each write is a service of
``yoyaku.core.municipality_services`` that checks, writes and audits."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from yoyaku.core import municipality_services as ms
from yoyaku.core.errors import DomainError
from yoyaku.core.permissions import Perm
from yoyaku.core.uploads import stored_file_response
from yoyaku.security.services import client_ip
from yoyaku.staff.municipality_forms import DocumentsForm, PolicyForm
from yoyaku.staff.views import staff_required


def _refused(form: forms.Form, error: DomainError) -> None:
    """The service's message next to the field it names (or at the top of the form)."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


@staff_required(Perm.MUNICIPALITY_SETTINGS)
@require_http_methods(["GET", "POST"])
def municipality_policies(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality
    form = PolicyForm(request.POST or None, municipality=municipality)
    if request.method == "POST" and form.is_valid():
        try:
            ms.municipality_update(
                municipality=municipality,
                by=request.user,
                ip_address=client_ip(request),
                **form.cleaned_data,
            )
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("自治体の設定を保存しました。"))
            return redirect("staff:municipality_policies")
    return render(request, "staff/municipality_policies.html", {"form": form})


@staff_required(Perm.MUNICIPALITY_SETTINGS)
@require_http_methods(["GET", "POST"])
def municipality_documents(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality
    form = DocumentsForm(request.POST or None, request.FILES or None, municipality=municipality)
    if request.method == "POST" and form.is_valid():
        try:
            ms.municipality_documents_update(
                municipality=municipality,
                by=request.user,
                seal=form.cleaned_data["seal"],
                remove_seal=form.cleaned_data.get("remove_seal", False),
                ip_address=client_ip(request),
                **form.texts(),
            )
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("許可書・登録証の様式を保存しました。"))
            return redirect("staff:municipality_documents")
    return render(
        request,
        "staff/municipality_documents.html",
        {"form": form, "has_seal": bool(municipality.seal)},
    )


@staff_required(Perm.MUNICIPALITY_SETTINGS)
@require_GET
def municipality_seal(request: HttpRequest) -> HttpResponse:
    """The seal image as stored, for the administrator to check (served with its checked type)."""
    municipality = request.municipality
    if not municipality.seal:
        raise Http404(_("公印の画像は登録されていません。"))
    return stored_file_response(
        municipality.seal, content_type=municipality.seal_content_type, filename="seal"
    )
