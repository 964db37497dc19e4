"""Signals for staff: log-in failures spiking, and user numbers shared between people."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q

from yoyaku.core.models import Municipality, User
from yoyaku.security.models import LoginAttempt, Passkey

SPIKE_WINDOW = dt.timedelta(hours=1)
BASELINE_PERIOD = dt.timedelta(days=7)
# Flag when the last hour's failures exceed max(SPIKE_MIN_FAILURES, SPIKE_FACTOR × baseline).
SPIKE_MIN_FAILURES = 50
SPIKE_FACTOR = 5
TOP_COUNT = 10

SHARED_ID_WINDOW = dt.timedelta(hours=24)
SHARED_ID_MIN_ADDRESSES = 4


@dataclass(frozen=True)
class SourceRow:
    network: str
    failures: int
    login_ids: int  # how many different ids this client tried


@dataclass(frozen=True)
class TargetRow:
    kind: str
    login_id: str
    failures: int
    sources: int  # from how many different client addresses

    @property
    def kind_label(self) -> str:
        return User.Kind(self.kind).label


@dataclass(frozen=True)
class AttemptSpike:
    failures: int  # failed attempts in the last hour, including those refused by the throttle
    throttled: int  # of which refused before the password was checked
    baseline_per_hour: float  # average failures per hour over the previous 7 days
    threshold: int
    top_sources: list[SourceRow]
    top_targets: list[TargetRow]

    @property
    def is_spike(self) -> bool:
        return self.failures > self.threshold


def attempt_spike(
    *, municipality: Municipality, at: dt.datetime, top: int = TOP_COUNT
) -> AttemptSpike:
    """The last hour's failed log-ins against the hourly average of the 7 days before.

    Three queries, whatever the volume: the counts, the top client addresses, the top login
    ids. Refused (throttled) attempts count as failures here: they are the attack's volume.
    """
    hour_start = at - SPIKE_WINDOW
    baseline_start = hour_start - BASELINE_PERIOD
    # Uses index login_attempt_municipality for all three.
    failed = LoginAttempt.objects.filter(municipality=municipality, succeeded=False, at__lte=at)
    counts = failed.filter(at__gt=baseline_start).aggregate(
        failures=Count("pk", filter=Q(at__gt=hour_start)),
        throttled=Count("pk", filter=Q(at__gt=hour_start, throttled=True)),
        baseline=Count("pk", filter=Q(at__lte=hour_start)),
    )
    baseline = counts["baseline"] / (BASELINE_PERIOD / SPIKE_WINDOW)
    last_hour = failed.filter(at__gt=hour_start)
    sources = (
        last_hour.values("network")
        .annotate(failures=Count("pk"), login_ids=Count("login_id", distinct=True))
        .order_by("-failures", "network")[:top]
    )
    targets = (
        last_hour.values("kind", "login_id")
        .annotate(failures=Count("pk"), sources=Count("network", distinct=True))
        .order_by("-failures", "kind", "login_id")[:top]
    )
    return AttemptSpike(
        failures=counts["failures"],
        throttled=counts["throttled"],
        baseline_per_hour=baseline,
        threshold=max(SPIKE_MIN_FAILURES, int(SPIKE_FACTOR * baseline)),
        top_sources=[SourceRow(**row) for row in sources],
        top_targets=[TargetRow(**row) for row in targets],
    )


@dataclass(frozen=True)
class SharedIdSignal:
    login_id: str
    addresses: int  # distinct client addresses (IPv6: /64s)
    devices: int  # distinct user-agent hashes
    logins: int
    last_at: dt.datetime


def shared_id_signals(
    *,
    municipality: Municipality,
    at: dt.datetime,
    window: dt.timedelta = SHARED_ID_WINDOW,
    min_addresses: int = SHARED_ID_MIN_ADDRESSES,
) -> list[SharedIdSignal]:
    """User numbers with successful log-ins from ≥ ``min_addresses`` addresses or devices.

    Shared IDs are prohibited (Ukiha art. 11.4). A signal for staff to look into, not proof:
    one person moving between home Wi-Fi, a phone network and work also changes address.
    One query.
    """
    rows = (
        LoginAttempt.objects.filter(
            municipality=municipality,
            kind=User.Kind.REGISTRANT,
            succeeded=True,
            at__gt=at - window,
            at__lte=at,
        )
        .values("login_id")
        .annotate(
            addresses=Count("network", distinct=True),
            devices=Count("user_agent_hash", distinct=True),
            logins=Count("pk"),
            last_at=Max("at"),
        )
        .filter(Q(addresses__gte=min_addresses) | Q(devices__gte=min_addresses))
        .order_by("-addresses", "-devices", "login_id")
    )
    return [SharedIdSignal(**row) for row in rows]


def passkeys_of(user: User | None) -> list[Passkey]:
    """A person's passkeys, oldest first (one query)."""
    if user is None or user.pk is None:
        return []
    return list(Passkey.objects.filter(user=user).order_by("created_at", "pk"))
