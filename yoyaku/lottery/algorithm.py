"""The lottery drawing (抽選), algorithms ``yoyaku-lottery-2`` and ``-1``, and their verifier.

This file imports nothing but the Python standard library (3.10 or later) and nothing from
yoyaku, so that the published copy of it is all anyone needs to check a drawing::

    python3 algorithm.py published.json        # prints OK or the first difference
    python3 algorithm.py published.json --expect-seed-sha256 HEX --public-value TEXT \
        [--expect-applications-sha256 HEX]
    python -m yoyaku.lottery.algorithm published.json   # the same, from the project

Exit status: 0 the drawing is reproduced (and every value given matches), 1 it is not (or
the file cannot be read), 2 the command line is wrong (e.g. a hash that is not 64 lower-case
hex digits).

Everything below is the specification: a re-implementation in another language that follows
it reproduces published results exactly. The algorithm's name is part of every published
document; any change to what follows needs a new name, never an edit. ``yoyaku-lottery-1``
(below, "-1") is kept so that rounds drawn with it still verify; new rounds use
``yoyaku-lottery-2`` ("-2").

How a round is kept honest (-2)
===============================
Nobody alone can choose or foresee the result, and anyone can check it afterwards:

1. The seed is made outside the database the applications are entered into:
   ``seed = HMAC-SHA256(key = the operator's secret key, message = "yoyaku-lottery-seed" LF
   municipality code LF round nonce)`` (``derive_seed()`` in yoyaku/lottery/publication.py;
   the nonce is public and random, made with the round). When the round is created, ``seed_sha256`` = SHA-256(seed) is published
   on the round's page (and on every applicant's receipt); the seed cannot be changed
   afterwards without the change showing.
2. Also at creation, before applications open, the round names a *public value*: a value
   nobody knows before the application window closes and the operator cannot choose (RFC 3797
   style), e.g. the randomness of a stated drand round produced after the window closes, or
   the winning numbers of a stated public draw of a stated date. The source cannot change
   once applications open.
3. When the window closes, the applications are frozen: ``applications_sha256`` (below) is
   published.
4. After the source has produced it, the public value is entered by one staff member and
   confirmed by another; only then can the drawing run, with
   ``draw key = HMAC-SHA256(key = seed, message = UTF-8 bytes of the public value)``.
5. The seed, the public value and its source, the applications under pseudonyms and the
   results are published (``published_document()`` in yoyaku/lottery/publication.py).
   Anyone re-runs the drawing from that file alone (``verify()``, or this file as a script), checks the seed against the hash they
   saved in step 1, the public value against its source, and the applications against the
   hash of step 3; each applicant finds their own pseudonym (on their receipt) to check that
   their application is listed as made.

The operator knows the seed but not the public value until after the window closes, and
cannot pick the public value; whoever learns the public value cannot change the seed or the
applications any more. Re-seeding a round changes ``seed_sha256``, which the citizens saved.

Pseudonyms must be fixed when an application is made and must not be chosen by anyone who
knows the seed (e.g. a receipt number). A pseudonymous registrant key should differ between
rounds, so that published rounds cannot be linked to each other.

Inputs
======
Application
    ``id`` (text, the pseudonym; unique within the round), ``registrant`` (text, a pseudonym
    of the registrant, used only for the win cap), ``tier`` (integer ≥ 0; every application
    of tier 0 is served before any of tier 1, and so on — e.g. registered groups first),
    ``weight`` (integer ≥ 1; 1 normally, more for, e.g., applicants who lost recent rounds),
    ``choices``.
Choice
    ``rank`` (integer; lower is preferred; unique within the application) and ``needs``: a
    non-empty list of (resource key, amount) pairs, amount an integer ≥ 1. A choice is won
    only if *all* its needs are met at once. A resource key is an opaque text naming one
    unit of capacity that bookings draw on, e.g.

    * ``"u12:2026-06-05:540"`` — a basic slot (from minute 540 = 9:00) of a leaf unit on a
      date: capacity 1, amount 1. A block covering several slots needs each of them; a whole
      unit (全面) needs the slot on each of its parts (半面A, 半面B).
    * ``"u7:2026-06-05"`` — a night of a lodging room type: capacity = rooms left, amount =
      rooms needed. A stay of several nights needs every night.

    A key listed twice in one choice needs the sum of its amounts.
Capacity
    resource key → integer ≥ 0, what is free before the drawing. A key not listed has 0.
Settings
    ``max_wins_per_registrant``: integer ≥ 1, or null for no cap.
Seed
    any non-empty byte string; 32 bytes in practice.
Public value (-2 only)
    text. It is normalised before use (``normalize_public_value()``): Unicode NFKC, every run
    of white space (Python's ``str.split()``) becomes one space, none at either end; the
    result must be non-empty. The published value is the normalised one, and its bytes are
    its UTF-8 encoding. A drand randomness is its 64 lower-case hex digits as text.

Step 1: the order (weighted random order by Efraimidis–Spirakis)
=================================================================
The *draw key* K is, for -2, ``HMAC-SHA256(key = seed, message = UTF-8 bytes of the
normalised public value)`` (32 bytes, ``draw_key()``); for -1, the seed itself. For each
application, in IEEE 754 double precision (as CPython's ``float``)::

    h   = HMAC-SHA256(key = K, message = UTF-8 bytes of the application id)
    r   = the first 8 bytes of h read as an unsigned big-endian integer  (0 ≤ r < 2**64)
    u   = (double(r) + 0.5) / 2**64     double(r): r rounded to the nearest double, ties to
                                        even; the addition rounds to nearest; the division
                                        by a power of two is exact; 0 < u ≤ 1
    key = -ln(u) / weight               natural logarithm (C's log); the division rounds

The applications are sorted ascending by (tier, key, id), ids compared as Unicode code point
sequences (Python's ``str`` order). Within a tier this is a random order in which each
application is next with probability weight / (sum of weights of those not yet placed): with
equal weights, every order is equally likely. Keys are exponentially distributed with rate
``weight``; the smallest of several is that of application i with probability w_i / Σw.

Step 2: the allocation
======================
Start with ``remaining = capacity``. Take the applications one by one in that order:

* if the registrant has already won ``max_wins_per_registrant`` times in this drawing, the
  application wins nothing (it keeps its place in the order);
* otherwise take its choices by ascending rank; the first choice whose every need fits
  (``remaining[key] ≥ amount`` for each of its keys) is won: subtract its amounts from
  ``remaining``, record the rank and count a win for the registrant. If none fits, it wins
  nothing.

The result is the order (list of ids) and, for every application, the rank won or null.
The order of the applications in the input does not matter.

Step 3 (-2 only): the runner-up order (次点)
===========================================
``runner_up`` is the list of the ids of the applications that won nothing, in the order of
step 1, leaving out those whose registrant holds ``max_wins_per_registrant`` wins at the end
of step 2. When a won booking is given back before the round's release time and the round
uses runner-ups, its capacity is offered along this list: the first application (the same
registrant never beyond the cap) having a choice that now fits gets the best-ranked such
choice; what is left is offered further down the list. Each choice of a runner-up is thus
served in the runner-up order.

The applications hash (-2 only)
===============================
Each application is written as one line of compact JSON (the *canonical line*): the object
``{"id", "registrant", "tier", "weight", "choices": [{"rank", "needs": [[key, amount], …]},
…]}`` with its keys in exactly that order, choices and needs in the order given, no spaces
(separators ``,`` and ``:``), non-ASCII characters written as themselves (not escaped), as
Python's ``json.dumps(…, ensure_ascii=False, separators=(",", ":"))``. ``applications_sha256``
is the SHA-256 (lower-case hex) of the UTF-8 bytes of the canonical lines of every
application sorted by id (code point order), each followed by one LF (``applications_hash()``).

Published document
==================
JSON (UTF-8), an object with, in this order::

    "algorithm":    "yoyaku-lottery-2"                          (or "yoyaku-lottery-1")
    "round":        free-form description of the round (name, municipality, dates, …)
    "seed_sha256":  lower-case hex SHA-256 of the seed bytes, as published in step 1
    "seed":         the seed bytes in lower-case hex
    "public_value": {"source": {free-form description, e.g. "kind": "drand", "round": 123,
                     "produced_at": "2026-06-11T00:59:00+09:00", "url": …},
                     "value": "the normalised public value"}          (-2 only)
    "applications_sha256": lower-case hex, as defined above           (-2 only)
    "settings":     {"max_wins_per_registrant": 2}            (null: no cap)
    "capacity":     {"u12:2026-06-05:540": 1, "u7:2026-06-05": 4, …}
    "applications": [{"id": "A00017", "registrant": "R3F9C", "tier": 0, "weight": 1,
                      "choices": [{"rank": 1, "needs": [["u7:2026-06-05", 2],
                                                        ["u7:2026-06-06", 2]]}, …]}, …]
    "results":      {"order": ["A00412", "A00017", …],
                     "wins": {"A00412": 1, "A00017": null, …},
                     "runner_up": ["A00017", …]}                       (runner_up: -2 only)

In -2 the applications are listed sorted by id, each on its own line (its canonical line),
so that an applicant can search the file for their pseudonym. ``document_dumps()`` (in
yoyaku/lottery/publication.py) writes every application, every capacity entry and every entry of the results on its own line, so
that no line grows to megabytes with 100,000 applications.

What ``verify()`` proves, and what not
======================================
It proves that the published results (order, wins, runner-ups) are exactly what the
algorithm named in the file gives for the published applications, capacity, settings, seed
and public value; that the seed matches the file's ``seed_sha256`` and the applications its
``applications_sha256``. Given the values a citizen saved or looked up (``--expect-seed-sha256``
from a receipt, ``--public-value`` from the named source, ``--expect-applications-sha256`` from
the round's page), it proves the file uses those: a re-seeded round, a different public value
or changed applications then fail even when the file's own hashes were recomputed. It cannot
prove that the published applications and capacity are the real ones: each applicant checks
their own line, and the capacity can be compared with the calendars.

Floating point: ``ln`` comes from the platform's C library. Libraries may differ in the last
bit for rare arguments; that could swap two applications only if their keys are within one
unit in the last place of each other (chance about 1e-6 for 100,000 applications); verify()
then reports the difference instead of passing. The reference platform is CPython on Linux.
"""

from __future__ import annotations

# Only the standard library. Run as a script, this file's folder comes first on sys.path, and
# yoyaku/lottery/ holds modules named like standard ones (selectors.py): a standard module
# that imports such a name (subprocess, asyncio) would pick up the sibling. The CLI tests run
# the file in place and as a copy under -I -S, and catch both mistakes.
import argparse
import contextlib
import gc
import hashlib
import hmac
import itertools
import json
import math
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

if sys.version_info < (3, 10):  # noqa: UP036 -- the published copy may meet any python3
    sys.exit("this verifier needs Python 3.10 or later")

ALGORITHM = "yoyaku-lottery-2"
ALGORITHM_1 = "yoyaku-lottery-1"
ALGORITHMS = (ALGORITHM, ALGORITHM_1)
SEED_CONTEXT = "yoyaku-lottery-seed"
_HEX64 = re.compile(r"[0-9a-f]{64}")

_TWO_POW_64 = 2.0**64


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while building large acyclic data.

    With 100,000 applications, each batch of new lists and tuples triggers a collection that
    walks every object alive, inputs included: it took half the drawing's time. Nothing
    built here forms a cycle, so reference counting alone frees it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(slots=True)
class Choice:
    """One choice of an application: won only if every (resource key, amount) need fits."""

    rank: int
    needs: list[tuple[str, int]]

    def to_json(self) -> dict[str, Any]:
        return {"rank": self.rank, "needs": [[key, amount] for key, amount in self.needs]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Choice:
        return cls(rank=data["rank"], needs=[(key, amount) for key, amount in data["needs"]])


@dataclass(slots=True)
class Application:
    """An application under its pseudonym; see the module docstring for each field."""

    id: str
    registrant: str
    tier: int = 0
    weight: int = 1
    choices: list[Choice] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "registrant": self.registrant,
            "tier": self.tier,
            "weight": self.weight,
            "choices": [choice.to_json() for choice in self.choices],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Application:
        return cls(
            id=data["id"],
            registrant=data["registrant"],
            tier=data["tier"],
            weight=data["weight"],
            choices=[Choice.from_json(choice) for choice in data["choices"]],
        )


@dataclass(slots=True)
class Result:
    """The drawing's outcome: the order of all applications and, for each, the rank won."""

    order: list[str]
    wins: dict[str, int | None]
    # Step 3 (-2): the applications that won nothing and may still win, in drawing order.
    runner_up: list[str] = field(default_factory=list)

    def winners(self) -> dict[str, int]:
        """Application id → rank won, for the applications that won, in drawing order."""
        return {app_id: rank for app_id in self.order if (rank := self.wins[app_id]) is not None}


# --- the drawing -------------------------------------------------------------------------


def normalize_public_value(text: str) -> str:
    """The public value as used and published: NFKC, white space runs → one space, trimmed."""
    if not isinstance(text, str):
        raise ValueError("the public value must be text")
    value = " ".join(unicodedata.normalize("NFKC", text).split())
    if not value:
        raise ValueError("the public value is empty")
    return value


def draw_key(seed: bytes, public_value: str) -> bytes:
    """Step 1's key for -2: HMAC-SHA256(seed, UTF-8 of the normalised public value)."""
    value = normalize_public_value(public_value)
    return hmac.digest(_check_seed(seed), value.encode("utf-8"), "sha256")


def is_sha256_hex(text: Any) -> bool:
    """64 lower-case hex digits: how every hash is written."""
    return isinstance(text, str) and _HEX64.fullmatch(text) is not None


def seed_commitment(seed: bytes) -> str:
    """The SHA-256 of the seed in lower-case hex: published before the window closes."""
    return hashlib.sha256(_check_seed(seed)).hexdigest()


def order_key(seed: bytes, application_id: str, weight: int = 1) -> float:
    """Step 1's key of one application (smaller comes first within a tier)."""
    digest = hmac.digest(seed, application_id.encode("utf-8"), "sha256")
    u = (int.from_bytes(digest[:8], "big") + 0.5) / _TWO_POW_64
    return -math.log(u) / weight


def draw(
    applications: Iterable[Application],
    capacity: Mapping[str, int],
    seed: bytes,
    max_wins_per_registrant: int | None = None,
    *,
    public_value: str | None = None,
) -> Result:
    """Draw the lottery as specified in the module docstring: -2 with ``public_value``
    (and then with the runner-up order), -1 without.

    Pure and deterministic: the same inputs give the same result on every run (across
    platforms, see the note on floating point in the module docstring).
    Raises ValueError if an input breaks the rules of the docstring (duplicate ids or ranks,
    a weight below 1, an empty choice, …). ``capacity`` is not modified.
    """
    key = _check_seed(seed) if public_value is None else draw_key(seed, public_value)
    with _cyclic_gc_paused():
        return _draw(
            list(applications),
            capacity,
            key,
            max_wins_per_registrant,
            runner_up=public_value is not None,
        )


def _draw(
    applications: list[Application],
    capacity: Mapping[str, int],
    seed: bytes,
    max_wins_per_registrant: int | None,
    *,
    runner_up: bool = False,
) -> Result:
    seed = _check_seed(seed)
    cap = _check_max_wins(max_wins_per_registrant)
    remaining = _check_capacity(capacity)
    plans = [_plan(application) for application in applications]

    # Step 1. Inlined order_key(): 100,000 applications make the call overhead visible.
    digest, log, from_bytes = hmac.digest, math.log, int.from_bytes
    keyed = []
    seen: set[str] = set()
    for index, application in enumerate(applications):
        app_id = application.id
        if app_id in seen:
            raise ValueError(f"application id {app_id!r} appears twice")
        seen.add(app_id)
        r = from_bytes(digest(seed, app_id.encode("utf-8"), "sha256")[:8], "big")
        key = -log((r + 0.5) / _TWO_POW_64) / application.weight
        keyed.append((application.tier, key, app_id, index))
    keyed.sort()

    # Step 2. Choices are (rank, needs) tuples prepared by _plan(); nothing is built per
    # choice here.
    wins: dict[str, int | None] = {}
    wins_of: dict[str, int] = {}
    order = []
    for _tier, _key, app_id, index in keyed:
        order.append(app_id)
        won = None
        registrant = applications[index].registrant
        if cap is None or wins_of.get(registrant, 0) < cap:
            for rank, needs in plans[index]:
                for key, amount in needs:
                    if remaining.get(key, 0) < amount:
                        break
                else:
                    for key, amount in needs:
                        remaining[key] -= amount
                    won = rank
                    wins_of[registrant] = wins_of.get(registrant, 0) + 1
                    break
        wins[app_id] = won
    runners: list[str] = []
    if runner_up:
        registrant_of = {application.id: application.registrant for application in applications}
        runners = [
            app_id
            for app_id in order
            if wins[app_id] is None and (cap is None or wins_of.get(registrant_of[app_id], 0) < cap)
        ]
    return Result(order=order, wins=wins, runner_up=runners)


def _plan(application: Application) -> list[tuple[int, Sequence[tuple[str, int]]]]:
    """Check one application and return its choices as (rank, needs), best rank first."""
    app_id = application.id
    if not isinstance(app_id, str) or not app_id:
        raise ValueError(f"application id must be non-empty text: {app_id!r}")
    if not isinstance(application.registrant, str) or not application.registrant:
        raise ValueError(f"application {app_id}: registrant must be non-empty text")
    tier, weight = application.tier, application.weight
    if type(tier) is not int or tier < 0 or type(weight) is not int or weight < 1:
        _check_int(tier, f"application {app_id}: tier", 0)
        _check_int(weight, f"application {app_id}: weight", 1)
    plan = []
    ascending = True
    previous_rank = None
    for choice in application.choices:
        rank = choice.rank
        if type(rank) is not int:
            _check_int(rank, f"application {app_id}: rank", None)
        if previous_rank is not None and rank <= previous_rank:
            ascending = False
        previous_rank = rank
        needs = choice.needs
        if not needs:
            raise ValueError(f"application {app_id}, rank {rank}: a choice needs something")
        for key, amount in needs:
            # The exact-type test is the fast path: 300,000 choices go through here.
            if type(key) is not str or type(amount) is not int or amount < 1:
                if not isinstance(key, str):
                    raise ValueError(f"application {app_id}, rank {rank}: key {key!r} is not text")
                _check_int(amount, f"application {app_id}, rank {rank}: amount", 1)
        if len(needs) > 1 and len({key for key, _amount in needs}) < len(needs):
            merged: dict[str, int] = {}
            for key, amount in needs:
                merged[key] = merged.get(key, 0) + amount
            needs = tuple(merged.items())
        plan.append((rank, needs))
    if not ascending:
        plan.sort(key=lambda rank_needs: rank_needs[0])
        for (rank, _), (next_rank, _) in itertools.pairwise(plan):
            if rank == next_rank:
                raise ValueError(f"application {app_id}: rank {rank} appears twice")
    return plan


def _check_int(value: Any, what: str, minimum: int | None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{what} must be an integer, not {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{what} must be at least {minimum}, not {value}")
    return value


def _check_seed(seed: bytes) -> bytes:
    if not isinstance(seed, bytes | bytearray) or not seed:
        raise ValueError("the seed must be non-empty bytes")
    return bytes(seed)


def _check_max_wins(value: int | None) -> int | None:
    return None if value is None else _check_int(value, "max_wins_per_registrant", 1)


def _check_capacity(capacity: Mapping[str, int]) -> dict[str, int]:
    for key, amount in capacity.items():
        if not isinstance(key, str):
            raise ValueError(f"capacity key {key!r} is not text")
        _check_int(amount, f"capacity of {key}", 0)
    return dict(capacity)


# --- the published document ---------------------------------------------------------------


# One encoder for all rows: json.dumps() with options builds a new one per call.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def canonical_line(application: Application) -> str:
    """An application's canonical line (the applications hash, the published document)."""
    return _dumps(application.to_json())


def applications_hash(applications: Iterable[Application]) -> str:
    """``applications_sha256``: SHA-256 of the canonical lines sorted by id, each + LF."""
    digest = hashlib.sha256()
    with _cyclic_gc_paused():
        for application in sorted(applications, key=lambda application: application.id):
            digest.update(canonical_line(application).encode("utf-8"))
            digest.update(b"\n")
    return digest.hexdigest()


def verify(
    document: Mapping[str, Any],
    *,
    expect_seed_sha256: str | None = None,
    expect_applications_sha256: str | None = None,
    public_value: str | None = None,
) -> tuple[bool, str]:
    """Re-run the drawing of a published document: (True, summary) or (False, first problem).

    Checks the algorithm's name, that the seed matches ``seed_sha256`` (and the hash the
    caller saved, if given), for -2 that the applications match ``applications_sha256`` (and
    the caller's), that the public value is the caller's (if given), and that the drawing
    reproduces the published order, wins and runner-ups exactly.
    """
    for name, value in (
        ("expect_seed_sha256", expect_seed_sha256),
        ("expect_applications_sha256", expect_applications_sha256),
    ):
        if value is not None and not is_sha256_hex(value):
            raise ValueError(f"{name} must be 64 lower-case hex digits")
    try:
        algorithm = document["algorithm"]
        if algorithm not in ALGORITHMS:
            return False, (
                f"algorithm is {algorithm!r}, this verifier knows {', '.join(ALGORITHMS)}"
            )
        second = algorithm == ALGORITHM
        seed = bytes.fromhex(document["seed"])
        commitment = seed_commitment(seed)
        if commitment != str(document["seed_sha256"]).lower():
            return False, (
                f"the seed does not match the published commitment: sha256(seed) is "
                f"{commitment}, the commitment is {document['seed_sha256']}"
            )
        if expect_seed_sha256 is not None and commitment != expect_seed_sha256:
            return False, (
                f"the seed is not the one committed to: sha256(seed) is {commitment}, "
                f"you expected {expect_seed_sha256}"
            )
        settings = document["settings"]
        with _cyclic_gc_paused():
            applications = [Application.from_json(data) for data in document["applications"]]
        value = None
        checked = []
        if second:
            value = document["public_value"]["value"]
            if not isinstance(value, str) or normalize_public_value(value) != value:
                return False, f"the public value {value!r} is not in its normalised form"
            if public_value is not None and normalize_public_value(public_value) != value:
                return False, (
                    f"the public value differs: the file has {value!r}, "
                    f"you gave {normalize_public_value(public_value)!r}"
                )
            digest = applications_hash(applications)
            if digest != document["applications_sha256"]:
                return False, (
                    f"the applications do not match the published hash: they hash to "
                    f"{digest}, the file says {document['applications_sha256']}"
                )
            if expect_applications_sha256 is not None and digest != expect_applications_sha256:
                return False, (
                    f"the applications are not the ones frozen: they hash to {digest}, "
                    f"you expected {expect_applications_sha256}"
                )
            checked.append(f"the applications match {digest}")
            if public_value is not None:
                checked.append("the public value is the one you gave")
        elif expect_applications_sha256 is not None or public_value is not None:
            return False, (f"{algorithm} has no applications hash nor public value to compare with")
        result = draw(
            applications,
            document["capacity"],
            seed,
            settings["max_wins_per_registrant"],
            public_value=value,
        )
        published_order = list(document["results"]["order"])
        published_wins = dict(document["results"]["wins"])
        published_runners = list(document["results"]["runner_up"]) if second else []
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return False, f"malformed document: {type(error).__name__}: {error}"

    for position, (mine, theirs) in enumerate(zip(result.order, published_order, strict=False)):
        if mine != theirs:
            return False, (
                f"order differs at position {position + 1}: published {theirs!r}, drawn {mine!r}"
            )
    if len(result.order) != len(published_order):
        return False, (
            f"order has {len(published_order)} entries published, {len(result.order)} drawn"
        )
    for app_id in result.order:
        if app_id not in published_wins:
            return False, f"wins: application {app_id!r} is missing"
        mine, theirs = result.wins[app_id], published_wins[app_id]
        if mine != theirs or type(mine) is not type(theirs):
            return False, f"wins differ for {app_id!r}: published {theirs!r}, drawn {mine!r}"
    extra = set(published_wins) - set(result.wins)
    if extra:
        return False, f"wins: unknown application {min(extra)!r}"
    if second and published_runners != result.runner_up:
        for position, (mine, theirs) in enumerate(
            itertools.zip_longest(result.runner_up, published_runners)
        ):
            if mine != theirs:
                return False, (
                    f"runner_up differs at position {position + 1}: published {theirs!r}, "
                    f"drawn {mine!r}"
                )
    won = sum(1 for rank in result.wins.values() if rank is not None)
    checked.insert(0, f"the seed matches the commitment {commitment}")
    if expect_seed_sha256 is not None:
        checked.insert(1, "the one you expected")
    return True, (
        f"OK: {algorithm} reproduces the published results: {len(result.order)} applications, "
        f"{won} won; {', '.join(checked)}"
    )


def _sha256_argument(text: str) -> str:
    if not is_sha256_hex(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a SHA-256: write it as 64 lower-case hex digits (0-9, a-f)"
        )
    return text


def _public_value_argument(text: str) -> str:
    try:
        return normalize_public_value(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(
            f"Re-run a published lottery drawing ({', '.join(ALGORITHMS)}) and compare its "
            "results. Exit status 0: reproduced; 1: not reproduced or unreadable; 2: usage."
        ),
    )
    parser.add_argument("document", help="the published JSON file ('-' reads standard input)")
    parser.add_argument(
        "--expect-seed-sha256",
        type=_sha256_argument,
        metavar="HEX",
        help="the seed's SHA-256 you saved before the drawing (e.g. from your receipt)",
    )
    parser.add_argument(
        "--expect-applications-sha256",
        type=_sha256_argument,
        metavar="HEX",
        help="the applications' SHA-256 published when the application window closed",
    )
    parser.add_argument(
        "--public-value",
        type=_public_value_argument,
        metavar="TEXT",
        help="the public value you looked up at the source the round named",
    )
    args = parser.parse_args(argv)
    try:
        with _cyclic_gc_paused():
            if args.document == "-":
                document = json.load(sys.stdin)
            else:
                with open(args.document, encoding="utf-8") as file:
                    document = json.load(file)
    except (OSError, ValueError) as error:
        print(f"cannot read {args.document}: {error}")
        return 1
    if not isinstance(document, dict):
        print("malformed document: not a JSON object")
        return 1
    ok, message = verify(
        document,
        expect_seed_sha256=args.expect_seed_sha256,
        expect_applications_sha256=args.expect_applications_sha256,
        public_value=args.public_value,
    )
    print(message)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
