"""Online registration (利用者登録の申請): form → confirmation → sent, as in 000."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from yoyaku.citizen.views import _municipality
from yoyaku.core.errors import DomainError
from yoyaku.core.middleware import changes_data
from yoyaku.integrity import services as integrity
from yoyaku.integrity.middleware import device_id
from yoyaku.integrity.models import Sighting
from yoyaku.registrants import forms as reg_forms
from yoyaku.registrants import selectors, services
from yoyaku.registrants.models import Registrant
from yoyaku.registrants.normalize import lookup_postal_code
from yoyaku.security.services import client_ip

SESSION_KEY = "registration:{slug}"


def _kind(request: HttpRequest, municipality) -> str:
    kind = request.GET.get("kind") or request.POST.get("kind") or Registrant.Kind.INDIVIDUAL
    if kind == Registrant.Kind.GROUP and municipality.allows_groups:
        return kind
    return Registrant.Kind.INDIVIDUAL


ADDRESS_PARTS = ("prefecture", "city", "street")


def address_lookup(post, prefix: str) -> tuple[dict, dict]:
    """The 住所検索 button: fill 都道府県・市区郡・町村 from the postal code (works without JS).

    Only empty parts are filled: what the person typed is never replaced. A typed street that
    starts with the town found (芝公園1-5-25 for 芝公園) agrees with it. The second value says
    which parts were filled and which typed parts differ from the postal code's address, for
    the message next to the address.
    """
    data = post.copy()
    found = lookup_postal_code(
        reg_forms.normalize.postal_code(post.get(f"{prefix}postal_code", ""))
    )
    if found is None:
        return data, {"problem": "not_found"}
    filled, kept = [], []
    for part, value in zip(ADDRESS_PARTS, found, strict=True):
        typed = (post.get(f"{prefix}{part}") or "").strip()
        if not typed:
            data[f"{prefix}{part}"] = value
            if value:
                filled.append(part)
        elif not (typed == value or (part == "street" and typed.startswith(value))):
            kept.append(part)
    return data, {"filled": filled, "kept": kept, "found": "".join(found)}


def _pending(request: HttpRequest, slug: str) -> dict | None:
    return request.session.get(SESSION_KEY.format(slug=slug))


def _pending_proof_path(pending: dict | None) -> str | None:
    return ((pending or {}).get("proof") or {}).get("path")


@require_http_methods(["GET", "POST"])
@changes_data
def register_form(request: HttpRequest, municipality: str) -> HttpResponse:
    muni = _municipality(request)
    kind = _kind(request, muni)
    terms = selectors.terms_current(muni)
    pending = _pending(request, muni.slug)
    previous_proof = _pending_proof_path(pending)
    has_proof = bool(
        previous_proof
        and pending["data"].get("kind") == kind
        and selectors.pending_upload_exists(previous_proof)
    )
    lookup_target = request.POST.get("lookup")
    if request.method == "POST" and lookup_target in {"home", "work"}:
        prefix = "workplace_" if lookup_target == "work" else ""
        data, outcome = address_lookup(request.POST, prefix)
        form = reg_forms.RegistrationForm(
            initial=data.dict(), municipality=muni, kind=kind, has_proof=has_proof, terms=terms
        )
        lookup = {"target": lookup_target, **outcome}
        for key in ("filled", "kept"):
            lookup[key] = [form[f"{prefix}{part}"].label for part in outcome.get(key, ())]
        return render(
            request,
            "citizen/register_form.html",
            {
                "form": form,
                "kind": kind,
                "postal_lookup": lookup,
                "has_proof": has_proof,
                "terms": terms,
            },
        )
    if request.method == "POST":
        form = reg_forms.RegistrationForm(
            request.POST,
            request.FILES,
            municipality=muni,
            kind=kind,
            has_proof=has_proof,
            terms=terms,
        )
        refused = False
        if form.is_valid():
            proof_meta = pending.get("proof") if has_proof else None
            upload = form.cleaned_data.get("employment_proof")
            try:
                if form.cleaned_data.get("category") != Registrant.Category.WORKER:
                    proof_meta = None
                    if previous_proof:
                        services.pending_upload_discard(path=previous_proof)
                elif upload:
                    path = services.pending_upload_store(
                        upload=upload,
                        extension=form.proof_extension,
                        ip=client_ip(request),
                        replaces=previous_proof,
                    )
                    proof_meta = {"path": path, "type": form.proof_type, "name": upload.name[:100]}
            except DomainError as error:
                form.add_error(error.field, error.message)
                refused = True
            else:
                request.session[SESSION_KEY.format(slug=muni.slug)] = {
                    "data": reg_forms.data_to_session(form.registrant_data()),
                    "proof": proof_meta,
                    "terms_version": form.terms_version,
                }
                return redirect("citizen:register_confirm", muni.slug)
        file_dropped = bool(request.FILES.get("employment_proof")) and not refused
        return render(
            request,
            "citizen/register_form.html",
            {
                "form": form,
                "kind": kind,
                "file_dropped": file_dropped,
                "has_proof": has_proof,
                "terms": terms,
            },
        )
    initial = {}
    if pending and request.GET.get("edit"):
        initial = reg_forms.form_initial_from_data(pending["data"])
        kind = pending["data"].get("kind", kind)
    form = reg_forms.RegistrationForm(
        initial=initial, municipality=muni, kind=kind, has_proof=has_proof, terms=terms
    )
    return render(
        request,
        "citizen/register_form.html",
        {"form": form, "kind": kind, "has_proof": has_proof, "terms": terms},
    )


@require_http_methods(["GET", "POST"])
@changes_data
def register_confirm(request: HttpRequest, municipality: str) -> HttpResponse:
    muni = _municipality(request)
    pending = _pending(request, muni.slug)
    if not pending:
        return redirect("citizen:register_form", muni.slug)
    data = reg_forms.data_from_session(pending["data"])
    if request.method == "POST":
        proof = None
        meta = pending.get("proof")
        if meta and not selectors.pending_upload_exists(meta["path"]):
            # Kept one hour only: the applicant attaches it again from 修正する.
            pending["proof"] = None
            request.session.modified = True
            return render(
                request,
                "citizen/register_confirm.html",
                {
                    "data": data,
                    "proof": None,
                    "error": DomainError("pending_upload_expired").message,
                    "category_label": _category_label(muni, data),
                },
                status=400,
            )
        if meta:
            proof = services.Proof(
                file=default_storage.open(meta["path"], "rb"),
                content_type=meta["type"],
                name=meta["name"],
            )
        try:
            registrant = services.registration_apply(
                municipality=muni,
                data=data,
                proof=proof,
                ip_address=client_ip(request),
                terms_version=pending.get("terms_version"),
            )
        except DomainError as error:
            return render(
                request,
                "citizen/register_confirm.html",
                {
                    "data": data,
                    "proof": meta,
                    "error": error.message,
                    "category_label": _category_label(muni, data),
                },
                status=400,
            )
        finally:
            if proof is not None:
                proof.file.close()
        integrity.sighting_record(
            registrant=registrant,
            kind=Sighting.Kind.REGISTRATION,
            device_id=device_id(request),
            ip=client_ip(request),
        )
        if meta:
            services.pending_upload_discard(path=meta["path"])
        del request.session[SESSION_KEY.format(slug=muni.slug)]
        request.session[f"registered:{muni.slug}"] = registrant.email
        return redirect("citizen:register_done", muni.slug)
    return render(
        request,
        "citizen/register_confirm.html",
        {
            "data": data,
            "proof": pending.get("proof"),
            "category_label": _category_label(muni, data),
        },
    )


def _category_label(muni, data) -> str:
    return Registrant.category_label_for(muni, data.get("category", ""))


@require_GET
def register_done(request: HttpRequest, municipality: str) -> HttpResponse:
    muni = _municipality(request)
    email = request.session.pop(f"registered:{muni.slug}", None)
    if email is None:
        return redirect("citizen:register", muni.slug)
    return render(request, "citizen/register_done.html", {"email": email})


@require_GET
def terms_of_use(request: HttpRequest, municipality: str) -> HttpResponse:
    """利用規約: the version in force, for anyone (linked from the registration form)."""
    muni = _municipality(request)
    terms = selectors.terms_current(muni)
    if terms is None:
        raise Http404(_("利用規約はまだ公開されていません。"))
    return render(request, "citizen/terms.html", {"terms": terms})
