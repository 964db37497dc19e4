"""The municipality's own settings, set by its administrators in the console (自治体の設定).

Two writers, each one transaction with its audit row holding every changed value before and
after: :func:`municipality_update` (the policies: names, how registration works, who may
register and how they are called, the examples the forms show, service hours, the year-end
closure, the top page's texts) and :func:`municipality_documents_update` (how the permit and
the registration card are printed: the issuer's name, the conditions, the card's note and the
official seal). Each refusal is a ``DomainError`` naming the field, so a form shows it next
to that field and the API would give the same words.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditAction, Municipality, User
from yoyaku.core.services import audit_record
from yoyaku.core.uploads import JPEG, PNG, extension_of, sniff_upload

SEAL_MAX_BYTES = 1024 * 1024
PNG_SIGNATURE, JPEG_SIGNATURE = b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"
PHONE = re.compile(r"[0-9]{2,5}-?[0-9]{1,4}-?[0-9]{3,4}")
KANA = re.compile(r"[ァ-ヴー・ヽヾ\u3000 ]+")


@dataclass(frozen=True)
class Text:
    label: Any
    max_length: int
    required: bool = False


@dataclass(frozen=True)
class Number:
    label: Any
    low: int
    high: int


# The policies, declared once: the console's form is built from this table and the service
# checks against it. Each entry is a field of Municipality.
POLICY_TEXTS: dict[str, Text] = {
    "name": Text(_("自治体名"), 50, required=True),
    "name_en": Text(_("自治体名（英語）"), 80),
    "system_name": Text(_("システムの名称"), 100, required=True),
    "system_name_en": Text(_("システムの名称（英語）"), 150),
    "resident_label": Text(_("在住の方の呼び方"), 50, required=True),
    "resident_label_en": Text(_("在住の方の呼び方（英語）"), 80),
    "worker_label": Text(_("在勤の方の呼び方"), 50, required=True),
    "worker_label_en": Text(_("在勤の方の呼び方（英語）"), 80),
    "non_resident_label": Text(_("市外の方の呼び方"), 50),
    "non_resident_label_en": Text(_("市外の方の呼び方（英語）"), 80),
    "example_name": Text(_("氏名の例"), 50),
    "example_name_kana": Text(_("氏名カタカナの例"), 50),
    "example_phone": Text(_("電話番号の例"), 20),
    "contact_text": Text(_("問合せ先"), 1000),
    "about_text": Text(_("トップページの説明文"), 4000),
}
POLICY_NUMBERS: dict[str, Number] = {
    "minimum_age": Number(_("登録できる年齢"), 0, 99),
    "registration_validity_years": Number(_("登録の有効期間（年）"), 1, 10),
    "user_number_digits": Number(_("利用者番号の桁数"), 4, 10),
    "free_child_age": Number(_("無料の子どもの年齢（未満）"), 0, 18),
    "year_end_start_month": Number(_("年末年始の休止（開始月）"), 1, 12),
    "year_end_start_day": Number(_("年末年始の休止（開始日）"), 1, 31),
    "year_end_end_month": Number(_("年末年始の休止（終了月）"), 1, 12),
    "year_end_end_day": Number(_("年末年始の休止（終了日）"), 1, 31),
    "service_open_minute": Number(_("受付開始"), 0, 1439),
    "service_close_minute": Number(_("受付終了"), 1, 1440),
}
POLICY_FLAGS: dict[str, Any] = {
    "allows_residents": _("在住の方が登録できる"),
    "allows_workers": _("在勤の方が登録できる"),
    "allows_non_residents": _("市外の方（在住・在勤でない方）も登録できる"),
    "allows_groups": _("団体で登録できる"),
    "lottery_runner_up": _("取り消された当選枠を次点の方に繰り上げる（先着順の受付開始まで）"),
}
POLICY_FIELDS = (
    "registration_mode",
    *POLICY_TEXTS,
    *POLICY_NUMBERS,
    *POLICY_FLAGS,
)


def _text(name: str, value: Any) -> str:
    spec = POLICY_TEXTS[name]
    value = str(value or "").replace("\r\n", "\n").strip()
    if spec.required and not value:
        raise DomainError("municipality_field_required", field=name, label=spec.label)
    if len(value) > spec.max_length:
        raise DomainError(
            "municipality_field_too_long", field=name, label=spec.label, max=spec.max_length
        )
    return value


def _number(name: str, value: Any) -> int:
    spec = POLICY_NUMBERS[name]
    if isinstance(value, bool) or not isinstance(value, int) or not spec.low <= value <= spec.high:
        raise DomainError(
            "municipality_number_range", field=name, label=spec.label, low=spec.low, high=spec.high
        )
    return value


def _check_policies(municipality: Municipality, values: dict[str, Any]) -> None:
    """Rules between fields, on the values as they will be after the change."""
    if values["registration_mode"] not in Municipality.RegistrationMode.values:
        raise DomainError("municipality_mode_invalid", field="registration_mode")
    if values["example_phone"] and not PHONE.fullmatch(values["example_phone"]):
        raise DomainError("municipality_phone_invalid", field="example_phone")
    if values["example_name_kana"] and not KANA.fullmatch(values["example_name_kana"]):
        raise DomainError("municipality_kana_invalid", field="example_name_kana")
    for which in ("start", "end"):
        month, day = values[f"year_end_{which}_month"], values[f"year_end_{which}_day"]
        try:
            dt.date(2023, month, day)  # not a leap year: 2/29 would close only one year in four
        except ValueError:
            raise DomainError(
                "municipality_date_invalid",
                field=f"year_end_{which}_day",
                label=POLICY_NUMBERS[f"year_end_{which}_day"].label,
            ) from None
    if values["service_open_minute"] >= values["service_close_minute"]:
        raise DomainError("municipality_service_hours", field="service_close_minute")
    if not (
        values["allows_residents"] or values["allows_workers"] or values["allows_non_residents"]
    ):
        raise DomainError("municipality_nobody_registers", field="allows_residents")
    if (
        values["user_number_digits"] != municipality.user_number_digits
        and municipality.users.filter(kind=User.Kind.REGISTRANT).exists()
    ):
        raise DomainError("municipality_digits_in_use", field="user_number_digits")


def _changes(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} of the fields that differ, for the audit row."""
    return {
        name: [getattr(obj, name), value]
        for name, value in values.items()
        if getattr(obj, name) != value
    }


@transaction.atomic
def municipality_update(
    *, municipality: Municipality, by: User | None, ip_address: str | None = None, **changes: Any
) -> Municipality:
    """Change the municipality's policies: any of :data:`POLICY_FIELDS` as keyword arguments
    (texts as str, numbers as int, flags as bool, ``registration_mode`` a RegistrationMode).

    A change takes effect at once for what comes next: switching to review before booking
    keeps applicants not yet reviewed from booking; registrations and reservations made keep
    their state. Raises ``DomainError`` naming the field (an unknown keyword is a
    ``TypeError``). Writes ``municipality.update`` with each changed field before and after."""
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise TypeError(f"not a policy of the municipality: {sorted(unknown)}")
    municipality = Municipality.objects.select_for_update().get(pk=municipality.pk)
    values = {name: getattr(municipality, name) for name in POLICY_FIELDS}
    for name, value in changes.items():
        if name in POLICY_TEXTS:
            value = _text(name, value)
        elif name in POLICY_NUMBERS:
            value = _number(name, value)
        elif name in POLICY_FLAGS:
            value = bool(value)
        values[name] = value
    _check_policies(municipality, values)
    changed = _changes(municipality, values)
    if changed:
        for name in changed:
            setattr(municipality, name, values[name])
        municipality.save(update_fields=list(changed))
    audit_record(
        action=AuditAction.MUNICIPALITY_UPDATE,
        actor=by,
        municipality=municipality,
        target=municipality,
        data={"changes": changed},
        ip_address=ip_address,
    )
    return municipality


# ---------------------------------------------------------------------------------------------
# The permit (使用許可書) and the registration card (利用者登録証) as printed
# ---------------------------------------------------------------------------------------------

DOCUMENT_TEXTS: dict[str, Text] = {
    "permit_issuer": Text(_("許可書の発行者名"), 60),
    "permit_conditions": Text(_("使用の条件・注意事項"), 3000),
    "card_note": Text(_("登録証の注記"), 60),
}


def seal_check(file: File) -> str:
    """The content type of a seal image (PNG or JPEG, found from its bytes, at most 1 MB);
    ``DomainError`` on the field ``seal`` otherwise."""
    if file.size is not None and file.size > SEAL_MAX_BYTES:
        raise DomainError("seal_too_big", field="seal")
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    # Any other kind the uploads accept (a PDF) is no image: say so before checking it.
    if not head.startswith((PNG_SIGNATURE, JPEG_SIGNATURE)):
        raise DomainError("seal_type", field="seal")
    try:
        content_type = sniff_upload(file)
    except ValidationError as error:
        code = error.code or ""
        if code == "upload_too_big":
            raise DomainError("seal_too_big", field="seal") from None
        if code in ("upload_broken", "upload_no_pages"):
            raise DomainError("seal_broken", field="seal") from None
        raise DomainError("seal_type", field="seal") from None
    if content_type not in (PNG, JPEG):
        raise DomainError("seal_type", field="seal")
    return content_type


@transaction.atomic
def municipality_documents_update(
    *,
    municipality: Municipality,
    by: User | None,
    permit_issuer: str,
    permit_conditions: str,
    card_note: str,
    seal: File | None = None,
    remove_seal: bool = False,
    ip_address: str | None = None,
) -> Municipality:
    """Set how the permit and the registration card are printed.

    Blank texts print the standard wording. ``permit_conditions`` is one condition a line.
    A new ``seal`` (PNG or JPEG, at most 1 MB, checked by content) replaces the old one;
    ``remove_seal`` prints none. Writes ``municipality.documents_update`` with the changed
    texts before and after and, for the seal, whether one was set before and after."""
    municipality = Municipality.objects.select_for_update().get(pk=municipality.pk)
    values = {
        "permit_issuer": _document_text("permit_issuer", permit_issuer),
        "permit_conditions": "\n".join(
            line.strip()
            for line in _document_text("permit_conditions", permit_conditions).splitlines()
            if line.strip()
        ),
        "card_note": _document_text("card_note", card_note),
    }
    content_type = seal_check(seal) if seal is not None else ""
    changed = _changes(municipality, values)
    had_seal = bool(municipality.seal)
    for name, value in values.items():
        setattr(municipality, name, value)
    fields = list(values)
    old_seal = municipality.seal.name if had_seal else ""
    if seal is not None:
        municipality.seal.save(
            f"{municipality.slug}.{extension_of(content_type)}", seal, save=False
        )
        municipality.seal_content_type = content_type
        fields += ["seal", "seal_content_type"]
    elif remove_seal and had_seal:
        municipality.seal = ""
        municipality.seal_content_type = ""
        fields += ["seal", "seal_content_type"]
    municipality.save(update_fields=fields)
    if old_seal and old_seal != municipality.seal.name:
        # Removed after the commit: a rolled-back change keeps the seal it had.
        storage, name = municipality.seal.storage, old_seal
        transaction.on_commit(lambda: storage.delete(name))
    if seal is not None or (remove_seal and had_seal):
        changed["seal"] = [had_seal, bool(municipality.seal)]
    audit_record(
        action=AuditAction.MUNICIPALITY_DOCUMENTS_UPDATE,
        actor=by,
        municipality=municipality,
        target=municipality,
        data={"changes": changed},
        ip_address=ip_address,
    )
    return municipality


def _document_text(name: str, value: str) -> str:
    spec = DOCUMENT_TEXTS[name]
    value = str(value or "").replace("\r\n", "\n").strip()
    if len(value) > spec.max_length:
        raise DomainError(
            "municipality_field_too_long", field=name, label=spec.label, max=spec.max_length
        )
    return value
