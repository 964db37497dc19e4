"""The sandbox's records in SQLite: payments, refunds, idempotency keys and events.

One connection guarded by one lock: the server's threads take turns, which is plenty for a
simulator. Every change of a payment's status is written together with its event, in one
transaction; the caller hands the returned events to the webhook dispatcher.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

PENDING, SUCCEEDED, FAILED, EXPIRED, CANCELED = (
    "pending",
    "succeeded",
    "failed",
    "expired",
    "canceled",
)
METHODS = ("card", "konbini", "paypay")

SCHEMA = """
CREATE TABLE IF NOT EXISTS payments (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    method TEXT NOT NULL,
    description TEXT NOT NULL,
    return_url TEXT NOT NULL,
    cancel_url TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    paid_at INTEGER,
    refunded INTEGER NOT NULL DEFAULT 0,
    code TEXT NOT NULL DEFAULT '',
    step TEXT NOT NULL DEFAULT '',
    failure TEXT NOT NULL DEFAULT '',
    metadata TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS payments_pending ON payments (status, expires_at);
CREATE INDEX IF NOT EXISTS payments_updated ON payments (updated);
CREATE TABLE IF NOT EXISTS refunds (
    id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    amount INTEGER NOT NULL,
    status TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    object_id TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    created INTEGER NOT NULL,
    body TEXT NOT NULL
);
"""


class Conflict(Exception):
    """An idempotency key reused with a different request."""


class Refused(Exception):
    """A request the sandbox will not carry out (400)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    payment_id: str
    created: int
    body: bytes


@dataclass
class Outcome:
    """What a write produced: the object, whether it is new, and the events to send."""

    object: dict
    created: bool = True
    events: list[Event] = field(default_factory=list)


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def fingerprint(values: Mapping[str, object]) -> str:
    text = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def konbini_code() -> str:
    """A 払込番号: 12 digits, shown in groups of four."""
    return "".join(secrets.choice("0123456789") for _ in range(12))


class Store:
    def __init__(self, path: str, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.executescript(SCHEMA)

    def now(self) -> int:
        return int(self._clock())

    # -- reading -----------------------------------------------------------------------

    def get(self, payment_id: str) -> dict | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM payments WHERE id = ?", (payment_id,)).fetchone()
            return self._payment(row) if row else None

    def list_since(self, since: int) -> list[dict]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM payments WHERE updated >= ? ORDER BY created, id", (since,)
            ).fetchall()
            return [self._payment(row) for row in rows]

    def events(self) -> list[dict]:
        with self._lock:
            rows = self._db.execute("SELECT body FROM events ORDER BY rowid").fetchall()
            return [json.loads(row["body"]) for row in rows]

    def _payment(self, row: sqlite3.Row) -> dict:
        refunds = self._db.execute(
            "SELECT id, amount, status, created FROM refunds WHERE payment_id = ? ORDER BY rowid",
            (row["id"],),
        ).fetchall()
        payment = {key: row[key] for key in row.keys()}  # noqa: SIM118 (a Row is not a dict)
        payment["object"] = "payment"
        payment["metadata"] = json.loads(row["metadata"])
        payment["refunds"] = [{"object": "refund", **dict(r)} for r in refunds]
        return payment

    def _refund(self, refund_id: str) -> dict:
        row = self._db.execute("SELECT * FROM refunds WHERE id = ?", (refund_id,)).fetchone()
        return {"object": "refund", **dict(row)}

    # -- writing -----------------------------------------------------------------------

    def _remembered(self, scope: str, key: str, print_: str) -> str | None:
        row = self._db.execute(
            "SELECT fingerprint, object_id FROM idempotency WHERE scope = ? AND key = ?",
            (scope, key),
        ).fetchone()
        if row is None:
            return None
        if row["fingerprint"] != print_:
            raise Conflict(key)
        return row["object_id"]

    def create(
        self, *, key: str, request: Mapping[str, object], values: Mapping[str, object]
    ) -> Outcome:
        """Create a payment, or return the one already created with this idempotency key.
        ``request`` is the body as sent (the key's fingerprint); ``values`` are complete."""
        print_ = fingerprint(request)
        with self._lock:
            if key and (known := self._remembered("payment", key, print_)):
                return Outcome(self._payment(self._row(known)), created=False)
            now = self.now()
            payment_id = new_id("pay")
            code = konbini_code() if values["method"] == "konbini" else ""
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    "INSERT INTO payments (id, status, amount, currency, method, description,"
                    " return_url, cancel_url, expires_at, created, updated, code, metadata)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        payment_id,
                        PENDING,
                        values["amount"],
                        values["currency"],
                        values["method"],
                        values["description"],
                        values["return_url"],
                        values["cancel_url"],
                        values["expires_at"],
                        now,
                        now,
                        code,
                        json.dumps(values["metadata"], ensure_ascii=False),
                    ),
                )
                if key:
                    self._db.execute(
                        "INSERT INTO idempotency VALUES (?, ?, ?, ?)",
                        ("payment", key, print_, payment_id),
                    )
            return Outcome(self._payment(self._row(payment_id)))

    def _row(self, payment_id: str) -> sqlite3.Row:
        return self._db.execute("SELECT * FROM payments WHERE id = ?", (payment_id,)).fetchone()

    def _event(self, kind: str, payment_id: str, now: int, **extra: str) -> Event:
        event_id = new_id("evt")
        payload = {"id": event_id, "type": kind, "payment": payment_id, "created": now, **extra}
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self._db.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?)",
            (event_id, kind, payment_id, now, body.decode("utf-8")),
        )
        return Event(event_id, kind, payment_id, now, body)

    def transition(
        self,
        payment_id: str,
        *,
        to: str,
        sources: tuple[str, ...] = (PENDING,),
        failure: str = "",
    ) -> Outcome:
        """Move a payment to ``to`` if it is in one of ``sources`` and not past its deadline;
        otherwise leave it as it is (``created`` is then False and there is no event)."""
        with self._lock:
            expired = self._expire(payment_id)
            row = self._row(payment_id)
            if row is None:
                raise KeyError(payment_id)
            if row["status"] not in sources:
                return Outcome(self._payment(row), created=False, events=expired)
            now = self.now()
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    "UPDATE payments SET status = ?, updated = ?, step = '', failure = ?,"
                    " paid_at = CASE WHEN ? = 'succeeded' THEN ? ELSE paid_at END WHERE id = ?",
                    (to, now, failure, to, now, payment_id),
                )
                event = self._event(f"payment.{to}", payment_id, now)
            return Outcome(self._payment(self._row(payment_id)), events=[event])

    def set_step(self, payment_id: str, step: str) -> None:
        """Remember that a card payment waits for the 本人認証 step."""
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "UPDATE payments SET step = ?, updated = ? WHERE id = ? AND status = ?",
                (step, self.now(), payment_id, PENDING),
            )

    def refund(self, payment_id: str, *, key: str, amount: int) -> Outcome:
        """Refund part or all of a paid payment, or return the refund already made with
        this idempotency key. Raises Refused when the payment is not paid or the amount is
        more than what remains."""
        print_ = fingerprint({"payment": payment_id, "amount": amount})
        with self._lock:
            if key and (known := self._remembered("refund", key, print_)):
                return Outcome(self._refund(known), created=False)
            row = self._row(payment_id)
            if row is None:
                raise KeyError(payment_id)
            if row["status"] != SUCCEEDED:
                raise Refused("not_paid", "only a succeeded payment can be refunded")
            remaining = row["amount"] - row["refunded"]
            if amount > remaining:
                raise Refused("amount_too_large", f"at most {remaining} yen can still be refunded")
            now = self.now()
            refund_id = new_id("re")
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    "INSERT INTO refunds VALUES (?, ?, ?, ?, ?)",
                    (refund_id, payment_id, amount, SUCCEEDED, now),
                )
                self._db.execute(
                    "UPDATE payments SET refunded = refunded + ?, updated = ? WHERE id = ?",
                    (amount, now, payment_id),
                )
                if key:
                    self._db.execute(
                        "INSERT INTO idempotency VALUES (?, ?, ?, ?)",
                        ("refund", key, print_, refund_id),
                    )
                event = self._event("refund.succeeded", payment_id, now, refund=refund_id)
            return Outcome(self._refund(refund_id), events=[event])

    # -- expiry ------------------------------------------------------------------------

    def _expire(self, payment_id: str | None = None) -> list[Event]:
        now = self.now()
        query = "SELECT id FROM payments WHERE status = ? AND expires_at < ?"
        params: tuple = (PENDING, now)
        if payment_id is not None:
            query += " AND id = ?"
            params += (payment_id,)
        due = [row["id"] for row in self._db.execute(query, params).fetchall()]
        events = []
        for expired_id in due:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    "UPDATE payments SET status = ?, updated = ?, step = '' WHERE id = ?",
                    (EXPIRED, now, expired_id),
                )
                events.append(self._event("payment.expired", expired_id, now))
        return events

    def expire_due(self) -> list[Event]:
        """Expire every pending payment past its deadline; returns the events."""
        with self._lock:
            return self._expire()
