"""My page (マイページ): status, validity, details, changes, password, deregistration."""

from __future__ import annotations

from functools import partial, wraps

from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages import success
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import urlencode, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yoyaku.citizen.account_forms import (
    DeregisterForm,
    DetailsChangeForm,
    MailLanguageForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    ReductionRequestForm,
    ReplyForm,
)
from yoyaku.citizen.views import TERMS_PENDING_KEY, _municipality, _safe_next
from yoyaku.core import params
from yoyaku.core.errors import DomainError
from yoyaku.core.middleware import changes_data
from yoyaku.core.services import user_language_set
from yoyaku.notifications import line_services
from yoyaku.payments import selectors as payment_selectors
from yoyaku.registrants import hooks, password_reset, selectors, services
from yoyaku.registrants.models import Registrant
from yoyaku.security.services import client_ip


def _registrant_page(view, *, terms_gate: bool):
    @wraps(view)
    def wrapper(request: HttpRequest, municipality: str, *args, **kwargs):
        muni = _municipality(request)
        registrant = selectors.registrant_of(request.user, muni)
        if registrant is None:
            # The whole address, query included (a chosen date), comes back after the log-in.
            return redirect_to_login(
                request.get_full_path(), reverse("citizen:login", args=[muni.slug])
            )
        if terms_gate and request.session.get(TERMS_PENDING_KEY.format(slug=muni.slug)):
            # New terms since the last agreement: nothing else until they agree (or log out).
            agree = reverse("citizen:terms_agree", args=[muni.slug])
            if request.method == "GET":
                agree += "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(agree)
        request.registrant = registrant
        return view(request, municipality, *args, **kwargs)

    return wrapper


def registrant_required(view):
    """A page of a logged-in registrant of this municipality who agreed to the terms in force
    (checked at log-in: see ``views.registrant_login``)."""
    return _registrant_page(view, terms_gate=True)


def _proof(form, field: str = "employment_proof") -> services.Proof | None:
    upload = form.cleaned_data.get(field)
    if not upload:
        return None
    content_type = form.name_proof_type if field == "name_proof" else form.proof_type
    return services.Proof(file=upload, content_type=content_type, name=upload.name[:100])


@require_http_methods(["GET"])
@registrant_required
def mypage(request: HttpRequest, municipality: str) -> HttpResponse:
    registrant = request.registrant
    return render(
        request,
        "citizen/mypage.html",
        {
            "registrant": registrant,
            "refusal": selectors.booking_refusal(registrant),
            "pending_change": registrant.change_requests.filter(status="pending").first(),
            "dues": payment_selectors.registrant_dues(registrant=registrant),
            "line": line_services.line_status(
                user=request.user, municipality=registrant.municipality
            ),
            "reply_form": ReplyForm()
            if registrant.status == Registrant.Status.INFO_REQUESTED
            else None,
            "language_form": MailLanguageForm(initial={"language": request.user.language}),
        },
    )


@require_http_methods(["POST"])
@changes_data
@registrant_required
def mail_language(request: HttpRequest, municipality: str) -> HttpResponse:
    """The language of the registrant's mails (お知らせの言語), apart from the pages' own."""
    form = MailLanguageForm(request.POST)
    if form.is_valid():
        user_language_set(user=request.user, language=form.cleaned_data["language"])
        success(request, _("お知らせの言語を変更しました。"))
        return redirect("citizen:mypage", municipality)
    registrant = request.registrant
    return render(
        request,
        "citizen/mypage.html",
        {
            "registrant": registrant,
            "refusal": selectors.booking_refusal(registrant),
            "language_form": form,
        },
        status=400,
    )


@require_http_methods(["GET", "POST"])
@changes_data
@registrant_required
def password_change(request: HttpRequest, municipality: str) -> HttpResponse:
    registrant = request.registrant
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.registrant_password_change(
                registrant=registrant,
                current=form.cleaned_data["current"],
                new=form.cleaned_data["new"],
            )
        except DomainError as error:
            field = "current" if error.code == "password_current_wrong" else "new"
            form.add_error(field, error.message)
        else:
            update_session_auth_hash(request, registrant.user)
            success(request, _("パスワードを変更しました。"))
            return redirect("citizen:mypage", municipality)
    return render(request, "citizen/password_change.html", {"form": form})


@require_http_methods(["GET", "POST"])
@changes_data
@registrant_required
def details_change(request: HttpRequest, municipality: str) -> HttpResponse:
    registrant = request.registrant
    initial = {
        name: getattr(registrant, name)
        for name in DetailsChangeForm.KEEP
        if name not in DetailsChangeForm.FILES
    }
    form = DetailsChangeForm(
        request.POST or None, request.FILES or None, registrant=registrant, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {
            k: v
            for k, v in data.items()
            if k in DetailsChangeForm.KEEP and k not in DetailsChangeForm.FILES
        }
        new_email = changes.pop("email", "")
        try:
            done = services.registrant_details_update(
                registrant=registrant,
                changes=changes,
                new_email=new_email,
                proof=_proof(form),
                name_proof=_proof(form, "name_proof"),
            )
        except DomainError as error:
            form.add_service_error(error)
        else:
            if done.email_link_sent:
                success(
                    request,
                    _(
                        "新しいメールアドレスに確認メールを送りました。メールのリンクを開くと変更が完了します。"
                    ),
                )
            if done.review_opened:
                success(
                    request,
                    _(
                        "変更を届け出ました。住所・在住在勤区分・勤務先の変更は、審査の後に反映されます。"
                    ),
                )
            elif done.changed_at_once:
                success(request, _("登録内容を変更しました。"))
            return redirect("citizen:mypage", municipality)
    return render(request, "citizen/details_change.html", {"form": form})


@require_http_methods(["GET"])
@changes_data
@registrant_required
def email_confirm(request: HttpRequest, municipality: str, token: str) -> HttpResponse:
    try:
        services.email_change_confirm(registrant=request.registrant, token=token)
    except DomainError as error:
        return render(request, "citizen/bad_request.html", {"message": error.message}, status=400)
    success(request, _("メールアドレスを変更しました。"))
    return redirect("citizen:mypage", municipality)


@require_http_methods(["POST"])
@changes_data
@registrant_required
def info_reply(request: HttpRequest, municipality: str) -> HttpResponse:
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.registration_reply(
                registrant=request.registrant, reply=form.cleaned_data["reply"], proof=_proof(form)
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            success(request, _("回答を送信しました。審査の結果をお待ちください。"))
            return redirect("citizen:mypage", municipality)
    registrant = request.registrant
    return render(
        request,
        "citizen/mypage.html",
        {
            "registrant": registrant,
            "refusal": selectors.booking_refusal(registrant),
            "reply_form": form,
        },
        status=400,
    )


@require_http_methods(["GET", "POST"])
@changes_data
@registrant_required
def deregister(request: HttpRequest, municipality: str) -> HttpResponse:
    form = DeregisterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.registration_deregister(registrant=request.registrant)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            logout(request)
            return render(request, "citizen/deregistered.html")
    # Said before the person confirms: what still keeps the registration (reservations, fees).
    obligations = hooks.open_obligations(registrant=request.registrant)
    return render(request, "citizen/deregister.html", {"form": form, "obligations": obligations})


@require_http_methods(["GET", "POST"])
@changes_data
def password_reset_request(request: HttpRequest, municipality: str) -> HttpResponse:
    """Always answers the same, so the page does not tell who is registered."""
    muni = _municipality(request)
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password_reset.password_reset_request(
                municipality=muni,
                user_number=form.cleaned_data["user_number"],
                email=form.cleaned_data["email"],
                ip=client_ip(request),
            )
        except DomainError as error:
            form.add_error(None, error.message)
            return render(request, "citizen/password_reset.html", {"form": form}, status=429)
        return render(request, "citizen/password_reset_sent.html")
    return render(request, "citizen/password_reset.html", {"form": form})


@require_http_methods(["GET", "POST"])
@changes_data
def password_reset_confirm(
    request: HttpRequest, municipality: str, uid: str, token: str
) -> HttpResponse:
    muni = _municipality(request)
    try:
        user_pk = int(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, OverflowError) as exc:
        raise Http404(_("リンクが正しくありません。")) from exc
    registrant = (
        Registrant.objects.select_related("user", "municipality")
        .filter(municipality=muni, user_id=user_pk, user__is_active=True)
        .first()
    )
    if registrant is None or not default_token_generator.check_token(registrant.user, token):
        return render(
            request,
            "citizen/bad_request.html",
            {
                "message": _(
                    "リンクの有効期限が切れているか、すでに使われています。もう一度お手続きください。"
                )
            },
            status=400,
        )
    form = PasswordChangeForm(request.POST or None, with_current=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.registrant_password_reset(registrant=registrant, new=form.cleaned_data["new"])
        except DomainError as error:
            form.add_error("new", error.message)
        else:
            success(
                request, _("パスワードを再設定しました。新しいパスワードでログインしてください。")
            )
            return redirect("citizen:login", muni.slug)
    return render(request, "citizen/password_change.html", {"form": form, "reset": True})


@require_http_methods(["GET", "POST"])
@changes_data
@registrant_required
def reductions(request: HttpRequest, municipality: str) -> HttpResponse:
    """減免の申請: choose a category, attach its proof; staff approve it before use."""
    registrant = request.registrant
    form = ReductionRequestForm(
        request.POST if request.method == "POST" else None,
        request.FILES or None,
        municipality=registrant.municipality,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.reduction_request(
                registrant=registrant, category=form.cleaned_data["category"], proof=_proof(form)
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            success(
                request, _("減免を申請しました。書類を確認して、結果をメールでお知らせします。")
            )
            return redirect("citizen:reductions", municipality)
    return render(
        request,
        "citizen/reductions.html",
        {"form": form, "grants": registrant.reduction_grants.select_related("category")},
    )


@require_http_methods(["GET", "POST"])
@partial(_registrant_page, terms_gate=False)
def terms_agree(request: HttpRequest, municipality: str) -> HttpResponse:
    """利用規約の改定: the new text, 同意する or ログアウト (shown after the log-in)."""
    registrant = request.registrant
    key = TERMS_PENDING_KEY.format(slug=registrant.municipality.slug)
    target = _safe_next(request, reverse("citizen:mypage", args=[municipality]))
    terms = selectors.terms_to_agree(registrant)
    if terms is None:
        request.session.pop(key, None)
        return HttpResponseRedirect(target)
    error = None
    if request.method == "POST":
        try:
            services.terms_agree(
                registrant=registrant,
                version=params.id_param(request.POST.get("version"), default=0),
                ip_address=client_ip(request),
            )
        except DomainError as exc:
            # A newer version came out while the page was open: show that one.
            error = exc.message
            terms = selectors.terms_to_agree(registrant)
        else:
            request.session.pop(key, None)
            success(request, _("利用規約に同意しました。"))
            return HttpResponseRedirect(target)
    return render(
        request,
        "citizen/terms_agree.html",
        {
            "terms": terms,
            "previous": selectors.terms_agreement_latest(registrant),
            "next": target,
            "error": error,
        },
        status=400 if error else 200,
    )
