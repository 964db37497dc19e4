"""Log-in protection: throttling by client address, and the record of every attempt.

Why there is no per-account lock: in Kawasaki (2020) an attacker sent 445,000 wrong passwords
to a 7-digit user-number system and so locked about 1,000 citizens out of their accounts. A
counter per account that blocks every address hands that power to any stranger. Here the
delays are keyed by the client instead:

* per client address (``network``: the IPv4 address or the IPv6 /64), over all accounts of all
  municipalities: ``ADDRESS_FREE_FAILURES`` failures are free, then each further attempt waits
  2^(n − free) seconds after the latest failure, at most ``ADDRESS_MAX_DELAY``;
* per (client address, municipality, kind, login id): ``PAIR_FREE_FAILURES`` failures are free,
  then 2^(n − free) seconds, at most ``PAIR_MAX_DELAY``; a successful log-in of the pair
  starts it afresh.

An attempt whose password is still being checked (``pending``) is not a failure: many people
logging in at once from one address (a school, a community centre behind one NAT) are not
slowed down. Flood protection stays: while an address (or pair) has fewer failures than its
free ones, at most ``ADDRESS_MAX_IN_FLIGHT`` (``PAIR_MAX_IN_FLIGHT``) checks run at once, so a
burst of 10,000 requests checks at most the free failures plus that many passwords; once the
free failures are used up, every attempt in flight counts as a failure again, so a burst after
a delay runs out checks one password. An attempt left pending longer than ``PENDING_TIMEOUT``
(its request died) is a failure.

Both count the failures of the last ``FAILURE_WINDOW``. The window is longer than the largest
delay on purpose: with a window shorter than the delay (say 15 minutes and 1 hour), the
failures age out while the client waits and the delay never grows past the window.

The owner logging in from any other address is never slowed down by an attacker; staff see
the attack on /staff/security/ (:mod:`yoyaku.security.selectors`). Delays are computed from the
recorded attempts; nothing sleeps in the request thread.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import Count, Max, Q
from django.http import HttpRequest

from yoyaku.core import clock
from yoyaku.core.models import Municipality, User
from yoyaku.security.models import ActionAttempt, LoginAttempt

logger = logging.getLogger(__name__)

FAILURE_WINDOW = dt.timedelta(hours=24)
ADDRESS_FREE_FAILURES = 10
ADDRESS_MAX_DELAY = dt.timedelta(hours=1)
PAIR_FREE_FAILURES = 5
PAIR_MAX_DELAY = dt.timedelta(minutes=15)
ADDRESS_MAX_IN_FLIGHT = 30
PAIR_MAX_IN_FLIGHT = 5
PENDING_TIMEOUT = dt.timedelta(minutes=1)

LOGIN_ID_MAX_LENGTH = LoginAttempt._meta.get_field("login_id").max_length

_warned_untrusted_forwarded_for = False


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or from X-Forwarded-For behind trusted proxies.

    The header is read only when ``YOYAKU_TRUSTED_PROXY_COUNT = n > 0`` and the connection
    comes from a network of ``YOYAKU_TRUSTED_PROXIES``: a client reaching the site directly
    cannot choose its own address to dodge the throttle. The header is then walked from the
    right (each proxy appends the address it was connected from; whatever is further left was
    sent by the client and may be forged), skipping trusted proxies' addresses, for at most n
    entries: the first untrusted address is the client; if all n are trusted, the n-th. A
    malformed entry among them gives REMOTE_ADDR.
    """
    global _warned_untrusted_forwarded_for
    remote = _valid_ip(request.META.get("REMOTE_ADDR", ""))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    proxies = int(getattr(settings, "YOYAKU_TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies <= 0:
        if forwarded and not _warned_untrusted_forwarded_for:
            # Behind a proxy every client would share the proxy's address (and its throttle).
            _warned_untrusted_forwarded_for = True
            logger.warning(
                "X-Forwarded-For is present but ignored: set YOYAKU_TRUSTED_PROXY_COUNT "
                "if the site runs behind a reverse proxy"
            )
        return remote
    trusted = _trusted_networks()
    if remote is None or not _in_networks(remote, trusted):
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote
    walked = None
    for hop in list(reversed(hops))[:proxies]:
        walked = _valid_ip(hop)
        if walked is None:
            return remote
        if not _in_networks(walked, trusted):
            return walked
    return walked


def _trusted_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(str(network).strip(), strict=False)
        for network in getattr(settings, "YOYAKU_TRUSTED_PROXIES", ()) or ()
    ]


def _in_networks(ip: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_network(ip: str | None) -> str:
    """What throttling counts by: the IPv4 address, or the /64 an IPv6 address belongs to."""
    if not ip:
        return ""
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def normalize_login_id(login_id: str) -> str:
    return (login_id or "").strip()[:LOGIN_ID_MAX_LENGTH]


@dataclass(frozen=True)
class ThrottleDecision:
    allowed: bool
    retry_after: int = 0  # seconds until the next attempt is accepted

    @property
    def retry_after_minutes(self) -> int:
        """For the message 「X分後に…」: whole minutes, rounded up, at least 1."""
        return max(1, math.ceil(self.retry_after / 60))


def _delay(failures: int, free: int, cap: dt.timedelta) -> dt.timedelta:
    if failures < free:
        return dt.timedelta(0)
    # min() before the power: 2**40 seconds is already far beyond any cap.
    return min(dt.timedelta(seconds=2 ** min(failures - free, 40)), cap)


def _wait(latest: dt.datetime | None, delay: dt.timedelta, now: dt.datetime) -> int:
    if latest is None or not delay:
        return 0
    return max(0, math.ceil((latest + delay - now).total_seconds()))


def _retry_after(
    stats: dict, *, free: int, cap: dt.timedelta, max_in_flight: int, now: dt.datetime
) -> int:
    """Seconds to wait, from the counted failures and the attempts still being checked."""
    failures, in_flight = stats["failures"], stats["in_flight"]
    if failures >= free:
        # Already delayed: whatever is in flight may fail as well (as if it had).
        latest = max(
            (m for m in (stats["latest_failure"], stats["latest_in_flight"]) if m), default=None
        )
        return _wait(latest, _delay(failures + in_flight, free, cap), now)
    if in_flight >= max_in_flight:
        return 1
    return 0


def login_throttle_check(
    *,
    municipality: Municipality | None,
    kind: str,
    login_id: str,
    ip: str | None,
    before: int | None = None,
) -> ThrottleDecision:
    """May this client try a password for this login id now? Reads only; two queries.

    Call before checking the password; when not allowed, do not check it at all (the attempt
    is then recorded with ``throttled=True``). ``before``: the id of this attempt when it is
    already on record; only attempts recorded before it count.
    """
    now = clock.now()
    network = client_network(ip)
    pair = Q(municipality=municipality, kind=kind, login_id=normalize_login_id(login_id))
    in_flight = Q(pending=True, at__gte=now - PENDING_TIMEOUT)
    failed = Q(succeeded=False) & ~in_flight
    # Uses index login_attempt_network: the client's counted attempts of the window.
    counted = LoginAttempt.objects.filter(
        network=network, throttled=False, at__gte=now - FAILURE_WINDOW
    )
    if before is not None:
        counted = counted.filter(pk__lt=before)
    address = counted.aggregate(
        failures=Count("pk", filter=failed),
        latest_failure=Max("at", filter=failed),
        in_flight=Count("pk", filter=in_flight),
        latest_in_flight=Max("at", filter=in_flight),
        # By id, not time: attempts within the same instant still come in order.
        pair_last_success=Max("pk", filter=pair & Q(succeeded=True)),
    )
    pair_attempts = counted.filter(pair)
    if address["pair_last_success"] is not None:
        pair_attempts = pair_attempts.filter(pk__gt=address["pair_last_success"])
    pair_stats = pair_attempts.aggregate(
        failures=Count("pk", filter=failed),
        latest_failure=Max("at", filter=failed),
        in_flight=Count("pk", filter=in_flight),
        latest_in_flight=Max("at", filter=in_flight),
    )
    retry_after = max(
        _retry_after(
            address,
            free=ADDRESS_FREE_FAILURES,
            cap=ADDRESS_MAX_DELAY,
            max_in_flight=ADDRESS_MAX_IN_FLIGHT,
            now=now,
        ),
        _retry_after(
            pair_stats,
            free=PAIR_FREE_FAILURES,
            cap=PAIR_MAX_DELAY,
            max_in_flight=PAIR_MAX_IN_FLIGHT,
            now=now,
        ),
    )
    return ThrottleDecision(allowed=retry_after == 0, retry_after=retry_after)


def login_attempt_record(
    *,
    municipality: Municipality | None,
    kind: str,
    login_id: str,
    ip: str | None,
    user_agent: str,
    user: User | None,
    succeeded: bool,
    throttled: bool = False,
    pending: bool = False,
) -> LoginAttempt:
    """Append one attempt (success, wrong credentials, or refused by the throttle).

    The password is never passed here; the user agent is stored only as its SHA-256 hash.
    """
    return LoginAttempt.objects.create(
        at=clock.now(),
        municipality=municipality,
        kind=kind,
        login_id=normalize_login_id(login_id),
        ip_address=ip,
        network=client_network(ip),
        user_agent_hash=hashlib.sha256((user_agent or "").encode("utf-8")).hexdigest(),
        succeeded=succeeded,
        throttled=throttled,
        pending=pending,
        user=user if succeeded else None,
    )


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None  # set when the credentials were right
    decision: ThrottleDecision

    @property
    def throttled(self) -> bool:
        return not self.decision.allowed


def login_authenticate(
    *,
    request: HttpRequest,
    municipality: Municipality | None,
    kind: str,
    login_id: str,
    password: str,
) -> LoginOutcome:
    """Check a password behind the throttle (see :func:`login_guarded`).

    Does not log the user in (the caller does, or starts a second factor); a right password is
    recorded as a success, which restarts this client's count for this login id.
    """
    return login_guarded(
        request=request,
        municipality=municipality,
        kind=kind,
        login_id=login_id,
        check=lambda: authenticate(
            request, municipality=municipality, kind=kind, login_id=login_id, password=password
        ),
    )


def login_guarded(
    *,
    request: HttpRequest,
    municipality: Municipality | None,
    kind: str,
    login_id: str,
    check: Callable[[], User | None],
) -> LoginOutcome:
    """Run one credential check (a password, a staff one-time code) behind the throttle, and
    record the attempt whatever its outcome.

    The one place where the order holds: record, throttle check, then ``check`` only when
    allowed. The attempt goes on record first, as pending until the check ends, and the
    throttle counts only attempts recorded before it: so parallel requests of one client see
    each other and cannot all slip through while the checks run (see the module's notes for
    how attempts in flight are bounded).
    """
    ip = client_ip(request)
    attempt = login_attempt_record(
        municipality=municipality,
        kind=kind,
        login_id=login_id,
        ip=ip,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        user=None,
        succeeded=False,
        pending=True,
    )
    decision = login_throttle_check(
        municipality=municipality, kind=kind, login_id=login_id, ip=ip, before=attempt.pk
    )
    if not decision.allowed:
        attempt.throttled, attempt.pending = True, False
        attempt.save(update_fields=["throttled", "pending"])
        return LoginOutcome(user=None, decision=decision)
    user = check()
    attempt.pending = False
    attempt.succeeded = user is not None
    attempt.user = user
    attempt.save(update_fields=["pending", "succeeded", "user"])
    return LoginOutcome(user=user, decision=decision)


ATTEMPT_RETENTION = dt.timedelta(days=90)


def login_attempts_purge(*, now: dt.datetime | None = None) -> int:
    """Client addresses are personal data: attempts older than 90 days are deleted (the
    throttle looks back 24 hours, the spike baseline 7 days)."""
    cutoff = (now or clock.now()) - ATTEMPT_RETENTION
    deleted, _ = LoginAttempt.objects.filter(at__lt=cutoff).delete()
    return deleted


def action_throttle(
    *,
    action: str,
    ip: str | None,
    limit: int,
    window: dt.timedelta,
    key: str | None = None,
) -> ThrottleDecision:
    """Record one attempt of a limited anonymous action, and say whether it may go ahead.

    At most ``limit`` allowed attempts per client (``client_network``) in any ``window``; with
    ``key`` (e.g. ``"user:42"``), per that key instead, whatever the address.
    As for log-ins, the attempt goes on record first and only the attempts recorded before it
    count, so parallel requests of one client see each other. A refused attempt is marked so
    and does not count; ``retry_after`` is when the oldest counted attempt leaves the window.
    """
    now = clock.now()
    network = key if key is not None else client_network(ip)
    attempt = ActionAttempt.objects.create(at=now, action=action, network=network)
    # Uses index action_attempt_client.
    counted = ActionAttempt.objects.filter(
        action=action, network=network, allowed=True, at__gt=now - window, pk__lt=attempt.pk
    )
    count = counted.count()
    if count < limit:
        return ThrottleDecision(allowed=True)
    attempt.allowed = False
    attempt.save(update_fields=["allowed"])
    frees_at = counted.order_by("at", "pk").values_list("at", flat=True)[count - limit] + window
    return ThrottleDecision(
        allowed=False, retry_after=max(1, math.ceil((frees_at - now).total_seconds()))
    )


ACTION_ATTEMPT_RETENTION = dt.timedelta(days=7)


def action_attempts_purge(*, now: dt.datetime | None = None) -> int:
    """Client addresses again: action attempts are deleted after 7 days (limits look back
    hours, not days)."""
    cutoff = (now or clock.now()) - ACTION_ATTEMPT_RETENTION
    deleted, _ = ActionAttempt.objects.filter(at__lt=cutoff).delete()
    return deleted
