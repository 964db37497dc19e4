"""Demo data, the facilities of both municipalities (seed 004 art. 2(2) and seed 000).

Addresses, phone numbers, units and fees are illustrative demo values."""

from __future__ import annotations

from yoyaku.demo.specs import (
    FacilitySpec,
    Kind,
    LodgingRates,
    LodgingUnitSpec,
    Policy,
    SlotUnitSpec,
)

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
