"""Factories with builders that read as the domain: ``three_block_schedule``, ``arena`` …"""

from __future__ import annotations

import datetime as dt

import factory

from yoyaku.core.models import Municipality, Notice, User
from yoyaku.facilities.models import Facility, FeeRule, Purpose, Slot, SlotSchedule, Unit


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"city{n}")
    name = factory.Sequence(lambda n: f"テスト市{n}")
    name_en = factory.Sequence(lambda n: f"Test City {n}")
    system_name = factory.LazyAttribute(lambda o: f"{o.name}公共施設予約システム")
    system_name_en = factory.LazyAttribute(lambda o: f"{o.name_en} Reservations")
    registration_mode = Municipality.RegistrationMode.REVIEW_BEFORE_BOOKING
    resident_label = factory.LazyAttribute(lambda o: f"{o.name}内在住の方")
    worker_label = factory.LazyAttribute(lambda o: f"{o.name}内在勤の方")
    contact_text = "教育委員会 生涯学習課 0943-00-0000"


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    municipality = factory.SubFactory(MunicipalityFactory)
    slug = factory.Sequence(lambda n: f"facility-{n}")
    name = factory.Sequence(lambda n: f"テスト会館{n}")
    name_en = factory.Sequence(lambda n: f"Test Hall {n}")
    kind = Facility.Kind.HALL
    address = "福岡県うきは市吉井町1-1"
    weekly_closed_days = factory.LazyFunction(list)
    holiday_policy = Facility.HolidayPolicy.OPEN
    closed_at_year_end = True


def three_block_schedule(municipality: Municipality) -> SlotSchedule:
    """午前 9–12, 午後 13–17, 夜間 18–21 and the combined 午前・午後, 午後・夜間, 全日."""
    schedule, created = SlotSchedule.objects.get_or_create(municipality=municipality, name="3区分")
    if created:
        for code, label, label_en, start, end, basic in [
            ("am", "午前", "Morning", 9, 12, True),
            ("pm", "午後", "Afternoon", 13, 17, True),
            ("night", "夜間", "Evening", 18, 21, True),
            ("am-pm", "午前・午後", "Morning + afternoon", 9, 17, False),
            ("pm-night", "午後・夜間", "Afternoon + evening", 13, 21, False),
            ("all-day", "全日", "All day", 9, 21, False),
        ]:
            Slot.objects.create(
                schedule=schedule,
                code=code,
                label=label,
                label_en=label_en,
                start=dt.time(start),
                end=dt.time(end),
                is_basic=basic,
            )
    return schedule


def slot_unit(facility: Facility, name: str = "会議室", parent: Unit | None = None, **kw) -> Unit:
    return Unit.objects.create(
        facility=facility,
        name=name,
        name_en=kw.pop("name_en", ""),
        booking_kind=Unit.BookingKind.SLOT,
        slot_schedule=three_block_schedule(facility.municipality),
        parent=parent,
        capacity=kw.pop("capacity", 30),
        **kw,
    )


def arena(facility: Facility) -> tuple[Unit, Unit, Unit]:
    """アリーナ全面 with its two halves."""
    whole = slot_unit(facility, "アリーナ全面", name_en="Arena (whole)")
    half_a = slot_unit(facility, "アリーナ半面A", parent=whole)
    half_b = slot_unit(facility, "アリーナ半面B", parent=whole)
    return whole, half_a, half_b


def lodging_unit(facility: Facility, name: str = "和室", rooms: int = 4, persons: int = 5) -> Unit:
    return Unit.objects.create(
        facility=facility,
        name=name,
        booking_kind=Unit.BookingKind.LODGING,
        room_count=rooms,
        persons_per_room=persons,
    )


def slot(unit: Unit, code: str) -> Slot:
    return unit.slot_schedule.slots.get(code=code)


def fee(unit: Unit, amount: int, **kw) -> FeeRule:
    defaults = {
        "effective_from": dt.date(2024, 4, 1),
        "rate_class": FeeRule.RateClass.RESIDENT,
    }
    if unit.is_lodging:
        defaults.update(
            basis=FeeRule.Basis.PER_PERSON_NIGHT, person_class=FeeRule.PersonClass.ADULT
        )
    else:
        defaults.update(basis=FeeRule.Basis.PER_SLOT, slot=slot(unit, "am"))
    defaults.update(kw)
    return FeeRule.objects.create(unit=unit, amount_yen=amount, **defaults)


def purpose(municipality: Municipality, name: str) -> Purpose:
    return Purpose.objects.get_or_create(municipality=municipality, name=name)[0]


def staff_user(
    municipality: Municipality,
    role: str = User.StaffRole.ADMIN,
    login_id: str = "admin",
    password: str = "staff-pass-1",
    *,
    totp: bool = True,
) -> User:
    """A staff member; ``totp=False`` for one who has not set up an authenticator app yet."""
    import pyotp

    from yoyaku.core import clock

    user = User.objects.create_user(
        username=User.make_username(municipality, User.Kind.STAFF, login_id),
        password=password,
        municipality=municipality,
        login_id=login_id,
        kind=User.Kind.STAFF,
        staff_role=role,
        is_staff=True,
        totp_secret=pyotp.random_base32() if totp else "",
        totp_confirmed_at=clock.now() if totp else None,
    )
    return user


def notice(
    municipality: Municipality, title: str = "お知らせ", body: str = "<p>本文</p>", **kw
) -> Notice:
    from yoyaku.core import clock

    return Notice.objects.create(
        municipality=municipality,
        title=title,
        body=body,
        published_at=kw.pop("published_at", clock.now() - dt.timedelta(days=1)),
        **kw,
    )


# A drand randomness as staff would read it (64 lower-case hex digits).
PUBLIC_VALUE = "5f0c0a6c2ed6c6b1e7b27b6b1ec24e1b8b1a8d9d0c8b3f4e6a2d1c0b9a8f7e6d"


def lottery_value_confirmed(lottery, value: str = PUBLIC_VALUE):
    """The round's public value entered by one staff member and confirmed by another, as the
    drawing requires; at the time the source produced it if that is still to come (the clock
    is then set back)."""
    from yoyaku.core import clock
    from yoyaku.lottery import services

    def clerk(login_id: str) -> User:
        existing = User.objects.filter(
            municipality=lottery.municipality, login_id=login_id, kind=User.Kind.STAFF
        ).first()
        return existing or staff_user(lottery.municipality, login_id=login_id)

    at = max(clock.now(), lottery.public_value_at)
    with clock.travel(at):
        services.round_public_value_enter(lottery=lottery, by=clerk("lottery-a"), value=value)
        lottery = services.round_public_value_confirm(
            lottery=lottery, by=clerk("lottery-b"), value=value
        )
    return lottery


def lottery_draw(*, lottery, **kwargs):
    """``services.lottery_draw`` once the round's public value is confirmed (if it needs one)."""
    from yoyaku.lottery import services
    from yoyaku.lottery.models import LotteryRound

    lottery = LotteryRound.objects.get(pk=lottery.pk)
    if lottery.uses_public_value and not lottery.public_value_confirmed:
        lottery = lottery_value_confirmed(lottery)
    return services.lottery_draw(lottery=lottery, **kwargs)
