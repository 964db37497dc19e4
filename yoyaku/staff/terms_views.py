"""Staff console: 利用規約 (municipality admins publish a new version; audited in the service)."""

from __future__ import annotations

from django.contrib.messages import success
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yoyaku.core.errors import DomainError
from yoyaku.core.permissions import Perm
from yoyaku.registrants import selectors, services
from yoyaku.security.services import client_ip
from yoyaku.staff.forms import TermsPublishForm
from yoyaku.staff.views import staff_required


@staff_required(Perm.TERMS)
@require_http_methods(["GET", "POST"])
def terms_manage(request: HttpRequest) -> HttpResponse:
    """The version in force and a form for the next one, which takes effect at once."""
    muni = request.municipality
    current = selectors.terms_current(muni)
    form = TermsPublishForm(request.POST or None, initial={"body": current.body if current else ""})
    if request.method == "POST" and form.is_valid():
        try:
            terms = services.terms_publish(
                municipality=muni,
                by=request.user,
                body=form.cleaned_data["body"],
                change_summary=form.cleaned_data["change_summary"],
                ip_address=client_ip(request),
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            success(
                request,
                _(
                    "利用規約の第%(version)s版を公開しました。登録者には次のログインで同意を求めます。"
                )
                % {"version": terms.version},
            )
            return redirect("staff:terms")
    return render(request, "staff/terms.html", {"form": form, "current": current})
