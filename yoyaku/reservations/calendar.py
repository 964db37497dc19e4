"""iCalendar (RFC 5545): a reservation as an event, and the private feed (カレンダー連携).

Rendering: ``reservation_event`` and ``reservations_ics``. A time-slot booking is one timed
event in Asia/Tokyo from its first slot's start to its last slot's end; a stay is an all-day
event from check-in to check-out (DTEND is exclusive, so it is the check-out day). The UID is
stable per reservation, so re-importing the .ics or refreshing the feed updates the event
instead of adding a second one; SEQUENCE grows with every audited change of the reservation.

Feed writes (``calendar_feed_create`` / ``_regenerate`` / ``_revoke``): one transaction and
one audit row each. The token never enters the audit log: it is the only secret of the feed.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Iterable

import icalendar
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from yoyaku.core import clock
from yoyaku.core.models import AuditAction, AuditLog, User
from yoyaku.core.services import audit_record
from yoyaku.registrants.models import Registrant
from yoyaku.reservations.models import CalendarFeed, Reservation

R = Reservation.Status

PRODID = "-//yoyaku//JA"

ICAL_STATUS = {
    R.AWAITING_APPROVAL: "TENTATIVE",
    R.AWAITING_PAYMENT: "TENTATIVE",
    R.CONFIRMED: "CONFIRMED",
    # The stay or the use took place (or was due): it stays in the calendar as it was.
    R.USED: "CONFIRMED",
    R.NO_SHOW: "CONFIRMED",
    R.CANCELLED: "CANCELLED",
    R.REJECTED: "CANCELLED",
}

# The feed lists what holds capacity, what was used (so a past event does not vanish the day
# staff mark it used) and what was cancelled or refused (as STATUS:CANCELLED, so calendar
# apps that imported it remove it).
FEED_STATUSES = (*Reservation.HOLDS_CAPACITY, R.USED, R.NO_SHOW, R.CANCELLED, R.REJECTED)
FEED_PAST_DAYS = 30

# secrets.token_urlsafe(32): 32 random bytes, 43 URL-safe base64 characters.
TOKEN_BYTES = 32
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")

_RESERVATION_TARGET = Reservation._meta.label_lower


# — rendering —


def reservation_uid(reservation: Reservation) -> str:
    return f"reservation-{reservation.pk}@{reservation.unit.facility.municipality.slug}.yoyaku"


def reservation_sequences(reservation_ids: Iterable[int]) -> dict[int, int]:
    """SEQUENCE per reservation: its audited changes after the booking, in one query.

    Every change of a reservation (approve, reject, change, cancel, used …) writes one
    ``reservation.*`` audit row in the same transaction, so the count only ever grows.
    """
    ids = [str(pk) for pk in reservation_ids]
    if not ids:
        return {}
    # Uses index: auditlog.action (a prefix match keeps it usable on PostgreSQL as well).
    rows = (
        AuditLog.objects.filter(
            action__startswith="reservation.", target_type=_RESERVATION_TARGET, target_id__in=ids
        )
        .values("target_id")
        .annotate(n=Count("id"))
    )
    return {int(row["target_id"]): max(0, row["n"] - 1) for row in rows}


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


def _description(reservation: Reservation, slots: list) -> str:
    lines = [
        _("予約番号：%(number)s") % {"number": reservation.number},
        _("状況：%(status)s") % {"status": reservation.get_status_display()},
    ]
    if reservation.unit.is_lodging:
        lines.append(
            _("宿泊：%(nights)s泊・%(rooms)s室")
            % {"nights": reservation.nights, "rooms": reservation.rooms}
        )
    elif slots:
        labels = "、".join(f"{s.display_label}（{s.time_label}）" for s in slots)
        lines.append(_("時間区分：%(slots)s") % {"slots": labels})
    lines.append(_("使用料：%(fee)s円") % {"fee": f"{reservation.fee_total:,}"})
    if reservation.cancellation_fee:
        lines.append(_("取消料：%(fee)s円") % {"fee": f"{reservation.cancellation_fee:,}"})
    return "\n".join(lines)


def reservation_event(
    reservation: Reservation, *, sequence: int | None = None, url: str = ""
) -> icalendar.Event:
    """One VEVENT. Expects ``unit__facility__municipality`` loaded and ``slots`` prefetched
    (else it queries). ``sequence``: from ``reservation_sequences`` (queried when omitted);
    ``url``: the absolute address of the reservation's page, if known."""
    unit = reservation.unit
    facility = unit.facility
    slots = sorted(reservation.slots.all(), key=lambda s: (s.start, s.end))
    status = ICAL_STATUS.get(reservation.status, "TENTATIVE")
    summary = f"{facility.display_name} {unit.display_name}"
    if status == "CANCELLED":
        # Some calendar apps show cancelled events like any other: say it in the title too.
        summary = _("【取消】%(summary)s") % {"summary": summary}
    if sequence is None:
        sequence = reservation_sequences([reservation.pk]).get(reservation.pk, 0)

    event = icalendar.Event()
    event.add("uid", reservation_uid(reservation))
    event.add("dtstamp", _utc(clock.now()))
    event.add("created", _utc(reservation.created_at))
    event.add("sequence", sequence)
    event.add("summary", summary)
    if unit.is_lodging or not slots:
        # All-day (VALUE=DATE); DTEND is exclusive: the check-out day.
        event.add("dtstart", reservation.use_date)
        event.add("dtend", reservation.use_date + dt.timedelta(days=reservation.nights))
    else:
        event.add("dtstart", clock.at(reservation.use_date, min(s.start for s in slots)))
        event.add("dtend", clock.at(reservation.use_date, max(s.end for s in slots)))
    event.add("location", facility.address or facility.display_name)
    event.add("description", _description(reservation, slots))
    event.add("status", status)
    if url:
        event.add("url", url)
    return event


def reservations_ics(
    reservations: Iterable[Reservation],
    *,
    name: str,
    url_for: Callable[[Reservation], str] | None = None,
) -> bytes:
    """A VCALENDAR of the reservations (2 queries for SEQUENCE and slots if not prefetched:
    pass a queryset with ``select_related("unit__facility__municipality")`` and
    ``prefetch_related("slots")``)."""
    reservations = list(reservations)
    sequences = reservation_sequences(r.pk for r in reservations)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", str(clock.JST))
    for reservation in reservations:
        calendar.add_component(
            reservation_event(
                reservation,
                sequence=sequences.get(reservation.pk, 0),
                url=url_for(reservation) if url_for else "",
            )
        )
    # VTIMEZONE for Asia/Tokyo, before the events that name it (only if a timed event does).
    calendar.add_missing_timezones()
    return calendar.to_ical()


# — the private feed: reads —


def calendar_feed_by_token(token: str) -> CalendarFeed | None:
    """The active feed of this token, or None (unknown, revoked, or the account closed).

    Looked up through the unique index on the token, never by scanning and comparing: the
    token carries 256 random bits, so how long a miss takes tells a guesser nothing usable.
    """
    if not _TOKEN_SHAPE.fullmatch(token or ""):
        return None
    feed = (
        CalendarFeed.objects.active()
        .select_related("registrant__user", "registrant__municipality")
        .filter(token=token)
        .first()
    )
    if feed is None or not feed.registrant.user.is_active:
        return None
    return feed


def feed_reservations(registrant: Registrant, *, today: dt.date | None = None):
    """The reservations a registrant's feed lists: from 30 days ago onward."""
    today = today or clock.today()
    return (
        Reservation.objects.filter(
            registrant=registrant,
            status__in=FEED_STATUSES,
            use_date__gte=today - dt.timedelta(days=FEED_PAST_DAYS),
        )
        .select_related("unit__facility__municipality")
        .prefetch_related("slots")
        .order_by("use_date", "id")
    )


# — the private feed: writes —


def _lock(registrant: Registrant) -> Registrant:
    # Serialises a registrant's feed changes (two tabs pressing 作り直す at once); the partial
    # unique constraint ``calendar_feed_one_active`` is the last word.
    return Registrant.objects.select_for_update().get(pk=registrant.pk)


def _new_feed(registrant: Registrant) -> CalendarFeed:
    return CalendarFeed.objects.create(
        registrant=registrant, token=secrets.token_urlsafe(TOKEN_BYTES), created_at=clock.now()
    )


def _revoke(feed: CalendarFeed) -> None:
    feed.revoked_at = clock.now()
    feed.save(update_fields=["revoked_at"])


@transaction.atomic
def calendar_feed_create(*, registrant: Registrant, by: User) -> CalendarFeed:
    """Start a feed. If one is already active it is returned unchanged (pressing 作成 twice
    must not silently invalidate the address already given to a calendar app).
    Side effect: audit row ``calendar_feed.create`` (without the token)."""
    registrant = _lock(registrant)
    current = CalendarFeed.objects.filter(registrant=registrant).current()
    if current is not None:
        return current
    feed = _new_feed(registrant)
    audit_record(
        action=AuditAction.CALENDAR_FEED_CREATE,
        actor=by,
        municipality=registrant.municipality,
        target=feed,
    )
    return feed


@transaction.atomic
def calendar_feed_regenerate(*, registrant: Registrant, by: User) -> CalendarFeed:
    """作り直す: revoke the active feed (if any) and start a new one, e.g. after the address
    leaked. The old address answers 404 from now on.
    Side effect: audit row ``calendar_feed.regenerate`` naming the revoked feed's id."""
    registrant = _lock(registrant)
    old = CalendarFeed.objects.filter(registrant=registrant).current()
    if old is not None:
        _revoke(old)
    feed = _new_feed(registrant)
    audit_record(
        action=AuditAction.CALENDAR_FEED_REGENERATE,
        actor=by,
        municipality=registrant.municipality,
        target=feed,
        data={"revoked_feed_id": old.pk if old else None},
    )
    return feed


@transaction.atomic
def calendar_feed_revoke(*, registrant: Registrant, by: User) -> CalendarFeed | None:
    """停止: the active feed answers 404 from now on. Nothing to stop: returns None, no row.
    Side effect: audit row ``calendar_feed.revoke``."""
    registrant = _lock(registrant)
    feed = CalendarFeed.objects.filter(registrant=registrant).current()
    if feed is None:
        return None
    _revoke(feed)
    audit_record(
        action=AuditAction.CALENDAR_FEED_REVOKE,
        actor=by,
        municipality=registrant.municipality,
        target=feed,
    )
    return feed
