"""Signals of multiple accounts and shared IDs (Ukiha art. 11.4 and 11.5), per municipality.

Each signal is a *cluster*: registrants that share something (a person, a phone number, a
device …), with the evidence and a strength. Every signal is one or two group-by queries and a
pass over their rows (never a comparison of every pair of registrants); the members of all
clusters are then read in one query, the staff decisions in another: a fixed number of queries
for the page, whatever the size of the register.

Signals are for staff to look into, never proof: a family shares an address and often a phone
or a computer, a school or a mobile carrier puts many people behind one network prefix.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet, Value
from django.db.models.functions import Concat, Lower, Replace, TruncDate
from django.utils.translation import gettext_lazy as _

from yoyaku.core import clock
from yoyaku.core.models import Municipality
from yoyaku.integrity import evidence
from yoyaku.integrity.models import Sighting, SignalDecision
from yoyaku.lottery.models import LotteryRound
from yoyaku.registrants import normalize
from yoyaku.registrants.models import Registrant

S = Registrant.Status
# Registrations that may still book: the ones whose duplicates matter.
LIVE = (S.APPLIED, S.INFO_REQUESTED, S.ACTIVE)

SAME_PERSON = "same_person"
GROUP_REPRESENTATIVE = "group_representative"
SAME_GROUP = "same_group"
SAME_PHONE = "same_phone"
SAME_EMAIL = "same_email"
SAME_ADDRESS = "same_address"
SAME_DEVICE = "same_device"
SAME_NETWORK = "same_network"
LOTTERY_DEVICE = "lottery_device"

KIND_LABELS = {
    SAME_PERSON: _("同一人物の重複登録（フリガナ・生年月日が同じ）"),
    GROUP_REPRESENTATIVE: _("同じ代表者による複数の団体登録"),
    SAME_GROUP: _("同じ団体名の複数の登録"),
    SAME_PHONE: _("同じ電話番号"),
    SAME_EMAIL: _("同じメールアドレス"),
    SAME_ADDRESS: _("同じ住所（別の方）"),
    SAME_DEVICE: _("同じ端末からの利用"),
    SAME_NETWORK: _("同じ接続元からの短時間の登録"),
    LOTTERY_DEVICE: _("1台の端末からの複数の抽選申込み"),
}

HIGH, MEDIUM, LOW = "high", "medium", "low"
STRENGTH_LABELS = {HIGH: _("強"), MEDIUM: _("中"), LOW: _("弱")}
_STRENGTH_ORDER = {HIGH: 0, MEDIUM: 1, LOW: 2}

# Registrations from one network prefix on one day that make a signal (and a strong one).
NETWORK_MIN_REGISTRANTS = 3
NETWORK_HIGH_REGISTRANTS = 10
# Registrants seen on one device (in all, or applying to one lottery round) for a strong one.
DEVICE_HIGH_REGISTRANTS = 3
# Different people at one address: a family is normal; this many is worth a closer look.
ADDRESS_MEDIUM_REGISTRANTS = 6

# The fields a cluster may show unmasked, in the order of the side-by-side table.
FIELDS = ("name_kana", "birth_date", "phone", "email", "address")
MATCHED = {
    SAME_PERSON: ("name_kana", "birth_date"),
    GROUP_REPRESENTATIVE: ("name_kana", "birth_date"),
    SAME_GROUP: ("group",),
    SAME_PHONE: ("phone",),
    SAME_EMAIL: ("email",),
    SAME_ADDRESS: ("address",),
}


@dataclass
class Cluster:
    kind: str
    key: str  # what matched (never shown; only its keyed hash is stored, in the fingerprint)
    member_ids: list[int]
    strength: str
    events: int = 0  # sightings behind a device or network signal
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None
    day: dt.date | None = None
    lottery_round: LotteryRound | None = None
    members: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[SignalDecision] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        return evidence.fingerprint(self.kind, self.key, self.member_ids)

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def strength_label(self) -> str:
        return str(STRENGTH_LABELS[self.strength])

    @property
    def matched(self) -> tuple[str, ...]:
        return MATCHED.get(self.kind, ())

    @property
    def size(self) -> int:
        return len(self.member_ids)


def _live(municipality: Municipality) -> QuerySet[Registrant]:
    return Registrant.objects.filter(
        municipality=municipality, status__in=LIVE, anonymized_at__isnull=True
    )


def _buckets(rows, key_of, min_members: int = 2) -> dict[Any, list[int]]:
    found: dict[Any, set[int]] = defaultdict(set)
    for row in rows:
        key = key_of(row)
        if key:
            found[key].add(row["pk"])
    return {k: sorted(v) for k, v in found.items() if len(v) >= min_members}


def _by_value(
    municipality: Municipality, kind: str, expression, *, strength, extra: Q | None = None
) -> list[Cluster]:
    """Registrants whose ``expression`` is equal and not blank: one query with a sub-query
    of the values held by two or more."""
    base = _live(municipality).annotate(match=expression).exclude(match="")
    if extra is not None:
        base = base.filter(extra)
    shared = base.values("match").annotate(n=Count("pk")).filter(n__gte=2).values("match")
    rows = base.filter(match__in=shared).values("pk", "match")
    return [
        Cluster(kind=kind, key=key, member_ids=ids, strength=strength(len(ids)))
        for key, ids in _buckets(rows, lambda row: row["match"]).items()
    ]


def _same_person(municipality: Municipality, kind: str) -> list[Cluster]:
    """Same normalised kana name and birth date (the check at registration, afterwards):
    individuals among individuals, and groups' representatives among groups (one person may
    hold an individual registration and represent a group)."""
    wanted = Registrant.Kind.GROUP if kind == GROUP_REPRESENTATIVE else Registrant.Kind.INDIVIDUAL
    base = _live(municipality).filter(kind=wanted)
    # Uses index registrant_birth_date: birth dates held by two or more, then their names.
    dates = base.values("birth_date").annotate(n=Count("pk")).filter(n__gte=2).values("birth_date")
    rows = base.filter(birth_date__in=dates).values("pk", "name_kana", "birth_date")
    buckets = _buckets(
        rows, lambda row: f"{normalize.kana_key(row['name_kana'])}|{row['birth_date']}"
    )
    if kind == GROUP_REPRESENTATIVE:
        return [
            Cluster(kind=kind, key=k, member_ids=ids, strength=HIGH if len(ids) >= 3 else MEDIUM)
            for k, ids in buckets.items()
        ]
    return [Cluster(kind=kind, key=k, member_ids=ids, strength=HIGH) for k, ids in buckets.items()]


def _same_group(municipality: Municipality) -> list[Cluster]:
    """The same group registered twice: equal normalised group name (kana, else kanji)."""
    rows = (
        _live(municipality)
        .filter(kind=Registrant.Kind.GROUP)
        .values("pk", "group_name", "group_name_kana")
    )

    def key(row):
        if row["group_name_kana"]:
            return "kana:" + normalize.kana_key(row["group_name_kana"])
        return "name:" + normalize.kanji_name(row["group_name"]).replace(normalize.FULL_SPACE, "")

    return [
        Cluster(kind=SAME_GROUP, key=k, member_ids=ids, strength=HIGH)
        for k, ids in _buckets(rows, key).items()
    ]


def _sighting_clusters(
    municipality: Municipality,
    kind: str,
    sightings: QuerySet[Sighting],
    group_by: tuple[str, ...],
    *,
    min_members: int,
    strength,
) -> list[Cluster]:
    """Sightings grouped by ``group_by`` (plus the registrant): one query, filtered by a
    sub-query of the groups seen with ``min_members`` registrants or more."""
    sightings = sightings.filter(
        municipality=municipality,
        registrant__status__in=LIVE,
        registrant__anonymized_at__isnull=True,
    )
    shared = (
        sightings.values(*group_by)
        .annotate(n=Count("registrant", distinct=True))
        .filter(n__gte=min_members)
        .values(group_by[0])
    )
    rows = (
        sightings.filter(**{f"{group_by[0]}__in": shared})
        .values(*group_by, "registrant")
        .annotate(events=Count("pk"), first=Min("at"), last=Max("at"))
    )
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        groups[tuple(row[name] for name in group_by)].append(row)
    clusters = []
    for key, members in groups.items():
        if len(members) < min_members:
            continue
        cluster = Cluster(
            kind=kind,
            key="|".join(str(part) for part in key),
            member_ids=sorted(row["registrant"] for row in members),
            strength=strength(len(members)),
            events=sum(row["events"] for row in members),
            first_at=min(row["first"] for row in members),
            last_at=max(row["last"] for row in members),
        )
        values = dict(zip(group_by, key, strict=True))
        cluster.day = values.get("day")
        cluster.lottery_round = values.get("lottery_round")  # an id until the page reads it
        clusters.append(cluster)
    return clusters


def _device_strength(n: int) -> str:
    return HIGH if n >= DEVICE_HIGH_REGISTRANTS else MEDIUM


def signal_clusters(
    *, municipality: Municipality, include_dismissed: bool = False
) -> list[Cluster]:
    """Every signal of the municipality, strongest first, each with its members (the fields
    shown side by side, masked where they did not match) and the staff decisions about it.
    Dismissed evidence is left out. A fixed number of queries."""
    clusters: list[Cluster] = []
    clusters += _same_person(municipality, SAME_PERSON)
    clusters += _same_person(municipality, GROUP_REPRESENTATIVE)
    clusters += _same_group(municipality)
    clusters += _by_value(
        municipality,
        SAME_PHONE,
        Replace("phone", Value("-"), Value("")),
        strength=lambda n: HIGH if n >= 3 else MEDIUM,
    )
    clusters += _by_value(
        municipality,
        SAME_EMAIL,
        Lower("email"),
        strength=lambda n: HIGH if n >= 3 else MEDIUM,
    )
    clusters += _by_value(
        municipality,
        SAME_ADDRESS,
        Replace(
            Concat("postal_code", "prefecture", "city", "street"),
            Value(normalize.FULL_SPACE),
            Value(""),
        ),
        # A family at one address is normal: weak unless many people share it.
        strength=lambda n: MEDIUM if n >= ADDRESS_MEDIUM_REGISTRANTS else LOW,
    )
    clusters += _sighting_clusters(
        municipality,
        SAME_DEVICE,
        Sighting.objects.exclude(device_hash=""),
        ("device_hash",),
        min_members=2,
        strength=_device_strength,
    )
    clusters += _sighting_clusters(
        municipality,
        SAME_NETWORK,
        Sighting.objects.filter(kind=Sighting.Kind.REGISTRATION)
        .exclude(network_hash="")
        .annotate(day=TruncDate("at", tzinfo=clock.JST)),
        ("network_hash", "day"),
        min_members=NETWORK_MIN_REGISTRANTS,
        strength=lambda n: HIGH if n >= NETWORK_HIGH_REGISTRANTS else MEDIUM,
    )
    clusters += _sighting_clusters(
        municipality,
        LOTTERY_DEVICE,
        Sighting.objects.filter(
            kind=Sighting.Kind.LOTTERY_APPLY, lottery_round__isnull=False
        ).exclude(device_hash=""),
        ("device_hash", "lottery_round"),
        min_members=2,
        strength=_device_strength,
    )
    decisions: dict[str, list[SignalDecision]] = defaultdict(list)
    fingerprints = {c.fingerprint for c in clusters}
    for decision in SignalDecision.objects.filter(
        municipality=municipality, fingerprint__in=fingerprints
    ).select_related("decided_by"):
        decisions[decision.fingerprint].append(decision)
    shown = []
    for cluster in clusters:
        cluster.decisions = decisions.get(cluster.fingerprint, [])
        dismissed = any(d.outcome == SignalDecision.Outcome.DISMISSED for d in cluster.decisions)
        if include_dismissed or not dismissed:
            shown.append(cluster)
    _attach_members(municipality, shown)
    shown.sort(
        key=lambda c: (
            _STRENGTH_ORDER[c.strength],
            -c.size,
            -(c.last_at.timestamp() if c.last_at else 0),
            c.kind,
            c.member_ids,
        )
    )
    return shown


def cluster_find(*, municipality: Municipality, fingerprint: str) -> Cluster | None:
    """The cluster (not dismissed) with this fingerprint as it stands now, or None when it
    is gone (acted on, dismissed, or its evidence changed since the page was read)."""
    for cluster in signal_clusters(municipality=municipality):
        if cluster.fingerprint == fingerprint:
            return cluster
    return None


def mask(value: str, keep: int = 2) -> str:
    """「0943-75-1234」→「09••••••34」: enough to tell values apart, not to read them."""
    value = str(value or "")
    if not value:
        return ""
    if len(value) <= keep * 2:
        return "•" * len(value)
    return value[:keep] + "•" * (len(value) - keep * 2) + value[-keep:]


def _member_view(registrant: Registrant, matched: tuple[str, ...]) -> dict[str, Any]:
    """One registrant's column: what matched in full, the rest masked."""
    address = f"〒{registrant.postal_code} {registrant.prefecture}{registrant.city}"
    full_address = f"{address}{registrant.street}"
    return {
        "registrant": registrant,
        "group_name": registrant.group_name,
        "name_kana": registrant.name_kana
        if "name_kana" in matched
        else mask(registrant.name_kana, 1),
        "birth_date": registrant.birth_date.isoformat()
        if "birth_date" in matched
        else f"{registrant.birth_date.year}-••-••",
        "phone": registrant.phone if "phone" in matched else mask(registrant.phone),
        "email": registrant.email if "email" in matched else mask(registrant.email, 3),
        # The street is the part that identifies a home: shown only when the address matched.
        "address": full_address if "address" in matched else address,
    }


def _attach_members(municipality: Municipality, clusters: list[Cluster]) -> None:
    ids = {pk for cluster in clusters for pk in cluster.member_ids}
    registrants = Registrant.objects.filter(municipality=municipality, pk__in=ids).in_bulk()
    round_ids = {c.lottery_round for c in clusters if isinstance(c.lottery_round, int)}
    rounds = LotteryRound.objects.filter(municipality=municipality).in_bulk(round_ids)
    for cluster in clusters:
        if isinstance(cluster.lottery_round, int):
            cluster.lottery_round = rounds.get(cluster.lottery_round)
        cluster.members = [
            _member_view(registrants[pk], cluster.matched)
            for pk in cluster.member_ids
            if pk in registrants
        ]
