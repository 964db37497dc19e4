"""Demo data, the shapes: municipalities, facility and people specifications, policies."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import models

from yoyaku.core.models import Municipality
from yoyaku.facilities.models import (
    Facility,
)
from yoyaku.registrants.models import Registrant

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
    # Art. 3: any individual or group may register; the fee tables have non-resident rates.
    "allows_non_residents": True,
    "non_resident_label": "うきは市外の方",
    "non_resident_label_en": "I live and work outside Ukiha City",
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
        "★ホールの予約は、教育委員会の審査を経て許可された後、オンライン決済"
        "（クレジットカード・コンビニ払い・PayPay）でお支払いいただいた時点で確定します。"
        "体育館・運動施設は、申込みの後、オンライン決済でお支払いいただいた時点で確定します。\n"
        "★文化施設の予約は、審査を経て許可された時点で確定します。使用料はオンライン決済"
        "または施設の窓口でお支払いください。\n"
        "★お支払いの期限は、申込み（許可）から7日後、遅くとも利用日の3日前です。"
        "期限までにお支払いがないと、予約は自動的に取り消されます。"
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


# 入室コード: one facility of each municipality opens with a smart lock (the fake one), so the
# demo's reservations there show their code (a stay in Minato; in Ukiha once paid).
ENTRY_CODE_FACILITIES = {"ohiradai-minatoso", "ukiha-gym"}

# 受付開始直後の公平な受付: Ukiha's gym opens each date at 8:00 on its opening day, and the
# requests of the first 60 seconds are served in a drawn order (reservations.opening).
FAIR_START_FACILITIES = {"ukiha-gym": {"opening_hour": 8, "fair_window_seconds": 60}}


def booking_policy(muni: Municipality, spec: FacilitySpec) -> dict[str, Any]:
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
            # Paid online ahead or at the reception on arrival.
            "payment_mode": Facility.PaymentMode.OPTIONAL,
            "payment_methods": ["card", "konbini"],
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
            # Ukiha art. 10: halls are confirmed by paying online after the permission;
            # culture facilities take either (art. 10.2: not every facility takes it).
            "payment_mode": Facility.PaymentMode.REQUIRED
            if spec.kind == Facility.Kind.HALL
            else Facility.PaymentMode.OPTIONAL,
        }
    return {
        "opens_months_before": 2,
        "closes_days_before": 1,
        "max_active_reservations": 5,
        "allowed_categories": [],
        "requires_approval": False,
        "cancellation_tiers": TIERS_SPORTS,
        "commercial_multiplier_percent": 150,
        "payment_mode": Facility.PaymentMode.REQUIRED,
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


def non_resident(amount: int) -> int:
    """1.5 times the resident fee, rounded half up to 10 yen, in integers only."""
    return (amount * 3 + 10) // 20 * 10
