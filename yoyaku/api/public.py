"""Public reads, no log-in: municipalities, facilities and units (fees, closures),
availability, notices. Each operation parses, calls a selector and shapes the answer."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest
from ninja import Path, Query, Router, Schema
from ninja.decorators import decorate_view
from pydantic import Field

from yoyaku.api import schemas as s
from yoyaku.api.errors import ApiProblem, Problem
from yoyaku.api.http import PageParams, page
from yoyaku.core import clock
from yoyaku.core import selectors as core_selectors
from yoyaku.core.db_router import replica_view
from yoyaku.core.models import Municipality
from yoyaku.core.params import DB_INT_MAX
from yoyaku.core.services import sanitize_notice_html
from yoyaku.facilities import selectors as facility_selectors
from yoyaku.facilities.models import Facility, Unit
from yoyaku.reservations import selectors as availability

router = Router(tags=["public"])

# Path values: slugs are ASCII (a NUL or any other control character never reaches the
# database), ids fit the database's integer.
SLUG = r"^[a-z0-9][a-z0-9_-]*$"
MunicipalitySlug = Path(..., pattern=SLUG, max_length=50, description="e.g. ukiha")
FacilitySlug = Path(..., pattern=SLUG, max_length=50, description="e.g. bunka-kaikan")
Id = Path(..., ge=1, le=DB_INT_MAX)

# The longest availability range in one request (about three months), and the dates asked
# about at all: a year back, two years ahead.
MAX_RANGE_DAYS = 93
PAST_DAYS = 366
FUTURE_DAYS = 731
NOT_FOUND = {404: Problem}


def municipality_or_404(slug: str) -> Municipality:
    municipality = core_selectors.municipality_get(slug=slug)
    if municipality is None:
        raise Http404
    return municipality


def facility_or_404(slug: str, facility: str) -> Facility:
    found = facility_selectors.facility_get(municipality=municipality_or_404(slug), slug=facility)
    if found is None:
        raise Http404
    return found


def checked_range(start: dt.date, end: dt.date) -> None:
    """A range of dates the API answers: in order, at most MAX_RANGE_DAYS long, near today."""
    today = clock.today()
    first, last = today - dt.timedelta(days=PAST_DAYS), today + dt.timedelta(days=FUTURE_DAYS)
    if not (first <= start <= last and first <= end <= last):
        raise ApiProblem("date_out_of_range", 422, first=first.isoformat(), last=last.isoformat())
    if end < start:
        raise ApiProblem("range_order", 422)
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise ApiProblem("range_too_long", 422, days=MAX_RANGE_DAYS)


def _municipality(m: Municipality) -> dict:
    return {
        "slug": m.slug,
        "name": m.name,
        "name_en": m.name_en,
        "system_name": m.system_name,
        "system_name_en": m.system_name_en,
    }


def _facility(f: Facility) -> dict:
    return {
        "slug": f.slug,
        "name": f.name,
        "name_en": f.name_en,
        "kind": f.kind,
        "postal_code": f.postal_code,
        "address": f.address,
        "phone": f.phone,
        "description": f.description,
        "notes": f.notes,
        "weekly_closed_days": list(f.weekly_closed_days or []),
        "holiday_policy": f.holiday_policy,
        "closed_at_year_end": f.closed_at_year_end,
    }


def _hhmm(value: dt.time) -> str:
    return value.strftime("%H:%M")


def _units(facility: Facility) -> list[dict]:
    units = facility_selectors.units_of_facility(facility=facility)
    fees = facility_selectors.fee_rules_current(units=units, on=clock.today())
    result = []
    for unit in units:
        slots = list(unit.slot_schedule.slots.all()) if unit.slot_schedule else []
        result.append(
            {
                "id": unit.pk,
                "name": unit.name,
                "name_en": unit.name_en,
                "booking_kind": unit.booking_kind,
                "parent_id": unit.parent_id,
                "capacity": unit.capacity,
                "area_m2": unit.area_m2,
                "room_count": unit.room_count,
                "persons_per_room": unit.persons_per_room,
                "slots": [
                    {
                        "code": slot.code,
                        "label": slot.label,
                        "label_en": slot.label_en,
                        "start": _hhmm(slot.start),
                        "end": _hhmm(slot.end),
                        "is_basic": slot.is_basic,
                    }
                    for slot in slots
                ],
                "fees": [
                    {
                        "basis": rule.basis,
                        "slot_code": rule.slot.code if rule.slot else None,
                        "rate_class": rule.rate_class,
                        "person_class": rule.person_class,
                        "day_class": rule.day_class,
                        "amount_yen": rule.amount_yen,
                        "effective_from": rule.effective_from,
                        "effective_until": rule.effective_until,
                    }
                    for rule in fees.get(unit.pk, [])
                ],
            }
        )
    return result


@router.get("/municipalities", response=s.MunicipalityPage, summary="Municipalities")
def municipalities(request: HttpRequest, paging: Query[PageParams]):
    result = page(core_selectors.municipalities_list(), paging)
    result["items"] = [_municipality(m) for m in result["items"]]
    return result


@router.get(
    "/municipalities/{municipality}",
    response={200: s.MunicipalityOut, **NOT_FOUND},
    summary="One municipality",
)
def municipality(request: HttpRequest, municipality: str = MunicipalitySlug):
    return _municipality(municipality_or_404(municipality))


@router.get(
    "/municipalities/{municipality}/facilities",
    response={200: s.FacilityPage, **NOT_FOUND},
    summary="Facilities of a municipality",
)
def facilities(
    request: HttpRequest, paging: Query[PageParams], municipality: str = MunicipalitySlug
):
    found = facility_selectors.facilities_list(municipality=municipality_or_404(municipality))
    result = page(found, paging)
    result["items"] = [_facility(f) for f in result["items"]]
    return result


@router.get(
    "/municipalities/{municipality}/facilities/{facility}",
    response={200: s.FacilityDetailOut, **NOT_FOUND},
    summary="One facility with its units, their time slots and today's fee table",
)
def facility(
    request: HttpRequest, municipality: str = MunicipalitySlug, facility: str = FacilitySlug
):
    found = facility_or_404(municipality, facility)
    return {**_facility(found), "units": _units(found)}


class RangeParams(Schema):
    start: dt.date = Field(description="first date, e.g. 2026-06-01")
    end: dt.date = Field(description=f"last date (at most {MAX_RANGE_DAYS} days in all)")


@router.get(
    "/municipalities/{municipality}/facilities/{facility}/closures",
    response={200: list[s.ClosureOut], **NOT_FOUND},
    summary="Dated closures (臨時休館, 点検) overlapping a range",
)
def closures(
    request: HttpRequest,
    dates: Query[RangeParams],
    municipality: str = MunicipalitySlug,
    facility: str = FacilitySlug,
):
    found = facility_or_404(municipality, facility)
    checked_range(dates.start, dates.end)
    by_facility = facility_selectors.closures_between(
        facilities=[found], start=dates.start, end=dates.end
    )
    return [
        {
            "start_date": c.start_date,
            "end_date": c.end_date,
            "reason": c.reason,
            "unit_id": c.unit_id,
        }
        for c in by_facility.get(found.pk, [])
    ]


def _day(state: availability.UnitDay) -> dict:
    return {
        "date": state.date,
        "mark": state.mark.value,
        "status": state.mark.css,
        "reason": str(state.reason),
        "holiday": state.holiday,
        "free_rooms": state.free_rooms,
        "slots": [
            {"code": slot.slot.code, "label": slot.slot.label, "free": slot.free}
            for slot in state.slots
        ],
    }


@router.get(
    "/municipalities/{municipality}/facilities/{facility}/units/{unit_id}/availability",
    response={200: s.AvailabilityOut, **NOT_FOUND},
    summary="Availability of one unit over a range of dates (the calendars' marks)",
    description=(
        "○ free, △ partly free (lodging: half the rooms or fewer left), × full, "
        "－ closed or past (the reason says which), 抽 held for a lottery. "
        f"At most {MAX_RANGE_DAYS} days per request."
    ),
)
@decorate_view(replica_view)
def unit_availability(
    request: HttpRequest,
    dates: Query[RangeParams],
    municipality: str = MunicipalitySlug,
    facility: str = FacilitySlug,
    unit_id: int = Id,
):
    found = facility_or_404(municipality, facility)
    unit: Unit | None = facility_selectors.unit_get(facility=found, unit_id=unit_id)
    if unit is None:
        raise Http404
    checked_range(dates.start, dates.end)
    days = availability.unit_days(unit=unit, start=dates.start, end=dates.end)
    return {
        "municipality": municipality,
        "facility": found.slug,
        "unit_id": unit.pk,
        "unit_name": unit.name,
        "start": dates.start,
        "end": dates.end,
        "days": [_day(state) for state in days],
    }


@router.get(
    "/municipalities/{municipality}/notices",
    response={200: s.NoticePage, **NOT_FOUND},
    summary="Notices (お知らせ) published now",
)
def notices(request: HttpRequest, paging: Query[PageParams], municipality: str = MunicipalitySlug):
    found = core_selectors.notices_current(municipality=municipality_or_404(municipality))
    result = page(found.order_by("-published_at", "-id"), paging)
    result["items"] = [
        {
            "id": n.pk,
            "title": n.title,
            "body_html": sanitize_notice_html(n.body),
            "published_at": n.published_at,
            "expires_at": n.expires_at,
            "is_important": n.is_important,
        }
        for n in result["items"]
    ]
    return result
