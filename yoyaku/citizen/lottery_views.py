"""Lottery pages: rounds, 抽選申込み, 抽選申込み内容の確認・取消, 抽選結果の確認."""

from __future__ import annotations

import gzip
from pathlib import Path

from django.contrib.messages import success
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yoyaku.citizen.account_views import registrant_required
from yoyaku.citizen.lottery_forms import choice_forms
from yoyaku.citizen.views import _municipality
from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.middleware import changes_data
from yoyaku.integrity import services as integrity
from yoyaku.integrity.middleware import device_id
from yoyaku.integrity.models import Sighting
from yoyaku.lottery import algorithm, services
from yoyaku.lottery import selectors as lottery_selectors
from yoyaku.lottery import states as lottery_states
from yoyaku.lottery.models import LotteryApplication, LotteryRound
from yoyaku.registrants import selectors as registrant_selectors
from yoyaku.reservations.models import Reservation
from yoyaku.security.services import client_ip


def _round(request: HttpRequest, round_id: int) -> LotteryRound:
    lottery = LotteryRound.objects.filter(pk=round_id, municipality=request.municipality).first()
    if lottery is None:
        raise Http404(_("指定された抽選は見つかりません。"))
    return lottery


@require_GET
def lottery_list(request: HttpRequest, municipality: str) -> HttpResponse:
    muni = _municipality(request)
    rounds = (
        LotteryRound.objects.filter(municipality=muni)
        .prefetch_related("units__facility")
        .order_by("-use_from")[:24]
    )
    now = clock.now()
    phases = [(r, services.phase(r, now)) for r in rounds]
    upcoming = LotteryRound.objects.filter(municipality=muni, applications_open_at__gt=now)
    return render(
        request,
        "citizen/lottery_list.html",
        {
            "rounds": phases,
            "open_round": any(p == "open" for _, p in phases),
            "next_round": upcoming.order_by("applications_open_at").first(),
        },
    )


@require_GET
def lottery_detail(request: HttpRequest, municipality: str, round_id: int) -> HttpResponse:
    _municipality(request)
    lottery = _round(request, round_id)
    registrant = registrant_selectors.registrant_of(request.user, request.municipality)
    context = {"lottery": lottery, "phase": services.phase(lottery), "registrant": registrant}
    context["commitments"] = lottery_selectors.round_commitments(lottery=lottery)
    if context["phase"] in ("closed", "drawn"):
        context["demand"] = lottery_selectors.round_demand_public(lottery=lottery)
    context["published_url"] = request.build_absolute_uri(
        reverse("citizen:lottery_published", args=[lottery.municipality.slug, lottery.pk])
    )
    context["algorithm_url"] = request.build_absolute_uri(
        reverse("citizen:lottery_algorithm", args=[lottery.municipality.slug])
    )
    if registrant is not None and context["phase"] == "open":
        context["forms"] = choice_forms(lottery)
        context["mine"] = LotteryApplication.objects.filter(
            round=lottery, registrant=registrant
        ).exclude(status=LotteryApplication.Status.WITHDRAWN)
    return render(request, "citizen/lottery_detail.html", context)


def _choices_or_errors(forms):
    """The filled-in choices in rank order, or None when a form has errors."""
    choices = []
    for form in forms:
        if not form.is_valid():
            continue
        choice = form.choice()
        if choice is not None:
            choices.append(choice)
    if any(form.errors for form in forms):
        return None
    return choices


@require_http_methods(["POST"])
@changes_data
@registrant_required
def lottery_apply(request: HttpRequest, municipality: str, round_id: int) -> HttpResponse:
    lottery = _round(request, round_id)
    forms = choice_forms(lottery, request.POST)
    context = {
        "lottery": lottery,
        "phase": services.phase(lottery),
        "registrant": request.registrant,
        "forms": forms,
    }
    choices = _choices_or_errors(forms)
    if choices is None:
        return render(request, "citizen/lottery_detail.html", context, status=400)
    try:
        application = services.lottery_apply(
            lottery=lottery, registrant=request.registrant, choices=choices, by=request.user
        )
    except DomainError as error:
        context["problems"] = getattr(error, "all", [error])
        return render(request, "citizen/lottery_detail.html", context, status=400)
    integrity.sighting_record(
        registrant=request.registrant,
        kind=Sighting.Kind.LOTTERY_APPLY,
        device_id=device_id(request),
        ip=client_ip(request),
        lottery_round=lottery,
    )
    success(request, _("抽選の申込みを受け付けました。結果は抽選後にメールでお知らせします。"))
    # The receipt is the application's entry on the list: its pseudonym and the seed's hash.
    receipt = reverse("citizen:lottery_applications", args=[municipality])
    return redirect(f"{receipt}#application-{application.pk}")


@require_GET
@registrant_required
def lottery_applications(request: HttpRequest, municipality: str) -> HttpResponse:
    """抽選申込み内容の確認・取消."""
    applications = (
        LotteryApplication.objects.filter(registrant=request.registrant)
        .select_related("round")
        .prefetch_related("choices__unit__facility", "choices__slots")
        .order_by("-created_at")
    )
    now = clock.now()
    return render(
        request,
        "citizen/lottery_applications.html",
        {"applications": [(a, services.phase(a.round, now)) for a in applications]},
    )


@require_http_methods(["GET", "POST"])
@changes_data
@registrant_required
def lottery_withdraw(request: HttpRequest, municipality: str, application_id: int) -> HttpResponse:
    """取下げ: the page shows what will be withdrawn and asks once; only a POST that carries
    the confirmation withdraws, any other POST shows the page again."""
    application = (
        LotteryApplication.objects.filter(pk=application_id, registrant=request.registrant)
        .select_related("round")
        .prefetch_related("choices__unit__facility", "choices__slots")
        .first()
    )
    if application is None:
        raise Http404(_("指定された申込みは見つかりません。"))
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            services.lottery_withdraw(application=application, by=request.user)
        except DomainError as error:
            return render(
                request, "citizen/bad_request.html", {"message": error.message}, status=409
            )
        success(request, _("抽選の申込みを取り下げました。"))
        return redirect("citizen:lottery_applications", municipality)
    # The same table and window the service checks decide whether the button is offered.
    can_withdraw = (
        lottery_states.APPLICATION.allows(application, "withdraw")
        and services.phase(application.round) == "open"
    )
    return render(
        request,
        "citizen/lottery_withdraw.html",
        {
            "application": application,
            "can_withdraw": can_withdraw,
            "refusal": "" if can_withdraw else DomainError("lottery_not_open").message,
        },
    )


@require_GET
@registrant_required
def lottery_results(request: HttpRequest, municipality: str) -> HttpResponse:
    """抽選結果の確認: won / lost per choice, and the wins to confirm."""
    applications = (
        LotteryApplication.objects.filter(
            registrant=request.registrant,
            status__in=[LotteryApplication.Status.WON, LotteryApplication.Status.LOST],
        )
        .select_related("round")
        .prefetch_related("choices__unit__facility", "choices__slots", "choices__reservation")
        .order_by("-round__drawn_at")
    )
    return render(request, "citizen/lottery_results.html", {"applications": applications})


@require_POST
@changes_data
@registrant_required
def lottery_confirm(request: HttpRequest, municipality: str, reservation_id: int) -> HttpResponse:
    reservation = Reservation.objects.filter(
        pk=reservation_id, registrant=request.registrant
    ).first()
    if reservation is None:
        raise Http404(_("指定された予約は見つかりません。"))
    try:
        services.lottery_confirm_win(reservation=reservation, by=request.user)
    except DomainError as error:
        return render(request, "citizen/bad_request.html", {"message": error.message}, status=409)
    success(request, _("当選を確認し、予約が確定しました。"))
    return redirect("citizen:reservation_detail", municipality, reservation.pk)


@require_GET
def lottery_published(request: HttpRequest, municipality: str, round_id: int) -> HttpResponse:
    """The published data of a drawn round (seed, anonymised applications, results) — or,
    before the drawing, only the commitment to the seed."""
    _municipality(request)
    lottery = _round(request, round_id)
    if lottery.status != LotteryRound.Status.DRAWN or lottery.published_gzip is None:
        response = JsonResponse(
            lottery_selectors.round_published_document(lottery=lottery),
            json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
        )
    else:
        # The stored bytes as they are (30 MB of JSON for 100,000 applications are some 5 MB
        # gzipped): decompressed here only for a client that does not take gzip.
        stored = bytes(lottery.published_gzip)
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            response = HttpResponse(stored, content_type="application/json")
            response["Content-Encoding"] = "gzip"
        else:
            response = HttpResponse(gzip.decompress(stored), content_type="application/json")
        patch_vary_headers(response, ["Accept-Encoding"])
    response["Content-Disposition"] = f'attachment; filename="lottery-{lottery.pk}.json"'
    return response


@require_GET
def lottery_algorithm(request: HttpRequest, municipality: str) -> HttpResponse:
    """The drawing's algorithm and verifier (its docstring is the specification), as the file
    anyone runs with nothing but Python: served as plain text."""
    _municipality(request)
    response = HttpResponse(
        Path(algorithm.__file__).read_bytes(), content_type="text/plain; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="algorithm.py"'
    return response


def _initial_of(application: LotteryApplication) -> dict[int, dict]:
    initial = {}
    for choice in application.choices.all():
        initial[choice.rank] = {
            "unit": choice.unit_id,
            "use_date": choice.use_date,
            "slot": next(iter(choice.slots.all()), None),
            "party_size": choice.party_size or None,
            "nights": choice.nights,
            "rooms": choice.rooms,
            "adults": choice.adults,
            "children": choice.children,
            "infants": choice.infants,
        }
    return initial


@require_http_methods(["GET", "POST"])
@changes_data
@registrant_required
def lottery_edit(request: HttpRequest, municipality: str, application_id: int) -> HttpResponse:
    """Change the choices of an application while the window is open."""
    application = (
        LotteryApplication.objects.filter(pk=application_id, registrant=request.registrant)
        .select_related("round")
        .prefetch_related("choices__slots")
        .first()
    )
    if application is None:
        raise Http404(_("指定された申込みは見つかりません。"))
    lottery = application.round
    forms = choice_forms(
        lottery,
        request.POST if request.method == "POST" else None,
        initial=_initial_of(application),
    )
    context = {
        "lottery": lottery,
        "application": application,
        "forms": forms,
        "phase": services.phase(lottery),
    }
    if request.method == "POST":
        choices = _choices_or_errors(forms)
        if choices is not None:
            try:
                services.lottery_change(application=application, choices=choices, by=request.user)
            except DomainError as error:
                context["problems"] = getattr(error, "all", [error])
            else:
                success(request, _("抽選の申込み内容を変更しました。"))
                return redirect("citizen:lottery_applications", municipality)
        return render(request, "citizen/lottery_edit.html", context, status=400)
    return render(request, "citizen/lottery_edit.html", context)
