"""Staff console: registration review queue, counter registration, changes, deletion.

Only municipality admins review registrations (least privilege). Every view of a person's
details, proof or card writes an audit row, as does every decision (in the services).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.messages import success
from django.core.files.base import ContentFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction
from yoyaku.core.params import BadParam, action_param, date_param, id_param, text_param
from yoyaku.core.permissions import Perm
from yoyaku.core.selectors import audit_about
from yoyaku.core.services import audit_record
from yoyaku.core.uploads import stored_file_response
from yoyaku.payments import selectors as money
from yoyaku.registrants import selectors, services
from yoyaku.registrants.card import registration_card_pdf
from yoyaku.registrants.forms import RegistrationForm
from yoyaku.registrants.models import ChangeRequest, ReductionGrant, Registrant
from yoyaku.reservations import selectors as reservation_selectors
from yoyaku.security.services import client_ip
from yoyaku.staff.forms import CounterChannelForm, DecisionForm, DeletionForm, MergeForm
from yoyaku.staff.views import staff_required


def _registrant(request: HttpRequest, registrant_id: int) -> Registrant:
    registrant = (
        Registrant.objects.select_related("municipality", "user")
        .filter(pk=registrant_id, municipality=request.municipality)
        .first()
    )
    if registrant is None:
        raise Http404(_("指定された登録者は見つかりません。"))
    return registrant


# Audit rows that are views of a registrant's data: "who viewed this page and when".
VIEW_ACTIONS = [
    AuditAction.REGISTRANT_VIEW,
    AuditAction.REGISTRANT_PROOF_VIEW,
    AuditAction.REGISTRANT_CARD_PRINT,
]


def _file(request: HttpRequest, registrant: Registrant) -> dict:
    """The registrant's file beside the review: reservations, money, booking stops, the
    history of changes and decisions, and who viewed the data and when."""
    history = audit_about(municipality=request.municipality, target=registrant)
    return {
        "reservations": reservation_selectors.registrant_reservations(registrant=registrant),
        "penalties": reservation_selectors.registrant_penalties(registrant=registrant),
        "debt": money.registrant_debt(registrant=registrant),
        "dues": money.registrant_dues(registrant=registrant),
        "history": [row for row in history if row.action not in VIEW_ACTIONS],
        "viewers": audit_about(
            municipality=request.municipality, target=registrant, actions=VIEW_ACTIONS
        ),
    }


@staff_required(Perm.REGISTRATIONS)
def registration_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    valid = {*Registrant.Status.values, "duplicates"}
    if status and status not in valid:
        status = None
    query = text_param(request.GET.get("q"), max_length=100).strip()
    if query:
        registrants = selectors.registrant_search(municipality=request.municipality, query=query)
        audit_record(
            action=AuditAction.REGISTRANT_SEARCH,
            actor=request.user,
            municipality=request.municipality,
            ip_address=client_ip(request),
        )
    else:
        registrants = selectors.review_queue(municipality=request.municipality, status=status)[:200]
    return render(
        request,
        "staff/registration_list.html",
        {
            "registrants": registrants,
            "status": status,
            "query": query,
            "counts": selectors.review_counts(municipality=request.municipality),
            "statuses": Registrant.Status.choices,
        },
    )


@staff_required(Perm.REGISTRATIONS)
def registration_detail(request: HttpRequest, registrant_id: int) -> HttpResponse:
    registrant = _registrant(request, registrant_id)
    audit_record(
        action=AuditAction.REGISTRANT_VIEW,
        actor=request.user,
        municipality=request.municipality,
        target=registrant,
        ip_address=client_ip(request),
    )
    duplicates = registrant.possible_duplicates.all() if registrant.duplicate_suspected else []
    return render(
        request,
        "staff/registration_detail.html",
        {
            "registrant": registrant,
            "duplicates": duplicates,
            "decision_form": DecisionForm(),
            "deletion_form": DeletionForm(),
            "merge_form": MergeForm(candidates=duplicates) if duplicates else None,
            "changes": registrant.change_requests.all()[:10],
            "can_approve": registrant.status in services.TRANSITIONS["approve"],
            "can_reject": registrant.status in services.TRANSITIONS["reject"],
            "can_delete": registrant.status in services.TRANSITIONS["delete"],
            **_file(request, registrant),
        },
    )


@staff_required(Perm.REGISTRATIONS)
@require_POST
def registration_decide(request: HttpRequest, registrant_id: int) -> HttpResponse:
    registrant = _registrant(request, registrant_id)
    action = action_param(
        request.POST.get("action"),
        ["approve", "reject", "request_info", "not_duplicate", "merge", "delete"],
    )
    form = DecisionForm(request.POST)
    message = text_param(form.data.get("message", ""))
    try:
        if action == "approve":
            services.registration_approve(registrant=registrant, by=request.user)
            success(request, _("登録を承認しました。利用者登録証を印刷して郵送してください。"))
        elif action == "reject":
            services.registration_reject(registrant=registrant, by=request.user, reason=message)
            success(request, _("登録を取り消しました。本人に通知しました。"))
        elif action == "request_info":
            services.registration_request_info(
                registrant=registrant, by=request.user, message=message
            )
            success(request, _("追加の確認を依頼しました。本人に通知しました。"))
        elif action == "not_duplicate":
            services.registration_clear_duplicate(registrant=registrant, by=request.user)
            success(request, _("重複ではないものとして確認しました。"))
        elif action == "merge":
            target = Registrant.objects.filter(
                pk=id_param(request.POST.get("into"), default=0), municipality=request.municipality
            ).first()
            if target is None:
                raise DomainError("merge_target_invalid")
            services.registration_merge(registrant=registrant, into=target, by=request.user)
            success(request, _("既存の登録に統合しました。"))
        elif action == "delete":
            deletion = DeletionForm(request.POST)
            if not deletion.is_valid():
                raise DomainError("deletion_reason_invalid")
            services.registration_delete(
                registrant=registrant,
                by=request.user,
                reason=deletion.cleaned_data["reason"],
                note=deletion.cleaned_data["note"],
            )
            success(request, _("利用者登録を抹消しました。"))
        else:
            raise DomainError("unknown_action")
    except DomainError as error:
        registrant.refresh_from_db()
        duplicates = registrant.possible_duplicates.all() if registrant.duplicate_suspected else []
        return render(
            request,
            "staff/registration_detail.html",
            {
                "registrant": registrant,
                "duplicates": duplicates,
                "decision_form": form,
                "deletion_form": DeletionForm(request.POST if action == "delete" else None),
                "merge_form": MergeForm(candidates=duplicates) if duplicates else None,
                "changes": registrant.change_requests.all()[:10],
                "error": error.message,
                "can_approve": registrant.status in services.TRANSITIONS["approve"],
                "can_reject": registrant.status in services.TRANSITIONS["reject"],
                "can_delete": registrant.status in services.TRANSITIONS["delete"],
                **_file(request, registrant),
            },
            status=400,
        )
    return redirect("staff:registration_detail", registrant.pk)


@staff_required(Perm.REGISTRATIONS)
def registration_proof(request: HttpRequest, registrant_id: int) -> HttpResponse:
    """The proof of employment (or, with ``?change=…&file=name``, a change request's proof of
    a new name), streamed from private storage to authorised staff only."""
    registrant = _registrant(request, registrant_id)
    try:
        request_id = id_param(request.GET.get("change"))
    except BadParam:
        raise Http404(_("指定された変更届は見つかりません。")) from None
    source = registrant
    if request_id:
        source = registrant.change_requests.filter(pk=request_id).first()
        if source is None:
            raise Http404(_("指定された変更届は見つかりません。"))
    stored, content_type = source.employment_proof, source.employment_proof_type
    if request_id and request.GET.get("file") == "name":
        stored, content_type = source.name_proof, source.name_proof_type
    if not stored:
        raise Http404(_("添付ファイルはありません。"))
    audit_record(
        action=AuditAction.REGISTRANT_PROOF_VIEW,
        actor=request.user,
        municipality=request.municipality,
        target=registrant,
        ip_address=client_ip(request),
    )
    # Each file with the type checked when it was stored: a change request's proof has its own.
    return stored_file_response(
        stored, content_type=content_type, filename=f"proof-{registrant.user_number}"
    )


@staff_required(Perm.REGISTRATIONS)
def registration_card(request: HttpRequest, registrant_id: int) -> HttpResponse:
    registrant = _registrant(request, registrant_id)
    if registrant.status != Registrant.Status.ACTIVE:
        raise Http404(_("利用者登録証は登録済みの方だけ発行できます。"))
    audit_record(
        action=AuditAction.REGISTRANT_CARD_PRINT,
        actor=request.user,
        municipality=request.municipality,
        target=registrant,
        ip_address=client_ip(request),
    )
    response = HttpResponse(
        registration_card_pdf(registrant=registrant), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="card-{registrant.user_number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@staff_required(Perm.REGISTRATIONS)
@require_http_methods(["GET", "POST"])
def registration_counter(request: HttpRequest) -> HttpResponse:
    """窓口・郵送の申請: staff enter a paper application with the same form and checks."""
    muni = request.municipality
    channel_form = CounterChannelForm(request.POST or request.GET or None)
    channel = Registrant.Channel.COUNTER
    kind = Registrant.Kind.INDIVIDUAL
    if channel_form.is_valid():
        channel = channel_form.cleaned_data["channel"]
        kind = channel_form.cleaned_data["kind"]
    if kind == Registrant.Kind.GROUP and not muni.allows_groups:
        kind = Registrant.Kind.INDIVIDUAL
    form = RegistrationForm(
        request.POST or None,
        request.FILES or None,
        municipality=muni,
        kind=kind,
        channel=channel,
        terms=selectors.terms_current(muni),
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("employment_proof")
        proof = None
        if upload:
            proof = services.Proof(
                file=ContentFile(upload.read(), name=upload.name),
                content_type=form.proof_type,
                name=upload.name[:100],
            )
        try:
            registrant = services.registration_apply(
                municipality=muni,
                data=form.registrant_data(),
                proof=proof,
                channel=channel,
                by=request.user,
                ip_address=client_ip(request),
                terms_version=form.terms_version,
            )
        except DomainError as error:
            form.add_service_error(error)
        else:
            success(
                request,
                _(
                    "利用者番号 %(number)s で受け付けました。審査の後、利用者登録証を郵送してください。"
                )
                % {"number": registrant.user_number},
            )
            return redirect("staff:registration_detail", registrant.pk)
    return render(
        request,
        "staff/registration_counter.html",
        {"form": form, "channel_form": channel_form, "kind": kind, "channel": channel},
    )


@staff_required(Perm.REGISTRATIONS)
def change_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "staff/change_list.html",
        {"changes": selectors.pending_change_reviews(municipality=request.municipality)},
    )


@staff_required(Perm.REGISTRATIONS)
@require_POST
def change_decide(request: HttpRequest, change_id: int) -> HttpResponse:
    change = ChangeRequest.objects.filter(
        pk=change_id, registrant__municipality=request.municipality
    ).first()
    if change is None:
        raise Http404(_("指定された変更届は見つかりません。"))
    approve = action_param(request.POST.get("action"), ["approve", "reject"]) == "approve"
    reason = text_param(request.POST.get("reason"))
    try:
        services.change_request_decide(
            request=change, by=request.user, approve=approve, reason=reason
        )
    except DomainError as error:
        return render(
            request,
            "staff/change_list.html",
            {
                "changes": selectors.pending_change_reviews(municipality=request.municipality),
                "error": error.message,
                "error_for": change.pk,
            },
            status=400,
        )
    success(request, _("変更届を承認しました。") if approve else _("変更届を不承認としました。"))
    return redirect("staff:change_list")


@staff_required(Perm.REDUCTIONS)
@require_http_methods(["GET", "POST"])
def reduction_list(request: HttpRequest) -> HttpResponse:
    """減免の審査: pending requests with their proof; approve (optionally until a date) or refuse."""
    pending = (
        ReductionGrant.objects.filter(
            registrant__municipality=request.municipality, status=ReductionGrant.Status.PENDING
        )
        .select_related("registrant", "category")
        .order_by("requested_at")
    )
    error = error_for = None
    if request.method == "POST":
        grant = pending.filter(pk=id_param(request.POST.get("grant"), default=0)).first()
        if grant is None:
            raise Http404(_("指定された申請は見つかりません。"))
        approve = action_param(request.POST.get("action"), ["approve", "reject"]) == "approve"
        reason = text_param(request.POST.get("reason"))
        try:
            valid_until = date_param(
                request.POST.get("valid_until"),
                minimum=dt.date(2000, 1, 1),
                maximum=dt.date(2100, 12, 31),
            )
        except BadParam:
            # Never approve without an end date because the date was mistyped.
            return render(
                request,
                "staff/reduction_list.html",
                {
                    "grants": pending,
                    "error": _("有効期限は 2027-03-31 の形式で入力してください。"),
                    "error_for": grant.pk,
                },
                status=400,
            )
        try:
            services.reduction_decide(
                grant=grant,
                by=request.user,
                approve=approve,
                reason=reason,
                valid_until=valid_until,
            )
        except DomainError as exc:
            error, error_for = exc.message, grant.pk
        else:
            success(
                request, _("減免を承認しました。") if approve else _("減免を不承認としました。")
            )
            return redirect("staff:reduction_list")
    return render(
        request,
        "staff/reduction_list.html",
        {"grants": pending, "error": error, "error_for": error_for},
        status=400 if error else 200,
    )


@staff_required(Perm.REDUCTIONS)
def reduction_proof(request: HttpRequest, grant_id: int) -> HttpResponse:
    grant = (
        ReductionGrant.objects.filter(pk=grant_id, registrant__municipality=request.municipality)
        .select_related("registrant")
        .first()
    )
    if grant is None or not grant.proof:
        raise Http404(_("添付ファイルはありません。"))
    audit_record(
        action=AuditAction.REDUCTION_PROOF_VIEW,
        actor=request.user,
        municipality=request.municipality,
        target=grant.registrant,
        ip_address=client_ip(request),
    )
    return stored_file_response(
        grant.proof, content_type=grant.proof_type, filename=f"reduction-proof-{grant.pk}"
    )
