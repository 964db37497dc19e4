"""The lottery drawing (抽選), algorithm ``yoyaku-lottery-1``, and its standalone verifier.

This file imports nothing but the Python standard library (3.10 or later) and nothing from
yoyaku, so that the published copy of it is all anyone needs to check a drawing::

    python3 algorithm.py published.json        # prints OK or the first difference; exit 0 / 1
    python -m yoyaku.lottery.algorithm published.json   # the same, from the project

Everything below is the specification: a re-implementation in another language that follows
it reproduces published results exactly. The algorithm's name is part of every published
document; any change to what follows needs a new name ("yoyaku-lottery-2"), never an edit.

How a round is kept honest
==========================
1. Before the application window closes, the round's page publishes ``seed_sha256``, the
   SHA-256 of a secret seed of 32 random bytes (``new_seed()``, ``seed_commitment()``).
   The seed cannot then be changed without the change showing.
2. After the window closes, the drawing runs on the applications, the free capacity and the
   round's settings, with that seed.
3. The seed is published with the applications under pseudonyms and the results
   (``published_document()``). Anyone re-runs the drawing from that file alone (``verify()``,
   or this file as a script) and gets the same order and the same wins, bit for bit, and
   checks the seed against the commitment published in step 1. Each applicant finds their
   own pseudonym (shown on their receipt) to check that their application is listed as made.

Pseudonyms must be fixed when an application is made and must not be chosen by anyone who
knows the seed (e.g. a receipt number), because the seed and the pseudonym together decide
the application's place in the order. A pseudonymous registrant key should differ between
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
    any non-empty byte string; 32 random bytes in practice.

Step 1: the order (weighted random order by Efraimidis–Spirakis)
=================================================================
For each application, in IEEE 754 double precision (as CPython's ``float``)::

    h   = HMAC-SHA256(key = seed bytes, message = UTF-8 bytes of the application id)
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

Published document
==================
JSON (UTF-8), an object with::

    "algorithm":    "yoyaku-lottery-1"
    "round":        free-form description of the round (name, municipality, dates, …)
    "seed_sha256":  lower-case hex SHA-256 of the seed bytes, as published in step 1
    "seed":         the seed bytes in lower-case hex
    "settings":     {"max_wins_per_registrant": 2}            (null: no cap)
    "capacity":     {"u12:2026-06-05:540": 1, "u7:2026-06-05": 4, …}
    "applications": [{"id": "A00017", "registrant": "R3F9C", "tier": 0, "weight": 1,
                      "choices": [{"rank": 1, "needs": [["u7:2026-06-05", 2],
                                                        ["u7:2026-06-06", 2]]}, …]}, …]
    "results":      {"order": ["A00412", "A00017", …],
                     "wins": {"A00412": 1, "A00017": null, …}}

``document_dumps()`` writes it compactly with one application per line, so that the file
stays small with 100,000 applications and an applicant can search it for their pseudonym.

What ``verify()`` proves, and what not
======================================
It proves that the published results are exactly what this algorithm gives for the
published applications, capacity, settings and seed, and that the seed is the one committed
to before the window closed. It cannot prove that the published applications and capacity
are the real ones: each applicant checks their own line, and the capacity can be compared
with the calendars. Whoever holds the seed before the drawing could predict it; keep the seed
with as few people as possible and out of the database the applications are entered into.

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
import secrets
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

if sys.version_info < (3, 10):  # noqa: UP036 -- the published copy may meet any python3
    sys.exit("this verifier needs Python 3.10 or later")

ALGORITHM = "yoyaku-lottery-1"

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

    def winners(self) -> dict[str, int]:
        """Application id → rank won, for the applications that won, in drawing order."""
        return {app_id: rank for app_id in self.order if (rank := self.wins[app_id]) is not None}


# --- the drawing -------------------------------------------------------------------------


def new_seed() -> bytes:
    """32 bytes from the operating system's secure random source."""
    return secrets.token_bytes(32)


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
) -> Result:
    """Draw the lottery as specified in the module docstring.

    Pure and deterministic: the same inputs give the same result on every run (across
    platforms, see the note on floating point in the module docstring).
    Raises ValueError if an input breaks the rules of the docstring (duplicate ids or ranks,
    a weight below 1, an empty choice, …). ``capacity`` is not modified.
    """
    with _cyclic_gc_paused():
        return _draw(list(applications), capacity, seed, max_wins_per_registrant)


def _draw(
    applications: list[Application],
    capacity: Mapping[str, int],
    seed: bytes,
    max_wins_per_registrant: int | None,
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
    return Result(order=order, wins=wins)


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


def published_document(
    round_info: Mapping[str, Any],
    seed: bytes,
    applications: Sequence[Application],
    capacity: Mapping[str, int],
    settings: Mapping[str, Any],
    result: Result,
) -> dict[str, Any]:
    """The JSON-ready document to publish after the drawing (format in the module docstring).

    ``settings`` holds ``max_wins_per_registrant``, as given to draw(). The document is built
    from what it is given, not re-drawn: run verify() on it before publishing.
    """
    unknown = set(settings) - {"max_wins_per_registrant"}
    if unknown:
        raise ValueError(f"unknown settings: {sorted(unknown)}")
    with _cyclic_gc_paused():
        applications_json = [application.to_json() for application in applications]
    return {
        "algorithm": ALGORITHM,
        "round": dict(round_info),
        "seed_sha256": seed_commitment(seed),
        "seed": bytes(seed).hex(),
        "settings": {
            "max_wins_per_registrant": _check_max_wins(settings.get("max_wins_per_registrant"))
        },
        "capacity": {key: capacity[key] for key in sorted(capacity)},
        "applications": applications_json,
        "results": {
            "order": list(result.order),
            "wins": {app_id: result.wins[app_id] for app_id in result.order},
        },
    }


def document_dumps(document: Mapping[str, Any]) -> str:
    """The document as compact JSON text, one application per line (UTF-8, not escaped)."""

    # One encoder for all rows: json.dumps() with options builds a new one per call.
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    lines = ["{"]
    keys = list(document)
    with _cyclic_gc_paused():
        for position, key in enumerate(keys):
            comma = "," if position < len(keys) - 1 else ""
            if key == "applications":
                rows = [dumps(application) for application in document[key]]
                lines.append(f"{dumps(key)}:[")
                lines.append(",\n".join(rows))
                lines.append(f"]{comma}")
            else:
                lines.append(f"{dumps(key)}:{dumps(document[key])}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def verify(document: Mapping[str, Any]) -> tuple[bool, str]:
    """Re-run the drawing of a published document: (True, summary) or (False, first problem).

    Checks the algorithm's name, that the seed matches ``seed_sha256``, and that the drawing
    reproduces the published order and wins exactly.
    """
    try:
        if document["algorithm"] != ALGORITHM:
            return False, f"algorithm is {document['algorithm']!r}, this verifier is {ALGORITHM}"
        seed = bytes.fromhex(document["seed"])
        commitment = seed_commitment(seed)
        if commitment != str(document["seed_sha256"]).lower():
            return False, (
                f"the seed does not match the published commitment: sha256(seed) is "
                f"{commitment}, the commitment is {document['seed_sha256']}"
            )
        settings = document["settings"]
        with _cyclic_gc_paused():
            applications = [Application.from_json(data) for data in document["applications"]]
        result = draw(
            applications,
            document["capacity"],
            seed,
            settings["max_wins_per_registrant"],
        )
        published_order = list(document["results"]["order"])
        published_wins = dict(document["results"]["wins"])
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
    won = sum(1 for rank in result.wins.values() if rank is not None)
    return True, (
        f"OK: {ALGORITHM} reproduces the published results: {len(result.order)} applications, "
        f"{won} won; the seed matches the commitment {commitment}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=f"Re-run a published lottery drawing ({ALGORITHM}) and compare its results.",
    )
    parser.add_argument("document", help="the published JSON file ('-' reads standard input)")
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
    ok, message = verify(document)
    print(message)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
