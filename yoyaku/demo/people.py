"""Demo data, the people: staff accounts and registrants of both municipalities."""

from __future__ import annotations

import datetime as dt

from yoyaku.core.models import User
from yoyaku.demo.specs import RegistrantSpec, StaffSpec
from yoyaku.registrants.models import Registrant

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
