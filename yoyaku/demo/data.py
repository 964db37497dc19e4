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

import base64
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models, transaction

from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import Municipality, Notice, User
from yoyaku.core.services import notice_publish
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
from yoyaku.lottery import algorithm
from yoyaku.lottery.models import LotteryRound
from yoyaku.registrants.models import Registrant
from yoyaku.reservations.models import UnitBlock
from yoyaku.reservations.services import unit_block_create

DEMO_STAFF_PASSWORD = "yoyaku-demo-2026"
# Demo staff log in with a second factor too. Their authenticator secret is public on purpose
# (README, printed by load_demo): the base32 of these 20 bytes, i.e.
# PFXXSYLLOUWWIZLNN4WXI33UOAZDAMRW. ``manage.py demo_totp <municipality> <id>`` prints the code.
DEMO_STAFF_TOTP_SECRET = base64.b32encode(b"yoyaku-demo-totp2026").decode()

UKIHA_FEES_FROM = dt.date(2024, 4, 1)
MINATO_FEES_FROM = dt.date(2025, 4, 1)

THREE_SLOTS = "3区分"
HOURLY = "1時間単位"
# Outdoor courts charge for the floodlights from this hour on.
LIGHTING_FROM_HOUR = 18

M = TypeVar("M", bound=models.Model)

Kind = Facility.Kind
Policy = Facility.HolidayPolicy


# ---------------------------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotUnitSpec:
    """A time-slot unit. ``fees`` are resident yen per basic slot: (午前, 午後, 夜間) on the
    3区分 schedule, or (daytime hour, floodlit hour) on the hourly one."""

    name: str
    name_en: str
    fees: tuple[int, ...]
    purposes: tuple[str, ...]
    capacity: int | None = None
    area_m2: int | None = None
    hourly: bool = False
    parent: str | None = None
    description: str = ""


@dataclass(frozen=True)
class LodgingUnitSpec:
    name: str
    name_en: str
    room_count: int
    persons_per_room: int
    min_persons_per_room: int
    description: str = ""


@dataclass(frozen=True)
class LodgingRates:
    """Yen per person per night as (weekday, weekend/holiday eve) pairs."""

    resident_adult: tuple[int, int]
    resident_child: tuple[int, int]
    # 区民以外の同行者: companions who are not residents or workers of the ward.
    other_adult: tuple[int, int]
    other_child: tuple[int, int]


@dataclass(frozen=True)
class FacilitySpec:
    slug: str
    name: str
    name_en: str
    kind: str
    postal_code: str
    address: str
    phone: str
    description: str
    notes: str = ""
    weekly_closed_days: tuple[int, ...] = (0,)
    holiday_policy: str = Policy.SHIFT
    closed_at_year_end: bool = True
    # (start month, start day, end month, end day) for seasonal facilities.
    season: tuple[int, int, int, int] | None = None
    units: tuple[SlotUnitSpec | LodgingUnitSpec, ...] = ()
    lodging_rates: LodgingRates | None = None


MINATO: dict[str, Any] = {
    "slug": "minato",
    "name": "港区",
    "name_en": "Minato City",
    "system_name": "港区区民保養施設予約システム",
    "system_name_en": "Minato City Resort Facility Reservation System",
    "registration_mode": Municipality.RegistrationMode.BOOK_BEFORE_REVIEW,
    "resident_label": "港区内在住の方",
    "worker_label": "港区内在勤の方",
    "resident_label_en": "I live in Minato City",
    "worker_label_en": "I work in Minato City",
    "example_name_kana": "ミナト　タロウ",
    "example_name": "港　太郎",
    "example_phone": "03-1234-5678",
    "allows_groups": False,
    "free_child_age": 4,
    "service_open_minute": 8 * 60,
    "service_close_minute": 24 * 60,
    "contact_text": (
        "★予約システムの問合せ先：JTBみなと予約センター\n"
        "電話番号 03-5434-7644 営業時間 10:00~18:30 (土・日・祝祭日・年末年始除く)"
    ),
    "about_text": (
        "★「港区区民保養施設」のご利用(抽選申込み・空き室申込み)：事前の利用者登録が必要です。"
        "お申込みの代表者は、利用者の登録をお願いします。"
    ),
    "order": 1,
}

UKIHA: dict[str, Any] = {
    "slug": "ukiha",
    "name": "うきは市",
    "name_en": "Ukiha City",
    "system_name": "うきは市公共施設予約システム",
    "system_name_en": "Ukiha City Public Facility Reservation System",
    "registration_mode": Municipality.RegistrationMode.REVIEW_BEFORE_BOOKING,
    "resident_label": "うきは市内在住の方",
    "worker_label": "うきは市内在勤の方",
    "resident_label_en": "I live in Ukiha City",
    "worker_label_en": "I work in Ukiha City",
    "example_name_kana": "ウキハ　タロウ",
    "example_name": "浮羽　太郎",
    "example_phone": "0943-12-3456",
    "allows_groups": True,
    "service_open_minute": 8 * 60,
    "service_close_minute": 24 * 60,
    "year_end_start_month": 12,
    "year_end_start_day": 29,
    "year_end_end_month": 1,
    "year_end_end_day": 3,
    "contact_text": (
        "うきは市教育委員会 生涯学習課\n"
        "〒839-1393 福岡県うきは市吉井町新治316\n"
        "電話 0943-75-3343（平日 8:30～17:15）"
    ),
    "about_text": (
        "★施設の予約には事前の利用者登録が必要です。教育委員会が登録内容を審査し、"
        "登録が完了すると利用者IDをお知らせします。\n"
        "★オンライン決済が完了した時点で予約が確定します（施設により利用できない場合があります）。"
    ),
    "order": 2,
}

# (name, name_en) in the order they are listed in search.
UKIHA_PURPOSES: tuple[tuple[str, str], ...] = (
    ("会議・研修", "Meetings & training"),
    ("講演会・発表会", "Lectures & recitals"),
    ("音楽・演劇", "Music & theatre"),
    ("展示", "Exhibitions"),
    ("茶道・華道", "Tea ceremony & flower arranging"),
    ("料理教室", "Cooking classes"),
    ("卓球", "Table tennis"),
    ("バドミントン", "Badminton"),
    ("バレーボール", "Volleyball"),
    ("バスケットボール", "Basketball"),
    ("ダンス・体操", "Dance & gymnastics"),
    ("柔道・剣道", "Judo & kendo"),
    ("テニス", "Tennis"),
    ("野球・ソフトボール", "Baseball & softball"),
    ("サッカー", "Football"),
    ("グラウンド・ゴルフ", "Ground golf"),
)
MINATO_PURPOSES: tuple[tuple[str, str], ...] = (("宿泊", "Overnight stay"),)

MEETING = ("会議・研修", "講演会・発表会")
INDOOR_BALL = ("卓球", "バドミントン", "バレーボール", "バスケットボール", "ダンス・体操")


def _meeting_room(name: str, name_en: str, fees: tuple[int, ...], capacity: int) -> SlotUnitSpec:
    return SlotUnitSpec(name, name_en, fees, MEETING, capacity=capacity)


def _tennis_courts() -> tuple[SlotUnitSpec, ...]:
    return tuple(
        SlotUnitSpec(
            f"テニスコート{n}",
            f"Tennis court {n}",
            (300, 600),
            ("テニス",),
            hourly=True,
            description="砂入り人工芝。18時以降は照明使用料を含みます。",
        )
        for n in range(1, 5)
    )


def _arena(fees_whole: tuple[int, ...], capacity: int, area: int) -> tuple[SlotUnitSpec, ...]:
    halves = tuple(fee // 2 for fee in fees_whole)
    return (
        SlotUnitSpec(
            "アリーナ全面",
            "Arena (whole)",
            fees_whole,
            INDOOR_BALL,
            capacity=capacity,
            area_m2=area,
            description="半面A・半面Bをあわせた全面です。",
        ),
        SlotUnitSpec(
            "アリーナ半面A",
            "Arena half A",
            halves,
            INDOOR_BALL,
            capacity=capacity // 2,
            area_m2=area // 2,
            parent="アリーナ全面",
        ),
        SlotUnitSpec(
            "アリーナ半面B",
            "Arena half B",
            halves,
            INDOOR_BALL,
            capacity=capacity // 2,
            area_m2=area // 2,
            parent="アリーナ全面",
        ),
    )


UKIHA_FACILITIES: tuple[FacilitySpec, ...] = (
    FacilitySpec(
        slug="ruriiro-furusatokan",
        name="るり色ふるさと館",
        name_en="Ruriiro Furusato-kan",
        kind=Kind.CULTURE,
        postal_code="839-1411",
        address="福岡県うきは市浮羽町流川1442-1",
        phone="0943-77-5611",
        description="地域の交流と伝統文化の継承のための施設です。研修室と和室を利用できます。",
        notes="調理器具の持込みは事前にご相談ください。",
        weekly_closed_days=(1,),  # 火曜休館
        units=(
            _meeting_room("研修室", "Seminar room", (1000, 1300, 1300), 40),
            SlotUnitSpec("和室", "Japanese-style room", (600, 800, 800), ("茶道・華道",), 20),
        ),
    ),
    FacilitySpec(
        slug="bunka-kaikan",
        name="うきは市文化会館",
        name_en="Ukiha City Cultural Hall",
        kind=Kind.HALL,
        postal_code="839-1306",
        address="福岡県うきは市吉井町新治300-1",
        phone="0943-75-2110",
        description="大ホール（約800席）と小ホールを備えた市の文化活動の拠点です。",
        notes="大ホールの舞台・音響・照明設備の使用は、利用日の1か月前までに打合せが必要です。",
        units=(
            SlotUnitSpec(
                "大ホール",
                "Main hall",
                (15000, 20000, 25000),
                ("講演会・発表会", "音楽・演劇"),
                capacity=800,
                area_m2=900,
            ),
            SlotUnitSpec(
                "小ホール",
                "Small hall",
                (4000, 5000, 6000),
                ("講演会・発表会", "音楽・演劇", "ダンス・体操"),
                capacity=200,
                area_m2=250,
            ),
            _meeting_room("会議室1", "Meeting room 1", (800, 1000, 1000), 30),
            _meeting_room("会議室2", "Meeting room 2", (800, 1000, 1000), 30),
            SlotUnitSpec("和室", "Japanese-style room", (600, 800, 800), ("茶道・華道",), 24),
        ),
    ),
    FacilitySpec(
        slug="shimin-hall",
        name="うきは市民ホール",
        name_en="Ukiha Citizens' Hall",
        kind=Kind.HALL,
        postal_code="839-1401",
        address="福岡県うきは市浮羽町朝田552-1",
        phone="0943-77-2150",
        description="講演会や発表会に使える多目的ホールと練習室があります。",
        units=(
            SlotUnitSpec(
                "ホール",
                "Hall",
                (6000, 8000, 10000),
                ("講演会・発表会", "音楽・演劇", "展示"),
                capacity=400,
                area_m2=480,
            ),
            SlotUnitSpec(
                "練習室",
                "Rehearsal room",
                (1000, 1200, 1200),
                ("音楽・演劇", "ダンス・体操"),
                capacity=30,
            ),
        ),
    ),
    FacilitySpec(
        slug="yoshii-gym",
        name="うきは市吉井体育センター",
        name_en="Ukiha City Yoshii Gymnasium",
        kind=Kind.SPORTS,
        postal_code="839-1301",
        address="福岡県うきは市吉井町桜井1320",
        phone="0943-75-2231",
        description="アリーナは全面または半面（A・B）で利用できます。柔剣道場があります。",
        notes="館内は室内履きを使用してください。",
        units=(
            *_arena((2000, 2600, 3000), capacity=300, area=1100),
            SlotUnitSpec(
                "柔剣道場",
                "Martial arts hall",
                (800, 1000, 1200),
                ("柔道・剣道", "ダンス・体操"),
                capacity=60,
                area_m2=300,
            ),
        ),
    ),
    FacilitySpec(
        slug="sports-island",
        name="うきは市スポーツアイランド",
        name_en="Ukiha City Sports Island",
        kind=Kind.OUTDOOR,
        postal_code="839-1304",
        address="福岡県うきは市吉井町千年1015",
        phone="0943-75-4411",
        description="筑後川河畔の多目的グラウンドとテニスコート4面。1時間単位で利用できます。",
        notes="雨天時の利用可否は当日朝に施設へお問い合わせください。",
        holiday_policy=Policy.OPEN,
        units=(
            SlotUnitSpec(
                "多目的グラウンド",
                "Multi-purpose ground",
                (1000, 2500),
                ("サッカー", "グラウンド・ゴルフ", "野球・ソフトボール"),
                hourly=True,
                area_m2=12000,
            ),
            *_tennis_courts(),
        ),
    ),
    FacilitySpec(
        slug="funakoshi-park",
        name="うきは市船越運動公園",
        name_en="Ukiha City Funakoshi Sports Park",
        kind=Kind.OUTDOOR,
        postal_code="839-1405",
        address="福岡県うきは市浮羽町古川1880",
        phone="0943-77-6021",
        description="野球・ソフトボールのできるグラウンドとテニスコート4面があります。",
        notes="グラウンドの整備用具は使用後に所定の場所へ戻してください。",
        holiday_policy=Policy.OPEN,
        units=(
            SlotUnitSpec(
                "グラウンド",
                "Ground",
                (800, 2000),
                ("野球・ソフトボール", "サッカー", "グラウンド・ゴルフ"),
                hourly=True,
                area_m2=10000,
            ),
            *_tennis_courts(),
        ),
    ),
    FacilitySpec(
        slug="ukiha-gym",
        name="うきは市浮羽体育センター",
        name_en="Ukiha City Ukiha Gymnasium",
        kind=Kind.SPORTS,
        postal_code="839-1402",
        address="福岡県うきは市浮羽町浮羽510",
        phone="0943-77-3301",
        description="アリーナは全面または半面（A・B）で利用できます。",
        units=_arena((1800, 2400, 2800), capacity=250, area=900),
    ),
    FacilitySpec(
        slug="oharu-trim-center",
        name="うきは市大春トリムセンター",
        name_en="Ukiha City Oharu Trim Center",
        kind=Kind.SPORTS,
        postal_code="839-1408",
        address="福岡県うきは市浮羽町山北2405",
        phone="0943-77-4120",
        description="地域の健康づくりのための小体育室と多目的室があります。",
        holiday_policy=Policy.CLOSED,
        units=(
            SlotUnitSpec(
                "体育室",
                "Gym room",
                (1000, 1300, 1500),
                ("卓球", "バドミントン", "ダンス・体操"),
                capacity=80,
                area_m2=400,
            ),
            _meeting_room("多目的室", "Multi-purpose room", (500, 600, 600), 30),
        ),
    ),
    FacilitySpec(
        slug="kikutake-rokko",
        name="菊竹六皷記念館",
        name_en="Kikutake Rokko Memorial Museum",
        kind=Kind.CULTURE,
        postal_code="839-1321",
        address="福岡県うきは市吉井町1043-2",
        phone="0943-75-3120",
        description="郷土のジャーナリスト菊竹六皷の記念館。展示室を作品展などに利用できます。",
        notes="展示室の壁面への釘・画鋲の使用はできません。",
        holiday_policy=Policy.CLOSED,
        units=(
            SlotUnitSpec(
                "展示室",
                "Exhibition room",
                (1500, 2000, 2000),
                ("展示",),
                capacity=50,
                area_m2=120,
            ),
            _meeting_room("研修室", "Seminar room", (500, 600, 600), 20),
        ),
    ),
    FacilitySpec(
        slug="igura-no-yakata",
        name="居蔵の館",
        name_en="Igura no Yakata",
        kind=Kind.CULTURE,
        postal_code="839-1321",
        address="福岡県うきは市吉井町1103-1",
        phone="0943-75-4155",
        description="白壁の町並みに残る居蔵造りの商家。座敷と会議室を利用できます。",
        notes="建物保存のため、座敷での飲食はご遠慮ください。",
        units=(
            SlotUnitSpec(
                "座敷",
                "Zashiki (tatami room)",
                (1000, 1200, 1200),
                ("茶道・華道", "会議・研修", "展示"),
                capacity=30,
            ),
            _meeting_room("会議室", "Meeting room", (500, 600, 600), 15),
        ),
    ),
    FacilitySpec(
        slug="shimin-center-3f",
        name="うきは市民センター(うきは市立図書館)3階",
        name_en="Ukiha Citizens' Center (Ukiha City Library) 3F",
        kind=Kind.HALL,
        postal_code="839-1306",
        address="福岡県うきは市吉井町新治282 うきは市民センター3階",
        phone="0943-76-9800",
        description="図書館の上階にある会議室・研修室・調理実習室です。",
        notes="1・2階は図書館です。館内ではお静かにお願いします。",
        units=(
            _meeting_room("大会議室", "Large meeting room", (1500, 2000, 2000), 90),
            _meeting_room("小会議室", "Small meeting room", (600, 800, 800), 20),
            SlotUnitSpec(
                "調理実習室",
                "Cooking room",
                (800, 1000, 1000),
                ("料理教室",),
                capacity=24,
            ),
        ),
    ),
)

RESORT_NOTES = (
    "チェックイン15:00／チェックアウト10:00。1泊2食付きの料金です。"
    "4歳未満のお子様は無料で、人数に含みません。"
)

MINATO_FACILITIES: tuple[FacilitySpec, ...] = (
    FacilitySpec(
        slug="ohiradai-minatoso",
        name="大平台みなと荘",
        name_en="Ohiradai Minato-so",
        kind=Kind.RESORT,
        postal_code="250-0405",
        address="神奈川県足柄下郡箱根町大平台482-1",
        phone="0460-82-2231",
        description="箱根登山鉄道 大平台駅から徒歩約5分、温泉大浴場のある区民保養施設です。",
        notes=RESORT_NOTES,
        weekly_closed_days=(),
        holiday_policy=Policy.OPEN,
        closed_at_year_end=False,
        units=(
            LodgingUnitSpec("和室", "Japanese-style room", 20, 5, 2, "10畳。最大5名。"),
            LodgingUnitSpec("洋室", "Western-style room", 8, 4, 2, "ツイン＋エキストラベッド。"),
        ),
        lodging_rates=LodgingRates(
            resident_adult=(3500, 4500),
            resident_child=(2000, 2500),
            other_adult=(7000, 8500),
            other_child=(4000, 5000),
        ),
    ),
    FacilitySpec(
        slug="lavista-izusan",
        name="ラビスタ伊豆山",
        name_en="La Vista Izusan",
        kind=Kind.RESORT,
        postal_code="413-0002",
        address="静岡県熱海市伊豆山1100-2",
        phone="0557-80-1211",
        description="相模湾を望む冬季施設です（11月1日～3月31日の宿泊に限ります）。",
        notes=RESORT_NOTES,
        weekly_closed_days=(),
        holiday_policy=Policy.OPEN,
        closed_at_year_end=False,
        season=(11, 1, 3, 31),
        units=(
            LodgingUnitSpec("和室", "Japanese-style room", 6, 5, 2, "和室10畳。"),
            LodgingUnitSpec("洋室", "Western-style room", 10, 2, 1, "オーシャンビューのツイン。"),
        ),
        lodging_rates=LodgingRates(
            resident_adult=(6000, 8000),
            resident_child=(3500, 4500),
            other_adult=(11000, 14000),
            other_child=(6500, 8000),
        ),
    ),
    FacilitySpec(
        slug="atagawa-prince",
        name="熱川プリンスホテル",
        name_en="Atagawa Prince Hotel",
        kind=Kind.RESORT,
        postal_code="413-0302",
        address="静岡県賀茂郡東伊豆町奈良本1249-1",
        phone="0557-23-1234",
        description="熱川温泉の海沿いに建つホテル。全室から海が見えます。",
        notes=RESORT_NOTES,
        weekly_closed_days=(),
        holiday_policy=Policy.OPEN,
        closed_at_year_end=False,
        units=(
            LodgingUnitSpec("和室", "Japanese-style room", 10, 5, 2, "和室12畳。"),
            LodgingUnitSpec("洋室", "Western-style room", 6, 3, 2, "トリプル。"),
        ),
        lodging_rates=LodgingRates(
            resident_adult=(5000, 7000),
            resident_child=(3000, 4000),
            other_adult=(9500, 12000),
            other_child=(5500, 7000),
        ),
    ),
)


@dataclass(frozen=True)
class StaffSpec:
    login_id: str
    role: str
    display_name: str
    email: str


@dataclass(frozen=True)
class RegistrantSpec:
    # The 6-digit user number is the login id; the initial password is the birth date.
    user_number: str
    name_kana: str
    name: str
    birth_date: dt.date
    category: str
    phone: str
    email: str
    postal_code: str
    prefecture: str
    city: str
    street: str
    registered_days_ago: int
    kind: str = Registrant.Kind.INDIVIDUAL
    group_name: str = ""
    # An application still waiting in the staff review queue, so the queue is not empty.
    status: str = Registrant.Status.ACTIVE

    @property
    def password(self) -> str:
        return self.birth_date.strftime("%Y%m%d")


STAFF: dict[str, tuple[StaffSpec, ...]] = {
    "minato": (
        StaffSpec("admin", User.StaffRole.ADMIN, "港区 地域振興課", "minato-admin@example.jp"),
        StaffSpec("hoyou", User.StaffRole.FACILITY, "区民保養施設 担当", "minato-hoyou@example.jp"),
    ),
    "ukiha": (
        StaffSpec(
            "admin",
            User.StaffRole.ADMIN,
            "うきは市教育委員会 生涯学習課",
            "ukiha-admin@example.jp",
        ),
        StaffSpec("bunka", User.StaffRole.FACILITY, "うきは市文化会館", "ukiha-bunka@example.jp"),
    ),
}

RESIDENT = Registrant.Category.RESIDENT
WORKER = Registrant.Category.WORKER

REGISTRANTS: dict[str, tuple[RegistrantSpec, ...]] = {
    "minato": (
        RegistrantSpec(
            "482915",
            "ミナト　タロウ",
            "港　太郎",
            dt.date(1980, 5, 14),
            RESIDENT,
            "03-1234-5678",
            "taro.minato@example.jp",
            "105-0023",
            "東京都",
            "港区",
            "芝浦三丁目4番1号",
            registered_days_ago=120,
        ),
        RegistrantSpec(
            "730264",
            "シバ　ハナコ",
            "芝　花子",
            dt.date(1992, 11, 3),
            WORKER,
            "044-210-3456",
            "hanako.shiba@example.jp",
            "210-0007",
            "神奈川県",
            "川崎市川崎区",
            "駅前本町11番地2",
            registered_days_ago=45,
        ),
    ),
    "ukiha": (
        RegistrantSpec(
            "315720",
            "ヨシイ　ハナコ",
            "吉井　花子",
            dt.date(1975, 3, 22),
            RESIDENT,
            "0943-75-1122",
            "hanako.yoshii@example.jp",
            "839-1321",
            "福岡県",
            "うきは市",
            "吉井町1234-5",
            registered_days_ago=200,
        ),
        RegistrantSpec(
            "904381",
            "ウキハ　イチロウ",
            "浮羽　一郎",
            dt.date(1968, 8, 30),
            RESIDENT,
            "0943-77-3344",
            "takkyu-club@example.jp",
            "839-1402",
            "福岡県",
            "うきは市",
            "浮羽町浮羽678",
            registered_days_ago=90,
            kind=Registrant.Kind.GROUP,
            group_name="うきは卓球クラブ",
        ),
        RegistrantSpec(
            "257046",
            "ミノウ　ケンタ",
            "耳納　健太",
            dt.date(1990, 1, 9),
            WORKER,
            "0942-31-5566",
            "kenta.minou@example.jp",
            "830-0032",
            "福岡県",
            "久留米市",
            "東町25-3",
            registered_days_ago=30,
        ),
        RegistrantSpec(
            "628391",
            "チクゴ　ジロウ",
            "筑後　次郎",
            dt.date(1983, 10, 21),
            RESIDENT,
            "0943-76-7788",
            "jiro.chikugo@example.jp",
            "839-1408",
            "福岡県",
            "うきは市",
            "浮羽町朝田582",
            registered_days_ago=2,
            status=Registrant.Status.APPLIED,
        ),
    ),
}


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


def _add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# Cancellation fee tiers (days before the use date → percent of the fee).
TIERS_RESORT = [
    {"days_before": 7, "percent": 0},
    {"days_before": 2, "percent": 50},
    {"days_before": 0, "percent": 100},
]
TIERS_HALL = [
    {"days_before": 14, "percent": 0},
    {"days_before": 3, "percent": 50},
    {"days_before": 0, "percent": 100},
]
TIERS_SPORTS = [{"days_before": 2, "percent": 0}, {"days_before": 0, "percent": 100}]


def _booking_policy(muni: Municipality, spec: FacilitySpec) -> dict[str, Any]:
    """Booking rules by kind of facility: resorts (Minato) for residents and workers only,
    first-come two months ahead; halls in Ukiha reviewed before permission (art. 9.2)."""
    if spec.kind == Facility.Kind.RESORT:
        return {
            "opens_months_before": 2,
            "closes_days_before": 1,
            "max_nights": 2,
            "max_rooms": 2,
            "max_active_reservations": 3,
            "allowed_categories": ["resident", "worker"],
            "requires_approval": False,
            "cancellation_tiers": TIERS_RESORT,
        }
    if spec.kind in (Facility.Kind.HALL, Facility.Kind.CULTURE):
        return {
            "opens_months_before": 6,
            "closes_days_before": 3,
            "max_active_reservations": 5,
            "allowed_categories": [],
            "requires_approval": True,
            "cancellation_tiers": TIERS_HALL,
            "commercial_multiplier_percent": 200,
        }
    return {
        "opens_months_before": 2,
        "closes_days_before": 1,
        "max_active_reservations": 5,
        "allowed_categories": [],
        "requires_approval": False,
        "cancellation_tiers": TIERS_SPORTS,
        "commercial_multiplier_percent": 150,
    }


# (name, English, percent, staff approval, proof, discounted nights a fiscal year, minimum age)
REDUCTIONS: dict[str, tuple[tuple[str, str, int, bool, str, int | None, int | None], ...]] = {
    "minato": (
        (
            "65歳以上の区民（年度2泊まで）",
            "Residents aged 65+ (2 nights a year)",
            50,
            False,
            "",
            2,
            65,
        ),
        (
            "障害者手帳をお持ちの方（年度2泊まで）",
            "Disability certificate holders (2 nights a year)",
            50,
            True,
            "障害者手帳の写し",
            2,
            None,
        ),
    ),
    "ukiha": (
        ("65歳以上の方", "Aged 65 or over", 50, False, "", None, 65),
        (
            "障害者手帳をお持ちの方",
            "Disability certificate holders",
            100,
            True,
            "障害者手帳の写し",
            None,
            None,
        ),
        (
            "公益活動団体（市登録団体）",
            "Registered public-interest groups",
            50,
            True,
            "団体の規約と構成員名簿",
            None,
            None,
        ),
    ),
}


def _non_resident(amount: int) -> int:
    """1.5 times the resident fee, rounded half up to 10 yen, in integers only."""
    return (amount * 3 + 10) // 20 * 10


class _Loader:
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
                **_booking_policy(muni, spec),
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
                (FeeRule.RateClass.NON_RESIDENT, _non_resident(resident)),
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

    def registrants(self, muni: Municipality) -> None:
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
                    "valid_until": _add_years(registered, muni.registration_validity_years),
                },
            )
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
        from yoyaku.reservations.booking import reservation_book
        from yoyaku.reservations.models import Reservation
        from yoyaku.reservations.rules import BookingRequest

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


def _md(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def _ymd(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _load_ukiha(loader: _Loader) -> None:
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
    loader.registrants(muni)
    admin = staff["admin"]
    slots = {
        (s.schedule.name, s.code): s
        for s in Slot.objects.filter(schedule__municipality=muni).select_related("schedule")
    }

    # 施設点検: the main hall is closed on the 2nd Tuesday and Wednesday of next month.
    next_month = _add_months(loader.today, 1)
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


def _load_minato(loader: _Loader) -> None:
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
    use_from = _add_months(loader.today, 2).replace(day=1)
    use_until = _add_months(use_from, 1) - dt.timedelta(days=1)
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
    if not lottery.seed:
        # The secret seed and its public SHA-256, as lottery.services.round_create makes them.
        seed = algorithm.new_seed()
        lottery.seed, lottery.seed_sha256 = seed.hex(), algorithm.seed_commitment(seed)
        lottery.save(update_fields=["seed", "seed_sha256"])
    lottery.units.add(*units.values())


@transaction.atomic
def load_demo() -> DemoSummary:
    """Create or refresh the demo municipalities, facilities, people and calendar entries.

    Idempotent on the same day (see the module docstring). Publishes notices and creates staff
    blocks through their services, so those also write audit rows, once.
    """
    loader = _Loader()
    _load_minato(loader)
    _load_ukiha(loader)
    return loader.summary
