"""Demo data: 港区 (resort facilities, seed 000) and うきは市 (public facilities, seed 004).

:func:`load_demo` is idempotent. Every row is looked up by a natural key before it is created,
so a second run on the same day adds nothing (reference data is brought back to the values
below). Rows dated relative to today — closures, staff blocks, dated notices and the lottery
round — are anchored to next week / next month, so a run in a later week or month may add new
ones next to the old ones; that is intended, the calendars then stay populated.

Facility names follow 004 art. 2(2) and 000. Addresses, phone numbers, units and fees are
illustrative demo values, not the facilities' real details.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction

from yoyaku.core import cache, clock
from yoyaku.core.models import Municipality, User
from yoyaku.demo.catalogue import MINATO_FACILITIES, UKIHA_FACILITIES
from yoyaku.demo.loader import DemoSummary, Loader, add_months
from yoyaku.demo.specs import HOURLY, MINATO, MINATO_PURPOSES, THREE_SLOTS, UKIHA, UKIHA_PURPOSES
from yoyaku.facilities.catalogue import availability_changed, setup_scope
from yoyaku.facilities.models import (
    Facility,
    Slot,
    Unit,
)
from yoyaku.lottery import algorithm
from yoyaku.lottery import services as lottery_services
from yoyaku.lottery.models import LotteryCommitment, LotteryRound
from yoyaku.lottery.services import public as lottery_public


def _md(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def _ymd(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _load_ukiha(loader: Loader) -> None:
    muni = loader.municipality(UKIHA)
    purposes = loader.purposes(muni, UKIHA_PURPOSES)
    schedules = loader.slot_schedules(muni)
    facilities: dict[str, Facility] = {}
    units: dict[tuple[str, str], Unit] = {}
    for order, spec in enumerate(UKIHA_FACILITIES, start=1):
        facility = loader.facility(muni, spec, order)
        facilities[spec.slug] = facility
        for unit in loader.slot_units(facility, spec, schedules, purposes):
            units[(spec.slug, unit.name)] = unit

    loader.reductions(muni)
    staff = loader.staff(muni)
    # Least privilege: the hall's staff member sees the hall only (add() skips what exists).
    staff["bunka"].facilities.add(facilities["bunka-kaikan"])
    loader.terms(muni, staff["admin"])
    loader.registrants(muni)
    admin = staff["admin"]
    slots = {
        (s.schedule.name, s.code): s
        for s in Slot.objects.filter(schedule__municipality=muni).select_related("schedule")
    }

    # 施設点検: the main hall is closed on the 2nd Tuesday and Wednesday of next month.
    next_month = add_months(loader.today, 1)
    inspection = next_month + dt.timedelta(days=(1 - next_month.weekday()) % 7 + 7)
    inspection_end = inspection + dt.timedelta(days=1)
    loader.closure(
        facilities["bunka-kaikan"],
        units[("bunka-kaikan", "大ホール")],
        inspection,
        inspection_end,
        "舞台機構設備点検",
    )
    # A whole-facility closure next week (Thursday–Friday).
    loader.closure(
        facilities["kikutake-rokko"],
        None,
        loader.weekday_next_week(3),
        loader.weekday_next_week(4),
        "展示替えのため臨時休館",
    )

    saturday, sunday = loader.weekday_next_week(5), loader.weekday_next_week(6)
    loader.block(
        units[("yoshii-gym", "アリーナ全面")],
        admin,
        saturday,
        saturday,
        "市主催行事（市民スポーツ大会）",
    )
    loader.block(
        units[("yoshii-gym", "アリーナ半面A")],
        admin,
        loader.weekday_next_week(2),
        loader.weekday_next_week(2),
        "市主催 健康づくり教室",
        slot=slots[(THREE_SLOTS, "pm")],
    )
    loader.block(
        units[("bunka-kaikan", "大ホール")],
        admin,
        sunday,
        sunday,
        "市主催行事（うきは市民音楽祭）",
        slot=slots[(THREE_SLOTS, "am-pm")],
    )
    # Reservations at the counter: one awaiting the hall's review (004 art. 9.2), one confirmed.
    tuesday = loader.weekday_next_week(1)
    loader.reservation(
        "315720",
        units[("bunka-kaikan", "会議室1")],
        admin,
        use_date=tuesday + dt.timedelta(days=7),
        slots=[slots[(THREE_SLOTS, "pm")]],
        party_size=15,
        purpose=purposes.get("会議・研修"),
    )
    loader.reservation(
        "904381",
        units[("ukiha-gym", "アリーナ半面A")],
        admin,
        use_date=loader.weekday_next_week(3),
        slots=[slots[(THREE_SLOTS, "night")]],
        party_size=12,
        purpose=purposes.get("卓球"),
    )
    loader.block(
        units[("sports-island", "テニスコート1")],
        admin,
        loader.weekday_next_week(3),
        loader.weekday_next_week(3),
        "コート整備",
        slot=slots[(HOURLY, "h18")],
    )

    loader.notice(
        muni,
        admin,
        title="うきは市公共施設予約システムの運用を開始しました",
        body=(
            "<p>うきは市公共施設予約システムの運用を開始しました。"
            "るり色ふるさと館、うきは市文化会館など11施設の空き状況の確認と予約の申込みが"
            "できます。</p>"
            "<p>予約の申込みには<strong>利用者登録</strong>が必要です。"
            "登録の申請は本システムから、またはうきは市教育委員会へ申請書を提出して行ってください。"
            "教育委員会が審査し、登録が完了すると利用者IDをお知らせします。</p>"
        ),
        is_important=True,
    )
    loader.notice(
        muni,
        admin,
        title=(
            "うきは市文化会館 大ホールの設備点検について"
            f"（{_md(inspection)}・{_md(inspection_end)}）"
        ),
        body=(
            f"<p>舞台機構設備の点検のため、<strong>{_ymd(inspection)}から"
            f"{_md(inspection_end)}まで</strong>、うきは市文化会館 大ホールはご利用いただけません。"
            "小ホール・会議室・和室は通常どおりご利用いただけます。</p>"
        ),
        expires_at=clock.at(inspection_end + dt.timedelta(days=1)),
    )


def _load_minato(loader: Loader) -> None:
    muni = loader.municipality(MINATO)
    purposes = loader.purposes(muni, MINATO_PURPOSES)
    units: dict[tuple[str, str], Unit] = {}
    for order, spec in enumerate(MINATO_FACILITIES, start=1):
        facility = loader.facility(muni, spec, order)
        for unit in loader.lodging_units(facility, spec, purposes):
            units[(spec.slug, unit.name)] = unit

    loader.reductions(muni)
    staff = loader.staff(muni)
    # The resort desk looks after all three resorts (add() skips what exists).
    staff["hoyou"].facilities.add(*Facility.objects.filter(municipality=muni))
    loader.terms(muni, staff["admin"])
    loader.registrants(muni)
    admin = staff["admin"]

    # Blocks on a few nights so the calendars show △ (few rooms left) and × (full).
    friday, saturday = loader.weekday_next_week(4), loader.weekday_next_week(5)
    loader.block(
        units[("ohiradai-minatoso", "和室")],
        admin,
        friday,
        saturday,
        "区主催事業（区民ふれあい旅行）",
        rooms=12,
    )
    loader.block(
        units[("ohiradai-minatoso", "洋室")], admin, saturday, saturday, "区主催事業（研修）"
    )
    # A stay of a demo registrant, to see and change in 予約の確認.
    loader.reservation(
        "482915",
        units[("ohiradai-minatoso", "和室")],
        admin,
        use_date=loader.weekday_next_week(2),
        nights=2,
        rooms=1,
        adults=2,
        children=1,
        purpose=purposes.get("宿泊"),
    )
    # Two nights filled by lottery winners, as in the notice of 000.
    first_night = loader.weekday_next_week(12)  # Saturday of the week after next
    second_night = first_night + dt.timedelta(days=1)
    for name in ("和室", "洋室"):
        loader.block(
            units[("atagawa-prince", name)],
            admin,
            first_night,
            second_night,
            "抽選当選者により満室",
        )

    loader.notice(
        muni,
        admin,
        title=f"{_ymd(second_night)}宿泊の熱川プリンスホテルは満室になりました",
        body=(
            f"<p>{_ymd(second_night)}宿泊の熱川プリンスホテルは{_ymd(first_night)}から"
            "2泊の当選者で満室になりました。"
            "抽選の申込みは現在できませんのでご了承ください。</p>"
        ),
        expires_at=clock.at(second_night + dt.timedelta(days=1)),
    )
    loader.notice(
        muni,
        admin,
        title="予約システムの受付時間について",
        body=(
            "<p>予約システム受付時間：<strong>午前8時から午前0時</strong>"
            "（年末年始を除く）</p>"
            "<p>予約システムの問合せ先：JTBみなと予約センター 電話番号 03-5434-7644 "
            "営業時間 10:00~18:30（土・日・祝祭日・年末年始除く）</p>"
        ),
    )

    # The lottery for the month after next, open for applications now (so the demo shows the
    # form): ten days to apply, the drawing five days later, a week to confirm, then first-come.
    use_from = add_months(loader.today, 2).replace(day=1)
    use_until = add_months(use_from, 1) - dt.timedelta(days=1)
    close_day = loader.today + dt.timedelta(days=10)
    draw_day = close_day + dt.timedelta(days=5)
    lottery = loader.upsert(
        LotteryRound,
        lookup={
            "municipality": muni,
            "name": f"{use_from.year}年{use_from.month}月宿泊分 抽選",
        },
        defaults={},
        create_only={
            "use_from": use_from,
            "use_until": use_until,
            "applications_open_at": clock.at(loader.today - dt.timedelta(days=1), dt.time(8, 0)),
            "applications_close_at": clock.at(close_day),
            "draw_at": clock.at(draw_day, dt.time(10, 0)),
            "confirm_deadline": clock.at(draw_day + dt.timedelta(days=7), dt.time(23, 59)),
            "first_come_opens_at": clock.at(draw_day + dt.timedelta(days=8), dt.time(9, 0)),
            "max_applications_per_registrant": 2,
            "max_wins_per_registrant": 1,
            "cancelled_win_release_hours": 12,
        },
    )
    if not lottery.seed_sha256:
        # As lottery.services.round_create makes them: a public nonce from which (with the
        # secret key) the seed is derived, its SHA-256, and a drand round after the close as
        # the public value's source; each logged in public.
        nonce = lottery_public.new_seed_nonce()
        seed = lottery_public.seed_of_nonce(municipality_slug=muni.slug, nonce=nonce)
        lottery.algorithm, lottery.seed_nonce = LotteryRound.ALGORITHM_2, nonce
        lottery.seed_sha256 = algorithm.seed_commitment(seed)
        source = lottery_public.source_fields(
            kind="", text="", value_at=None, applications_close_at=lottery.applications_close_at
        )
        for name, value in source.items():
            setattr(lottery, name, value)
        lottery.save(update_fields=["algorithm", "seed_nonce", "seed_sha256", *source])
        Kind = LotteryCommitment.Kind
        lottery_public.commitment_add(lottery, Kind.SEED_COMMITTED, lottery.seed_sha256)
        lottery_public.commitment_add(
            lottery, Kind.SOURCE_FIXED, lottery_public.source_summary(lottery)
        )
    lottery.units.add(*units.values())
    _demo_public_values(muni)


def _demo_public_values(muni: Municipality) -> None:
    """Demo rounds whose public value is due get one, entered by the demo admin and confirmed
    by the second demo staff member, so that a demo round past its close can be drawn. The
    value is made up from the round (demo only: a real round's staff read it at its source)."""
    clerks = list(User.objects.filter(municipality=muni, kind=User.Kind.STAFF).order_by("pk")[:2])
    if len(clerks) < 2:
        return
    due = LotteryRound.objects.filter(
        municipality=muni,
        algorithm=LotteryRound.ALGORITHM_2,
        public_value_at__lte=clock.now(),
        public_value_confirmed_at__isnull=True,
    ).exclude(status=LotteryRound.Status.DRAWN)
    for lottery in due:
        value = hashlib.sha256(f"yoyaku demo public value {lottery.seed_nonce}".encode())
        lottery_services.round_public_value_enter(
            lottery=lottery, by=clerks[0], value=value.hexdigest()
        )
        lottery_services.round_public_value_confirm(
            lottery=lottery, by=clerks[1], value=value.hexdigest()
        )


@transaction.atomic
def load_demo() -> DemoSummary:
    """Create or refresh the demo municipalities, facilities, people and calendar entries.

    Idempotent on the same day (see the module docstring). Publishes notices and creates staff
    blocks through their services, so those also write audit rows, once.
    """
    loader = Loader()
    _load_minato(loader)
    _load_ukiha(loader)
    # The loader writes closures and lottery rounds directly: what was cached is outdated.
    facilities = Facility.objects.values_list("pk", "municipality_id")
    availability_changed(pk for pk, _municipality in facilities)
    cache.bump(*sorted({setup_scope(m) for _pk, m in facilities}))
    return loader.summary
