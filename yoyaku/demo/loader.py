"""Demo data, the loader: looks every row up by a natural key before creating it."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditVia, Municipality, Notice, User
from yoyaku.core.services import notice_publish
from yoyaku.demo.people import REGISTRANTS, RESIDENT, STAFF
from yoyaku.demo.specs import (
    DEMO_STAFF_PASSWORD,
    DEMO_STAFF_TOTP_SECRET,
    ENTRY_CODE_FACILITIES,
    FAIR_START_FACILITIES,
    HOURLY,
    LIGHTING_FROM_HOUR,
    MINATO_FEES_FROM,
    REDUCTIONS,
    THREE_SLOTS,
    UKIHA_FEES_FROM,
    FacilitySpec,
    LodgingRates,
    LodgingUnitSpec,
    M,
    SlotUnitSpec,
    booking_policy,
    non_resident,
)
from yoyaku.demo.terms import TERMS
from yoyaku.facilities.models import (
    Closure,
    Facility,
    FeeRule,
    Purpose,
    ReductionCategory,
    Slot,
    SlotSchedule,
    Unit,
)
from yoyaku.registrants import selectors as registrant_selectors
from yoyaku.registrants.models import Registrant, TermsAgreement, TermsOfUse
from yoyaku.registrants.services import terms_agreement_record, terms_publish
from yoyaku.reservations.booking import reservation_book
from yoyaku.reservations.models import Reservation, UnitBlock
from yoyaku.reservations.rules import BookingRequest
from yoyaku.reservations.services import unit_block_create

# ---------------------------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    municipality: Municipality
    kind: str  # User.Kind
    role: str
    role_en: str
    login_id: str
    password: str
    totp_secret: str = ""  # staff only: the demo authenticator secret


@dataclass
class DemoSummary:
    logins: list[DemoLogin] = field(default_factory=list)
    created: Counter[str] = field(default_factory=Counter)
    # Blocks that a run on an earlier day had already taken the capacity for.
    skipped: list[str] = field(default_factory=list)

    @property
    def created_total(self) -> int:
        return sum(self.created.values())


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class Loader:
    def __init__(self) -> None:
        self.summary = DemoSummary()
        self.today = clock.today()
        # Next week's Monday: blocks hang off it so every run in the same week hits the same
        # dates and finds them already there.
        self.next_monday = self.today + dt.timedelta(days=7 - self.today.weekday())

    def upsert(
        self,
        model: type[M],
        *,
        lookup: dict[str, Any],
        defaults: dict[str, Any] | None = None,
        create_only: dict[str, Any] | None = None,
    ) -> M:
        defaults = defaults or {}
        obj, created = model._default_manager.update_or_create(
            defaults=defaults, create_defaults={**defaults, **(create_only or {})}, **lookup
        )
        if created:
            self.summary.created[model._meta.label] += 1
        return obj

    # -- reference data ---------------------------------------------------------------------

    def municipality(self, data: dict[str, Any]) -> Municipality:
        fields = dict(data)
        return self.upsert(Municipality, lookup={"slug": fields.pop("slug")}, defaults=fields)

    def purposes(self, muni: Municipality, rows: tuple[tuple[str, str], ...]) -> dict[str, Purpose]:
        return {
            name: self.upsert(
                Purpose,
                lookup={"municipality": muni, "name": name},
                defaults={"name_en": name_en, "order": index},
            )
            for index, (name, name_en) in enumerate(rows, start=1)
        }

    def slot_schedules(self, muni: Municipality) -> dict[str, SlotSchedule]:
        three = self.upsert(SlotSchedule, lookup={"municipality": muni, "name": THREE_SLOTS})
        rows = [
            ("am", "午前", "Morning", 9, 12, True),
            ("pm", "午後", "Afternoon", 13, 17, True),
            ("night", "夜間", "Evening", 18, 21, True),
            ("am-pm", "午前・午後", "Morning & afternoon", 9, 17, False),
            ("pm-night", "午後・夜間", "Afternoon & evening", 13, 21, False),
            ("all-day", "全日", "All day", 9, 21, False),
        ]
        for code, label, label_en, start, end, basic in rows:
            self.slot(three, code, label, label_en, start, end, basic)
        hourly = self.upsert(SlotSchedule, lookup={"municipality": muni, "name": HOURLY})
        for hour in range(9, 21):
            self.slot(hourly, f"h{hour:02d}", f"{hour}時", f"{hour}:00", hour, hour + 1, True)
        return {THREE_SLOTS: three, HOURLY: hourly}

    def slot(
        self,
        schedule: SlotSchedule,
        code: str,
        label: str,
        label_en: str,
        start: int,
        end: int,
        basic: bool,
    ) -> Slot:
        return self.upsert(
            Slot,
            lookup={"schedule": schedule, "code": code},
            defaults={
                "label": label,
                "label_en": label_en,
                "start": dt.time(start),
                "end": dt.time(end),
                "is_basic": basic,
            },
        )

    def facility(self, muni: Municipality, spec: FacilitySpec, order: int) -> Facility:
        season = spec.season or (None, None, None, None)
        return self.upsert(
            Facility,
            lookup={"municipality": muni, "slug": spec.slug},
            defaults={
                "name": spec.name,
                "name_en": spec.name_en,
                "kind": spec.kind,
                "postal_code": spec.postal_code,
                "address": spec.address,
                "phone": spec.phone,
                "description": spec.description,
                "notes": spec.notes,
                "weekly_closed_days": list(spec.weekly_closed_days),
                "holiday_policy": spec.holiday_policy,
                "closed_at_year_end": spec.closed_at_year_end,
                "season_start_month": season[0],
                "season_start_day": season[1],
                "season_end_month": season[2],
                "season_end_day": season[3],
                "order": order,
                "is_active": True,
                **booking_policy(muni, spec),
                "entry_codes": spec.slug in ENTRY_CODE_FACILITIES,
                **FAIR_START_FACILITIES.get(spec.slug, {}),
            },
        )

    def reductions(self, muni: Municipality) -> None:
        for order, (name, name_en, percent, approval, proof, limit, min_age) in enumerate(
            REDUCTIONS[muni.slug]
        ):
            self.upsert(
                ReductionCategory,
                lookup={"municipality": muni, "name": name},
                defaults={
                    "name_en": name_en,
                    "percent": percent,
                    "requires_approval": approval,
                    "proof_description": proof,
                    "annual_night_limit": limit,
                    "min_age": min_age,
                    "order": order,
                },
            )

    def slot_units(
        self,
        facility: Facility,
        spec: FacilitySpec,
        schedules: dict[str, SlotSchedule],
        purposes: dict[str, Purpose],
    ) -> list[Unit]:
        units: dict[str, Unit] = {}
        for order, unit_spec in enumerate(spec.units, start=1):
            assert isinstance(unit_spec, SlotUnitSpec)
            parent = units[unit_spec.parent] if unit_spec.parent else None
            # A part is booked on its whole's schedule, otherwise their atoms would not match.
            if parent is not None:
                schedule = parent.slot_schedule
            else:
                schedule = schedules[HOURLY if unit_spec.hourly else THREE_SLOTS]
            unit = self.upsert(
                Unit,
                lookup={"facility": facility, "name": unit_spec.name},
                defaults={
                    "name_en": unit_spec.name_en,
                    "parent": parent,
                    "booking_kind": Unit.BookingKind.SLOT,
                    "slot_schedule": schedule,
                    "capacity": unit_spec.capacity,
                    "area_m2": unit_spec.area_m2,
                    "room_count": None,
                    "persons_per_room": None,
                    "min_persons_per_room": None,
                    "description": unit_spec.description,
                    "order": order,
                    "is_active": True,
                },
            )
            unit.purposes.add(*(purposes[name] for name in unit_spec.purposes))
            self.slot_fees(unit, unit_spec)
            units[unit_spec.name] = unit
        return list(units.values())

    def slot_fees(self, unit: Unit, spec: SlotUnitSpec) -> None:
        """One PER_SLOT rule per slot and rate class; a combined slot costs its parts' sum."""
        assert unit.slot_schedule is not None
        slots = list(unit.slot_schedule.slots.all())
        basics = [s for s in slots if s.is_basic]

        def basic_fee(index: int, slot: Slot) -> int:
            if spec.hourly:
                return spec.fees[1] if slot.start.hour >= LIGHTING_FROM_HOUR else spec.fees[0]
            return spec.fees[index]

        fee_of_basic = {b.pk: basic_fee(i, b) for i, b in enumerate(basics)}
        for slot in slots:
            resident = sum(
                fee_of_basic[b.pk]
                for b in basics
                if slot.start_minute <= b.start_minute and b.end_minute <= slot.end_minute
            )
            for rate_class, amount in (
                (FeeRule.RateClass.RESIDENT, resident),
                (FeeRule.RateClass.NON_RESIDENT, non_resident(resident)),
            ):
                self.upsert(
                    FeeRule,
                    lookup={
                        "unit": unit,
                        "effective_from": UKIHA_FEES_FROM,
                        "basis": FeeRule.Basis.PER_SLOT,
                        "slot": slot,
                        "rate_class": rate_class,
                        "person_class": FeeRule.PersonClass.ANY,
                        "day_class": FeeRule.DayClass.ANY,
                    },
                    defaults={"amount_yen": amount, "effective_until": None},
                )

    def lodging_units(
        self, facility: Facility, spec: FacilitySpec, purposes: dict[str, Purpose]
    ) -> list[Unit]:
        units = []
        for order, unit_spec in enumerate(spec.units, start=1):
            assert isinstance(unit_spec, LodgingUnitSpec)
            unit = self.upsert(
                Unit,
                lookup={"facility": facility, "name": unit_spec.name},
                defaults={
                    "name_en": unit_spec.name_en,
                    "parent": None,
                    "booking_kind": Unit.BookingKind.LODGING,
                    "slot_schedule": None,
                    "capacity": unit_spec.room_count * unit_spec.persons_per_room,
                    "room_count": unit_spec.room_count,
                    "persons_per_room": unit_spec.persons_per_room,
                    "min_persons_per_room": unit_spec.min_persons_per_room,
                    "description": unit_spec.description,
                    "order": order,
                    "is_active": True,
                },
            )
            unit.purposes.add(purposes["宿泊"])
            assert spec.lodging_rates is not None
            self.lodging_fees(unit, spec.lodging_rates)
            units.append(unit)
        return units

    def lodging_fees(self, unit: Unit, rates: LodgingRates) -> None:
        table = (
            (FeeRule.RateClass.RESIDENT, FeeRule.PersonClass.ADULT, rates.resident_adult),
            (FeeRule.RateClass.RESIDENT, FeeRule.PersonClass.CHILD, rates.resident_child),
            (FeeRule.RateClass.NON_RESIDENT, FeeRule.PersonClass.ADULT, rates.other_adult),
            (FeeRule.RateClass.NON_RESIDENT, FeeRule.PersonClass.CHILD, rates.other_child),
        )
        for rate_class, person_class, (weekday, weekend) in table:
            for day_class, amount in (
                (FeeRule.DayClass.WEEKDAY, weekday),
                (FeeRule.DayClass.WEEKEND_HOLIDAY, weekend),
            ):
                self.upsert(
                    FeeRule,
                    lookup={
                        "unit": unit,
                        "effective_from": MINATO_FEES_FROM,
                        "basis": FeeRule.Basis.PER_PERSON_NIGHT,
                        "slot": None,
                        "rate_class": rate_class,
                        "person_class": person_class,
                        "day_class": day_class,
                    },
                    defaults={"amount_yen": amount, "effective_until": None},
                )

    # -- people -------------------------------------------------------------------------------

    def user(
        self,
        muni: Municipality,
        *,
        kind: str,
        login_id: str,
        password: str,
        display_name: str,
        email: str,
        staff_role: str = "",
    ) -> User:
        user = self.upsert(
            User,
            lookup={"username": User.make_username(muni, kind, login_id)},
            defaults={
                "municipality": muni,
                "login_id": login_id,
                "kind": kind,
                "staff_role": staff_role,
                "display_name": display_name,
                "email": email,
                "is_staff": kind == User.Kind.STAFF,
                "is_active": True,
            },
        )
        # Put the demo password back if someone changed it, so the printed log-ins work.
        if not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        return user

    def demo_totp(self, user: User) -> None:
        """Put the published demo authenticator secret back, confirmed, if it was changed."""
        if user.totp_secret == DEMO_STAFF_TOTP_SECRET and user.totp_confirmed_at is not None:
            return
        user.totp_secret = DEMO_STAFF_TOTP_SECRET
        user.totp_confirmed_at = clock.now()
        user.totp_last_step = None
        user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])

    def staff(self, muni: Municipality) -> dict[str, User]:
        users = {}
        for spec in STAFF[muni.slug]:
            users[spec.login_id] = self.user(
                muni,
                kind=User.Kind.STAFF,
                login_id=spec.login_id,
                password=DEMO_STAFF_PASSWORD,
                display_name=spec.display_name,
                email=spec.email,
                staff_role=spec.role,
            )
            self.demo_totp(users[spec.login_id])
            admin = spec.role == User.StaffRole.ADMIN
            self.summary.logins.append(
                DemoLogin(
                    municipality=muni,
                    kind=User.Kind.STAFF,
                    role="自治体管理者" if admin else "施設管理者",
                    role_en="Municipality admin" if admin else "Facility staff",
                    login_id=spec.login_id,
                    password=DEMO_STAFF_PASSWORD,
                    totp_secret=DEMO_STAFF_TOTP_SECRET,
                )
            )
        return users

    def terms(self, muni: Municipality, by: User) -> None:
        """Version 1 of the terms of use, once; a version staff published later stays."""
        if TermsOfUse.objects.filter(municipality=muni).exists():
            return
        terms_publish(municipality=muni, by=by, body=TERMS[muni.slug])
        self.summary.created[TermsOfUse._meta.label] += 1

    def registrants(self, muni: Municipality) -> None:
        terms = registrant_selectors.terms_current(muni)
        for spec in REGISTRANTS[muni.slug]:
            display = spec.group_name or spec.name
            user = self.user(
                muni,
                kind=User.Kind.REGISTRANT,
                login_id=spec.user_number,
                password=spec.password,
                display_name=display,
                email=spec.email,
            )
            registered = self.today - dt.timedelta(days=spec.registered_days_ago)
            self.upsert(
                Registrant,
                lookup={"municipality": muni, "user_number": spec.user_number},
                defaults={
                    "user": user,
                    "kind": spec.kind,
                    "category": spec.category,
                    "name_kana": spec.name_kana,
                    "name": spec.name,
                    "group_name": spec.group_name,
                    "birth_date": spec.birth_date,
                    "phone": spec.phone,
                    "email": spec.email,
                    "postal_code": spec.postal_code,
                    "prefecture": spec.prefecture,
                    "city": spec.city,
                    "street": spec.street,
                },
                # Set once: a later run must not move the registration date (and validity).
                create_only={
                    "status": spec.status,
                    "approved_at": (
                        clock.at(registered, dt.time(15, 0))
                        if spec.status == Registrant.Status.ACTIVE
                        else None
                    ),
                    "registered_at": clock.at(registered, dt.time(10, 0)),
                    "valid_until": add_years(registered, muni.registration_validity_years),
                },
            )
            registrant = Registrant.objects.get(municipality=muni, user_number=spec.user_number)
            # Demo registrants agreed to version 1 when they registered (once; not again).
            if (
                terms is not None
                and not TermsAgreement.objects.filter(registrant=registrant).exists()
            ):
                terms_agreement_record(
                    registrant=registrant, terms=terms, via=AuditVia.CITIZEN, by=user
                )
                self.summary.created[TermsAgreement._meta.label] += 1
            category = "在住" if spec.category == RESIDENT else "在勤"
            category_en = "resident" if spec.category == RESIDENT else "worker"
            if spec.kind == Registrant.Kind.GROUP:
                role, role_en = f"登録者（団体・{category}）", f"Registrant (group, {category_en})"
            else:
                role, role_en = f"登録者（{category}）", f"Registrant ({category_en})"
            if spec.status == Registrant.Status.APPLIED:
                role, role_en = f"{role} 審査中", f"{role_en}, under review"
            self.summary.logins.append(
                DemoLogin(
                    municipality=muni,
                    kind=User.Kind.REGISTRANT,
                    role=role,
                    role_en=role_en,
                    login_id=spec.user_number,
                    password=spec.password,
                )
            )

    # -- dated things -------------------------------------------------------------------------

    def notice(
        self,
        muni: Municipality,
        by: User,
        *,
        title: str,
        body: str,
        is_important: bool = False,
        expires_at: dt.datetime | None = None,
    ) -> None:
        if Notice.objects.filter(municipality=muni, title=title).exists():
            return
        notice_publish(
            municipality=muni,
            by=by,
            title=title,
            body=body,
            is_important=is_important,
            expires_at=expires_at,
        )
        self.summary.created[Notice._meta.label] += 1

    def closure(
        self, facility: Facility, unit: Unit | None, start: dt.date, end: dt.date, reason: str
    ) -> None:
        self.upsert(
            Closure,
            lookup={"facility": facility, "unit": unit, "start_date": start, "reason": reason},
            defaults={"end_date": end},
        )

    def block(
        self,
        unit: Unit,
        by: User,
        start: dt.date,
        end: dt.date,
        reason: str,
        *,
        slot: Slot | None = None,
        rooms: int | None = None,
    ) -> None:
        if UnitBlock.objects.filter(unit=unit, start_date=start, reason=reason).exists():
            return
        try:
            unit_block_create(
                unit=unit,
                by=by,
                start_date=start,
                end_date=end,
                reason=reason,
                slot=slot,
                rooms=rooms,
            )
        except DomainError as exc:
            # The service rolled its own savepoint back; an earlier run's block (anchored to
            # another week) already holds that capacity, which is fine for a demo.
            if exc.code != "block_already_occupied":
                raise
            self.summary.skipped.append(f"{unit} {start} {reason}")
            return
        self.summary.created[UnitBlock._meta.label] += 1

    def reservation(self, registrant_number: str, unit: Unit, by: User, **request: Any) -> None:
        """A demo reservation booked at the counter (so that it works at any hour), once per
        registrant and unit; skipped when the date is not bookable on the day of the run."""
        registrant = Registrant.objects.get(
            municipality=unit.facility.municipality, user_number=registrant_number
        )
        if Reservation.objects.filter(registrant=registrant, unit=unit).exists():
            return
        try:
            reservation_book(
                request=BookingRequest(registrant=registrant, unit=unit, **request),
                by=by,
                channel=Reservation.Channel.COUNTER,
            )
        except DomainError as exc:
            self.summary.skipped.append(f"{unit} {request.get('use_date')} {exc.code}")
            return
        self.summary.created[Reservation._meta.label] += 1

    def weekday_next_week(self, weekday: int) -> dt.date:
        return self.next_monday + dt.timedelta(days=weekday)
