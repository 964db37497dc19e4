"""Reads of registrations: may this registrant apply, the staff review queue."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import Replace
from django.utils.translation import gettext_lazy as _

from yoyaku.core import clock
from yoyaku.core.models import Municipality, User
from yoyaku.facilities.models import ReductionCategory
from yoyaku.registrants import normalize
from yoyaku.registrants.models import (
    ChangeRequest,
    ReductionGrant,
    Registrant,
    TermsAgreement,
    TermsOfUse,
)

S = Registrant.Status

# The labels the person saw on the form, for the fields a change request may carry.
CHANGE_LABELS = {
    "name": _("氏名漢字"),
    "name_kana": _("氏名カタカナ"),
    "category": _("在住・在勤区分"),
    "postal_code": _("郵便番号"),
    "prefecture": _("都道府県"),
    "city": _("市区郡"),
    "street": _("町村番地"),
    "workplace_name": _("勤務先名称(在勤の方)"),
    "workplace_postal_code": _("勤務先の郵便番号"),
    "workplace_prefecture": _("勤務先の都道府県"),
    "workplace_city": _("勤務先の市区郡"),
    "workplace_street": _("勤務先の町村番地"),
    "workplace_phone": _("勤務先電話番号(在勤の方)"),
}


@dataclass(frozen=True)
class ChangeLine:
    label: str
    old: str
    new: str


def _shown(registrant: Registrant, field: str, value: str) -> str:
    if field == "category" and value in Registrant.Category.values:
        return str(Registrant.Category(value).label)
    return value


def change_lines(change: ChangeRequest) -> list[ChangeLine]:
    """What a pending change request changes, as the clerk reads it: label, old → new.

    The old value is the registrant's current one: while a request is pending nothing else
    changes those fields (one pending request per registrant; staff edits go through it).
    """
    registrant = change.registrant
    lines = []
    for field, new in change.changes.items():
        old = str(getattr(registrant, field, "") or "")
        lines.append(
            ChangeLine(
                label=str(CHANGE_LABELS.get(field, field)),
                old=_shown(registrant, field, old),
                new=_shown(registrant, field, str(new)),
            )
        )
    return lines


def pending_change_reviews(*, municipality: Municipality) -> list[ChangeRequest]:
    """The review queue of change requests, each with its ``lines`` (see change_lines)."""
    changes = list(pending_changes(municipality=municipality))
    for change in changes:
        change.lines = change_lines(change)
    return changes


def registrant_of(user: User | None, municipality: Municipality) -> Registrant | None:
    if user is None or not user.is_authenticated or user.kind != User.Kind.REGISTRANT:
        return None
    if user.municipality_id != municipality.pk:
        return None
    registrant = Registrant.objects.select_related("municipality").filter(user=user).first()
    if registrant is not None:
        registrant.user = user  # the same row: later reads of it (the mail language) are free
    return registrant


def booking_refusal(registrant: Registrant) -> str | None:
    """Why this registrant may not apply for reservations or lotteries now, or None.

    Book-before-review municipalities (Minato) let applicants apply at once; review-before-
    booking ones (Ukiha) only after approval. Expired, ended and suspected-duplicate
    registrations may not apply.
    """
    if registrant.duplicate_suspected:
        return "duplicate_suspected"
    if registrant.status == S.ACTIVE:
        if registrant.valid_until and registrant.valid_until < clock.today():
            return "expired"
        return None
    if registrant.status in (S.APPLIED, S.INFO_REQUESTED):
        mode = registrant.municipality.registration_mode
        if mode == Municipality.RegistrationMode.BOOK_BEFORE_REVIEW:
            return None
        return "under_review"
    if registrant.status == S.EXPIRED:
        return "expired"
    return "ended"


def review_queue(*, municipality: Municipality, status: str | None = None) -> QuerySet[Registrant]:
    qs = Registrant.objects.filter(municipality=municipality)
    if status == "duplicates":
        qs = qs.filter(duplicate_suspected=True)
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = qs.filter(Q(status__in=[S.APPLIED, S.INFO_REQUESTED]) | Q(duplicate_suspected=True))
    return qs.order_by("registered_at", "pk")


def review_counts(*, municipality: Municipality) -> dict[str, int]:
    counts = dict(
        Registrant.objects.filter(municipality=municipality)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    counts["duplicates"] = Registrant.objects.filter(
        municipality=municipality, duplicate_suspected=True
    ).count()
    counts["changes"] = ChangeRequest.objects.filter(
        registrant__municipality=municipality, status=ChangeRequest.Status.PENDING
    ).count()
    return counts


def registrant_search(*, municipality: Municipality, query: str) -> QuerySet[Registrant]:
    """Registrants by user number, kana or kanji name (spaces and hiragana / half-width kana
    ignored), phone number (dashes ignored) or e-mail address: the query is normalised as the
    registration form normalises what people type."""
    query = query.strip()
    qs = Registrant.objects.filter(municipality=municipality, anonymized_at__isnull=True)
    if not query:
        return qs.none()
    kana = normalize.katakana_name(query).replace(normalize.FULL_SPACE, "")
    kanji = normalize.kanji_name(query).replace(normalize.FULL_SPACE, "")
    qs = qs.annotate(
        name_key=Replace("name", Value(normalize.FULL_SPACE), Value("")),
        kana_key=Replace("name_kana", Value(normalize.FULL_SPACE), Value("")),
        phone_key=Replace("phone", Value("-"), Value("")),
    )
    condition = Q(name_key__contains=kanji) | Q(group_name__contains=query)
    if kana:
        condition |= Q(kana_key__contains=kana)
    if "@" in query:
        condition |= Q(email__iexact=normalize.email(query))
    digits = normalize.phone_digits(normalize.half_width(query))
    if digits and len(digits) == len(normalize.half_width(query).replace("-", "")):
        condition |= Q(user_number=digits)
        if len(digits) >= 4:
            condition |= Q(phone_key__contains=digits)
    return qs.filter(condition).order_by("user_number")[:50]


def pending_changes(*, municipality: Municipality) -> QuerySet[ChangeRequest]:
    return (
        ChangeRequest.objects.filter(
            registrant__municipality=municipality, status=ChangeRequest.Status.PENDING
        )
        .select_related("registrant")
        .order_by("created_at")
    )


def pending_upload_exists(path: str | None) -> bool:
    """Is this pending proof still kept? (The hourly clean-up deletes it after an hour.)"""
    return bool(path) and default_storage.exists(path)


def terms_current(municipality: Municipality) -> TermsOfUse | None:
    """The municipality's terms of use in force: the latest version published (None: the
    municipality has published none, and nobody is asked to agree)."""
    return (
        TermsOfUse.objects.filter(municipality=municipality, published_at__lte=clock.now())
        .order_by("-version")
        .first()
    )


def terms_agreement_latest(registrant: Registrant) -> TermsAgreement | None:
    return (
        TermsAgreement.objects.select_related("terms")
        .filter(registrant=registrant)
        .order_by("-agreed_at", "-id")
        .first()
    )


def terms_to_agree(registrant: Registrant) -> TermsOfUse | None:
    """The current terms when the registrant's latest agreement is to another version, or
    when there is none (registered before the terms existed); otherwise None."""
    current = terms_current(registrant.municipality)
    if current is None:
        return None
    latest = terms_agreement_latest(registrant)
    if latest is not None and latest.terms_id == current.pk:
        return None
    return current


def reductions_offered(registrant: Registrant) -> QuerySet[ReductionCategory]:
    """The 減免 categories a booking may name for this registrant: those granted to them, and
    those that need no approval. The booking rules refuse any other."""
    granted = ReductionGrant.objects.filter(
        registrant=registrant, status=ReductionGrant.Status.APPROVED
    ).values_list("category_id", flat=True)
    return ReductionCategory.objects.filter(municipality_id=registrant.municipality_id).filter(
        Q(pk__in=list(granted)) | Q(requires_approval=False)
    )
