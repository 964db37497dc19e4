"""Staff console: reservations (approval queue, list, detail, 代理申請, 使用許可書) and unit
blocks (利用停止).

Least privilege: every page asks :func:`staff_facilities` which facilities the staff member
may see — all of the municipality for an admin, the assigned ones for facility staff — and a
reservation, unit, block or penalty outside them is a 404. Every write goes through a service
of ``reservations.booking`` / ``reservations.services`` (they check the state and write the
audit row); every page that shows a registrant's name or phone writes ``reservation.view``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.messages import info, success
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yoyaku.core import clock, params
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, AuditLog
from yoyaku.core.permissions import Perm, staff_facilities
from yoyaku.core.services import audit_record
from yoyaku.facilities.models import Unit
from yoyaku.payments import selectors as money
from yoyaku.payments import services as payment_services
from yoyaku.reservations import booking, entry_codes, permit, rules, states
from yoyaku.reservations import selectors as availability
from yoyaku.reservations import services as capacity
from yoyaku.reservations.forms import BookingForm
from yoyaku.reservations.models import Penalty, Reservation, UnitBlock
from yoyaku.security.services import client_ip
from yoyaku.staff.forms import (
    ProxyChannelForm,
    ProxyTargetForm,
    ReservationFilterForm,
    UnitBlockForm,
)
from yoyaku.staff.payment_forms import recalculate_form
from yoyaku.staff.views import staff_required

R = Reservation.Status
LIST_LIMIT = 200


def _visible(request: HttpRequest) -> QuerySet[Reservation]:
    return Reservation.objects.filter(
        municipality=request.municipality, unit__facility__in=staff_facilities(request.user)
    )


def _reservation(request: HttpRequest, reservation_id: int) -> Reservation:
    reservation = (
        _visible(request)
        .select_related(
            "unit__facility__municipality",
            "registrant__municipality",
            "registrant__user",
            "purpose",
            "reduction",
            "created_by",
        )
        .prefetch_related("slots")
        .filter(pk=reservation_id)
        .first()
    )
    if reservation is None:
        raise Http404(_("指定された予約は見つかりません。"))
    return reservation


def _audit_view(request: HttpRequest, *, target=None, shown: Sequence[Reservation] = (), page=""):
    """A staff view of registrants' names / phones: one row per page, never skipped."""
    data = {}
    if page:
        data = {"page": page, "reservations": [r.pk for r in shown]}
    audit_record(
        action=AuditAction.RESERVATION_VIEW,
        actor=request.user,
        municipality=request.municipality,
        target=target,
        data=data,
        ip_address=client_ip(request),
    )


def _mailed(reservation: Reservation) -> bool:
    return bool(reservation.registrant.email)


# ---------------------------------------------------------------------------------------------
# Approval queue and list
# ---------------------------------------------------------------------------------------------


def _queue_page(
    request: HttpRequest,
    *,
    error: str = "",
    error_for: int | None = None,
    reason: str = "",
    status: int = 200,
) -> HttpResponse:
    # Oldest first: applications are decided in the order they came in (Ukiha art. 9.2).
    reservations = list(
        _visible(request)
        .filter(status=R.AWAITING_APPROVAL)
        .select_related("unit__facility", "registrant", "purpose")
        .prefetch_related("slots")
        .order_by("created_at", "id")[:LIST_LIMIT]
    )
    if reservations:
        _audit_view(request, shown=reservations, page="queue")
    return render(
        request,
        "staff/reservation_queue.html",
        {"reservations": reservations, "error": error, "error_for": error_for, "reason": reason},
        status=status,
    )


@staff_required(Perm.RESERVATIONS)
def reservation_queue(request: HttpRequest) -> HttpResponse:
    return _queue_page(request)


@staff_required(Perm.RESERVATIONS)
def reservation_list(request: HttpRequest) -> HttpResponse:
    facilities = staff_facilities(request.user)
    today = clock.today()
    # Without any filter the list starts today: what is coming is what staff act on.
    data = request.GET if request.GET else {"date_from": today.isoformat()}
    form = ReservationFilterForm(data, facilities=facilities)
    reservations: list[Reservation] = []
    if form.is_valid():
        query = _visible(request)
        filters = form.cleaned_data
        if filters["facility"]:
            query = query.filter(unit__facility=filters["facility"])
        if filters["date_from"]:
            query = query.filter(use_date__gte=filters["date_from"])
        if filters["date_to"]:
            query = query.filter(use_date__lte=filters["date_to"])
        if filters["status"]:
            query = query.filter(status=filters["status"])
        if filters["user_number"]:
            query = query.filter(registrant__user_number=filters["user_number"])
        reservations = list(
            query.select_related("unit__facility", "registrant")
            .prefetch_related("slots")
            .order_by("use_date", "id")[: LIST_LIMIT + 1]
        )
    truncated = len(reservations) > LIST_LIMIT
    reservations = reservations[:LIST_LIMIT]
    if reservations:
        _audit_view(request, shown=reservations, page="list")
    return render(
        request,
        "staff/reservation_list.html",
        {"form": form, "reservations": reservations, "truncated": truncated, "limit": LIST_LIMIT},
    )


# ---------------------------------------------------------------------------------------------
# Detail and actions
# ---------------------------------------------------------------------------------------------


def _history(reservation: Reservation) -> list[AuditLog]:
    entries = (
        AuditLog.objects.filter(
            target_type=Reservation._meta.label_lower, target_id=str(reservation.pk)
        )
        .exclude(action=AuditAction.RESERVATION_VIEW)
        .select_related("actor")
        .order_by("at", "id")
    )
    for entry in entries:
        entry.label = entry.action_label
    return list(entries)


def _detail_page(
    request: HttpRequest,
    reservation: Reservation,
    *,
    error: str = "",
    form_for: str = "",
    reason: str = "",
    status: int = 200,
) -> HttpResponse:
    _audit_view(request, target=reservation)
    today = clock.today()
    visible = set(staff_facilities(request.user).values_list("pk", flat=True))
    penalties = list(
        Penalty.objects.filter(registrant=reservation.registrant)
        .select_related("reservation__unit__facility", "waived_by")
        .order_by("-starts_on", "-id")
    )
    for penalty in penalties:
        penalty.is_active = states.PENALTY.allows(penalty, "waive") and penalty.ends_on >= today
        # Facility staff lift only the stops that came from their own facilities.
        penalty.waivable = penalty.is_active and penalty.reservation.unit.facility_id in visible
        penalty.form_key = f"waive-{penalty.pk}"
    facility = reservation.unit.facility
    balance = money.reservation_balance(reservation)
    return render(
        request,
        "staff/reservation_detail.html",
        {
            "reservation": reservation,
            "balance": balance,
            "refund_due": -balance,
            "entries": money.reservation_entries(reservation),
            "can_record_payment": reservation.status in payment_services.PAYABLE_STATES,
            "registrant": reservation.registrant,
            "history": _history(reservation),
            "penalties": penalties,
            "can_approve": states.allows(reservation, "approve", today=today),
            "can_reject": states.allows(reservation, "reject", today=today),
            "can_cancel": states.allows(reservation, "cancel", today=today),
            # Used / no-show are recorded on or after the day of use, never before it.
            "can_mark": states.allows(reservation, "mark_used", today=today),
            "can_print": permit.permit_available(reservation),
            "entry_code": entry_codes.entry_code_for(reservation),
            "tiers": facility.tiers(),
            "recalc_form": (
                recalculate_form(reservation)
                if states.RESERVATION.allows(reservation, "recalculate")
                else None
            ),
            "error": error,
            "form_for": form_for,
            "reason": reason,
        },
        status=status,
    )


@staff_required(Perm.RESERVATIONS)
def reservation_detail(request: HttpRequest, reservation_id: int) -> HttpResponse:
    return _detail_page(request, _reservation(request, reservation_id))


@staff_required(Perm.RESERVATIONS)
@require_POST
def reservation_act(request: HttpRequest, reservation_id: int) -> HttpResponse:
    """承認・不許可・取消・利用済・無断不使用・窓口での入金, from the detail page or the queue."""
    reservation = _reservation(request, reservation_id)
    action = params.action_param(
        request.POST.get("action"),
        ["approve", "reject", "cancel", "used", "counter_payment", "no_show"],
    )
    reason = params.text_param(request.POST.get("reason"))
    from_queue = request.POST.get("back") == "queue"
    mailed = _mailed(reservation)
    try:
        if action == "approve":
            booking.reservation_approve(reservation=reservation, by=request.user)
            message = _("予約を許可しました。")
        elif action == "reject":
            booking.reservation_reject(reservation=reservation, by=request.user, reason=reason)
            message = _("不許可としました。")
        elif action == "cancel":
            # Cancelled by the facility: neither a cancellation fee nor a booking stop.
            booking.reservation_cancel(
                reservation=reservation, by=request.user, reason=reason, by_staff=True
            )
            message = _("予約を取り消しました（取消料・予約の停止はありません）。")
        elif action == "used":
            booking.reservation_mark_used(reservation=reservation, by=request.user)
            message, mailed = _("利用済として記録しました。"), False
        elif action == "counter_payment":
            payment_services.payment_record_counter(
                reservation=reservation,
                amount=params.int_param(
                    request.POST.get("amount"), minimum=1, maximum=10_000_000, default=0
                ),
                method=params.action_param(request.POST.get("method"), ["counter", "transfer"]),
                receipt_number=params.text_param(request.POST.get("receipt_number")),
                by=request.user,
            )
            message, mailed = _("入金を記録しました。"), False
        elif action == "no_show":
            booking.reservation_mark_no_show(reservation=reservation, by=request.user)
            message, mailed = (
                _("無断不使用として記録しました。60日間、新しい予約はできません。"),
                False,
            )
        else:
            raise DomainError("unknown_action")
    except DomainError as error:
        if from_queue:
            return _queue_page(
                request, error=error.message, error_for=reservation.pk, reason=reason, status=400
            )
        reservation = _reservation(request, reservation_id)
        return _detail_page(
            request, reservation, error=error.message, form_for=action, reason=reason, status=400
        )
    if mailed:
        message = f"{message} {_('本人にメールで知らせました。')}"
    success(request, message)
    if from_queue:
        return redirect("staff:reservation_queue")
    return redirect("staff:reservation_detail", reservation.pk)


@staff_required(Perm.RESERVATIONS)
@require_POST
def penalty_waive(request: HttpRequest, reservation_id: int, penalty_id: int) -> HttpResponse:
    reservation = _reservation(request, reservation_id)
    penalty = (
        Penalty.objects.filter(
            pk=penalty_id,
            registrant=reservation.registrant,
            reservation__unit__facility__in=staff_facilities(request.user),
        )
        .select_related("registrant")
        .first()
    )
    if penalty is None:
        raise Http404(_("指定された予約の停止は見つかりません。"))
    if not states.PENALTY.allows(penalty, "waive"):
        info(request, _("この予約の停止はすでに解除されています。"))
        return redirect("staff:reservation_detail", reservation.pk)
    reason = params.text_param(request.POST.get("reason"))
    try:
        booking.penalty_waive(penalty=penalty, by=request.user, reason=reason)
    except DomainError as error:
        return _detail_page(
            request,
            reservation,
            error=error.message,
            form_for=f"waive-{penalty.pk}",
            reason=reason,
            status=400,
        )
    success(request, _("予約の停止を解除しました。"))
    return redirect("staff:reservation_detail", reservation.pk)


@staff_required(Perm.RESERVATIONS)
def reservation_permit(request: HttpRequest, reservation_id: int) -> HttpResponse:
    """使用許可書 (PDF) of a 予約確定 / 利用済 reservation; each download is audited."""
    reservation = _reservation(request, reservation_id)
    if not permit.permit_available(reservation):
        raise Http404(_("使用許可書は、予約確定または利用済の予約だけ発行できます。"))
    audit_record(
        action=AuditAction.RESERVATION_PERMIT_PRINT,
        actor=request.user,
        municipality=request.municipality,
        target=reservation,
        ip_address=client_ip(request),
    )
    response = HttpResponse(
        permit.use_permit_pdf(reservation=reservation), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="permit-{reservation.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------------------------------------
# 代理申請: staff book for a registrant at the counter or on the phone
# ---------------------------------------------------------------------------------------------


def _full_unit(unit: Unit) -> Unit:
    """The unit with what availability_grid needs (facility, schedule and its slots)."""
    return (
        Unit.objects.select_related("facility__municipality", "slot_schedule", "parent")
        .prefetch_related("slot_schedule__slots")
        .get(pk=unit.pk)
    )


@staff_required(Perm.RESERVATIONS)
@require_http_methods(["GET", "POST"])
def reservation_proxy(request: HttpRequest) -> HttpResponse:
    """代理申請: find the registrant and the unit and date (GET), then the booking form (POST).

    The same form and the same rules as the citizen's booking, except service hours
    (``reservation_book`` with channel counter / phone passes ``by_staff``).
    """
    target = ProxyTargetForm(
        request.GET or None,
        municipality=request.municipality,
        facilities=staff_facilities(request.user),
    )
    context: dict = {"target": target}
    if not target.is_valid():
        return render(request, "staff/reservation_proxy.html", context)
    registrant = target.registrant
    unit = _full_unit(target.cleaned_data["unit"])
    use_date = target.cleaned_data["date"]
    state = availability.availability_grid(units=[unit], start=use_date, end=use_date)[
        (unit.pk, use_date)
    ]
    slot_states = state.slots
    if not unit.is_lodging and not slot_states:
        # A closed or past day lists no slots; offer them all so that the rules say why the
        # day cannot be booked (休館日, 過去の日付 …) instead of an empty choice.
        slot_states = [availability.SlotState(s, True) for s in unit.slot_schedule.slots.all()]
    posted = request.POST if request.method == "POST" else None
    form = BookingForm(posted, unit=unit, registrant=registrant, slot_states=slot_states)
    channel_form = ProxyChannelForm(posted)
    audit_record(
        action=AuditAction.REGISTRANT_VIEW,
        actor=request.user,
        municipality=request.municipality,
        target=registrant,
        data={"page": "reservation_proxy"},
        ip_address=client_ip(request),
    )
    context.update(
        registrant=registrant,
        unit=unit,
        use_date=use_date,
        state=state,
        form=form,
        channel_form=channel_form,
        registrant_problem=rules.registrant_problem(registrant, today=clock.today()),
        terms=rules.booking_terms(unit, use_date),
    )
    if request.method != "POST":
        return render(request, "staff/reservation_proxy.html", context)
    if not (form.is_valid() and channel_form.is_valid()):
        return render(request, "staff/reservation_proxy.html", context, status=400)
    booking_request = form.booking_request(registrant=registrant, use_date=use_date)
    if request.POST.get("action") == "book":
        try:
            reservation = booking.reservation_book(
                request=booking_request,
                by=request.user,
                channel=channel_form.cleaned_data["channel"],
            )
        except DomainError as error:
            context["problems"] = getattr(error, "all", None) or [error]
            return render(request, "staff/reservation_proxy.html", context, status=409)
        success(
            request,
            _("予約番号 %(number)s で受け付けました（%(status)s）。")
            % {"number": reservation.number, "status": reservation.get_status_display()},
        )
        return redirect("staff:reservation_detail", reservation.pk)
    # 料金を確認する: every rule that would refuse, or the fee, above the same form.
    problems = rules.check(booking_request, by_staff=True)
    if problems:
        context["problems"] = problems
        return render(request, "staff/reservation_proxy.html", context, status=400)
    try:
        context["quote"] = booking.reservation_quote(booking_request)
    except DomainError as error:
        context["problems"] = [error]
        return render(request, "staff/reservation_proxy.html", context, status=400)
    return render(request, "staff/reservation_proxy.html", context)


# ---------------------------------------------------------------------------------------------
# 利用停止 (unit blocks) for repairs and municipal events
# ---------------------------------------------------------------------------------------------


def _blocks(request: HttpRequest) -> list[UnitBlock]:
    return list(
        UnitBlock.objects.filter(
            unit__facility__in=staff_facilities(request.user), end_date__gte=clock.today()
        )
        .select_related("unit__facility", "slot", "created_by")
        .order_by("start_date", "id")
    )


@staff_required(Perm.RESERVATIONS)
@require_http_methods(["GET", "POST"])
def block_list(request: HttpRequest) -> HttpResponse:
    form = UnitBlockForm(request.POST or None, facilities=staff_facilities(request.user))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                capacity.unit_block_create(
                    unit=data["unit"],
                    by=request.user,
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                    reason=data["reason"],
                    slot=data["slot"],
                    rooms=data["rooms"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                success(request, _("利用停止を登録しました。"))
                return redirect("staff:block_list")
    return render(
        request, "staff/block_list.html", {"form": form, "blocks": _blocks(request)}, status=status
    )


@staff_required(Perm.RESERVATIONS)
@require_POST
def block_remove(request: HttpRequest, block_id: int) -> HttpResponse:
    block = UnitBlock.objects.filter(
        pk=block_id, unit__facility__in=staff_facilities(request.user)
    ).first()
    if block is None:
        raise Http404(_("指定された利用停止は見つかりません。"))
    capacity.unit_block_remove(block=block, by=request.user)
    success(request, _("利用停止を解除しました。"))
    return redirect("staff:block_list")
