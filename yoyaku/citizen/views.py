"""Public and registrant pages. They parse input, call selectors/services, and render."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import login, logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from yoyaku.citizen import day_blocks, month_blocks
from yoyaku.citizen.forms import AvailabilitySearchForm, RegistrantLoginForm
from yoyaku.core import clock, params
from yoyaku.core.context_processors import FONT_SIZE_COOKIE, FONT_SIZES
from yoyaku.core.db_router import replica_view
from yoyaku.core.middleware import changes_data
from yoyaku.core.models import Municipality, User
from yoyaku.core.selectors import notices_current
from yoyaku.core.services import user_language_set
from yoyaku.facilities import selectors as facility_selectors
from yoyaku.facilities.catalogue import facility_catalogue
from yoyaku.facilities.models import Facility
from yoyaku.integrity import services as integrity
from yoyaku.integrity.middleware import device_id
from yoyaku.integrity.models import Sighting
from yoyaku.registrants import selectors as registrant_selectors
from yoyaku.reservations import selectors as availability
from yoyaku.security import services as security_services

MONTHS_AHEAD_SHOWN = 13  # calendars reach a year ahead (plus the current month)
DAY_VIEW_OPEN_UP_TO = 2  # facilities shown open on the day view; more are folded
# Set at log-in when the terms of use changed since the registrant's agreement: every
# registrant page sends them to the agreement page until they agree (account_views).
TERMS_PENDING_KEY = "terms_pending:{slug}"


def _municipality(request: HttpRequest) -> Municipality:
    municipality = getattr(request, "municipality", None)
    if municipality is None:
        raise Http404(_("指定された自治体は見つかりません。"))
    return municipality


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "citizen/bad_request.html", {"message": message}, status=400)


def _safe_next(request: HttpRequest, fallback: str = "/") -> str:
    # Use with HttpResponseRedirect, never redirect(): redirect() would try "next" as a URL name.
    target = request.GET.get("next") or request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "citizen/landing.html", {"municipalities": Municipality.objects.all()})


@require_GET
def font_size(request: HttpRequest) -> HttpResponse:
    """小 / 中 / 大 as plain links: works without JavaScript, remembered in a cookie."""
    size = request.GET.get("size", "medium")
    response = HttpResponseRedirect(_safe_next(request))
    if size in FONT_SIZES:
        response.set_cookie(
            FONT_SIZE_COOKIE, size, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch; a logged-in registrant's choice also becomes the language
    of their mails (``User.language``)."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and user.kind == User.Kind.REGISTRANT:
        user_language_set(user=user, language=language)
    return response


@require_GET
def top(request: HttpRequest, municipality: str) -> HttpResponse:
    muni = _municipality(request)
    return render(
        request,
        "citizen/top.html",
        {
            "notices": notices_current(municipality=muni),
            "login_form": RegistrantLoginForm(municipality=muni),
            "today": clock.today(),
        },
    )


@require_GET
def guide(request: HttpRequest, municipality: str) -> HttpResponse:
    _municipality(request)
    return render(request, "citizen/guide.html")


@require_GET
def facility_list(request: HttpRequest, municipality: str) -> HttpResponse:
    muni = _municipality(request)
    kind = request.GET.get("kind") or None
    if kind and kind not in Facility.Kind.values:
        return _bad_request(request, _("施設の種類の指定が正しくありません。"))
    facilities = facility_selectors.facilities_list(municipality=muni, kind=kind)
    return render(
        request,
        "citizen/facility_list.html",
        {"facilities": facilities, "kinds": Facility.Kind.choices, "kind": kind},
    )


def _facility(request: HttpRequest, slug: str) -> Facility:
    facility = facility_selectors.facility_get(municipality=_municipality(request), slug=slug)
    if facility is None:
        raise Http404(_("指定された施設は見つかりません。"))
    return facility


@require_GET
def facility_detail(request: HttpRequest, municipality: str, facility: str) -> HttpResponse:
    fac = _facility(request, facility)
    units = facility_selectors.units_of_facility(facility=fac)
    today = clock.today()
    fees = facility_selectors.fee_rules_current(units=units, on=today)
    return render(
        request,
        "citizen/facility_detail.html",
        {
            "facility": fac,
            "units": [(unit, fees.get(unit.pk, [])) for unit in units],
            "today": today,
        },
    )


@require_GET
def facility_log(request: HttpRequest, municipality: str, facility: str) -> HttpResponse:
    """公開記録: what happened to the facility's freed capacity, under pseudonyms."""
    fac = _facility(request, facility)
    page = availability.public_log_page(facility=fac, number=request.GET.get("page"))
    return render(request, "citizen/facility_log.html", {"facility": fac, "page": page})


@require_GET
@replica_view
def facility_calendar(request: HttpRequest, municipality: str, facility: str) -> HttpResponse:
    setup = facility_catalogue(municipality=_municipality(request), slug=facility)
    fac = setup.facility(facility)
    if fac is None:
        raise Http404(_("指定された施設は見つかりません。"))
    units = setup.units_of[fac.pk]
    if not units:
        raise Http404(_("この施設には予約できる室場がありません。"))
    this_month = clock.today().replace(day=1)
    first = params.month_param(request.GET.get("month"), default=this_month)
    limit = (this_month + dt.timedelta(days=31 * MONTHS_AHEAD_SHOWN)).replace(day=1)
    if not this_month <= first <= limit:
        return _bad_request(request, _("表示できるのは今月から1年先までです。"))
    unit = units[0]
    try:
        unit_id = params.id_param(request.GET.get("unit"))
    except params.BadParam:
        raise params.BadParam(_("室場の指定が正しくありません。")) from None
    if unit_id is not None:
        unit = next((u for u in units if u.pk == unit_id), None)
        if unit is None:
            raise Http404(_("指定された室場は見つかりません。"))
    # The month's table comes from the cache (month_blocks); the page around it is light.
    month = availability.MonthCalendar(unit=unit, year=first.year, month=first.month, weeks=[])
    table = month_blocks.month_table(
        facility=fac,
        unit=unit,
        first=first,
        setup=setup,
        day_url=reverse("citizen:availability_day", args=[fac.municipality.slug]),
        at=clock.now(),
    )
    return render(
        request,
        "citizen/facility_calendar.html",
        {
            "facility": fac,
            "units": units,
            "unit": unit,
            "calendar": month,
            "month_table": table,
            "has_previous": month.previous_month >= this_month,
            "has_next": month.next_month <= limit,
        },
    )


@require_GET
@replica_view
def availability_day(request: HttpRequest, municipality: str) -> HttpResponse:
    muni = _municipality(request)
    form = AvailabilitySearchForm(request.GET or None, municipality=muni)
    if request.GET and not form.is_valid():
        return render(request, "citizen/availability_day.html", {"form": form}, status=400)
    data = form.cleaned_data if request.GET else {}
    day = data.get("date") or clock.today()
    kind, purpose = data.get("kind") or None, data.get("purpose")
    facility_ids = form.directory.facility_ids(
        kind=kind, purpose_id=purpose.pk if purpose is not None else None
    )
    # Each facility is one line linking to ?facility=<id> (a calendar day links there too),
    # which shows that facility's units; a short list shows every facility's units.
    opened = params.id_param(request.GET.get("facility"))
    open_all = len(facility_ids) <= DAY_VIEW_OPEN_UP_TO
    blocks = day_blocks.facility_blocks(
        municipality=muni,
        day=day,
        facility_ids=facility_ids,
        kind=kind,
        purpose=purpose,
        opened=facility_ids if open_all else {opened},
        at=clock.now(),
    )
    return render(
        request,
        "citizen/availability_day.html",
        {
            "form": form,
            "day": day,
            "blocks": blocks,
            "facility_count": len(facility_ids),
            "folded": not open_all,
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "opened": opened,
        },
    )


@require_http_methods(["GET", "POST"])
def registrant_login(request: HttpRequest, municipality: str) -> HttpResponse:
    muni = _municipality(request)
    form = RegistrantLoginForm(request.POST or None, municipality=muni)
    if request.method == "POST" and form.is_valid():
        # Throttled by client address, never locked per account (yoyaku.security.services).
        outcome = security_services.login_authenticate(
            request=request,
            municipality=muni,
            kind=User.Kind.REGISTRANT,
            login_id=form.cleaned_data["user_number"],
            password=form.cleaned_data["password"],
        )
        if outcome.user is not None:
            return HttpResponseRedirect(registrant_login_complete(request, muni, outcome.user))
        if outcome.throttled:
            form.add_error(
                None,
                _("ログインの試行回数が多すぎます。%(minutes)s分後にもう一度お試しください。")
                % {"minutes": outcome.decision.retry_after_minutes},
            )
            response = render(
                request, "citizen/login.html", _login_context(request, muni, form), status=429
            )
            response["Retry-After"] = str(outcome.decision.retry_after)
            return response
        form.add_error(None, _("利用者番号またはパスワードが正しくありません。"))
    return render(request, "citizen/login.html", _login_context(request, muni, form))


def _login_context(request: HttpRequest, muni: Municipality, form: RegistrantLoginForm) -> dict:
    verify = reverse("citizen:passkey_login", args=[muni.slug])
    target = _safe_next(request, "")
    return {
        "form": form,
        "passkey_options_url": reverse("citizen:passkey_login_options", args=[muni.slug]),
        "passkey_verify_url": verify + ("?" + urlencode({"next": target}) if target else ""),
    }


def registrant_login_complete(request: HttpRequest, muni: Municipality, user: User) -> str:
    """Log the registrant in (password or passkey alike) and say where to go next: the page
    asked for, or the terms of use first when a new version is waiting for their agreement."""
    login(request, user, backend="yoyaku.core.auth.LoginBackend")
    target = _safe_next(request, reverse("citizen:mypage", args=[muni.slug]))
    registrant = registrant_selectors.registrant_of(user, muni)
    if registrant is not None:
        integrity.sighting_record(
            registrant=registrant,
            kind=Sighting.Kind.LOGIN,
            device_id=device_id(request),
            ip=security_services.client_ip(request),
        )
    if registrant is not None and registrant_selectors.terms_to_agree(registrant):
        request.session[TERMS_PENDING_KEY.format(slug=muni.slug)] = True
        return reverse("citizen:terms_agree", args=[muni.slug]) + "?" + urlencode({"next": target})
    return target


@require_POST
def registrant_logout(request: HttpRequest, municipality: str) -> HttpResponse:
    muni = _municipality(request)
    logout(request)
    return redirect("citizen:top", muni.slug)


@require_GET
@changes_data
def register_info(request: HttpRequest, municipality: str) -> HttpResponse:
    _municipality(request)
    return render(request, "citizen/register_info.html")
