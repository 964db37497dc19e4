"""Delivering events to the webhook receiver: signed, retried with backoff, and — when the
fault switches say so — duplicated, held back, reordered or lost.

Deliveries wait in a queue ordered by the moment they are due. In the server a thread sends
them as they fall due; in tests (``background=False``) the application sends whatever is due
after each request, and :meth:`Dispatcher.flush` sends the rest at once.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import random
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .config import Sender, Switches
from .signing import HEADER, sign
from .store import Event


def http_sender(timeout: float) -> Sender:
    def send(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    return send


@dataclass
class Delivery:
    event: Event
    attempt: int = 0  # how many times it has been tried


@dataclass(frozen=True)
class Attempt:
    """One try to deliver an event, kept for the benchmark and the tests."""

    event_id: str
    type: str
    attempt: int
    status: int | None  # None: the receiver could not be reached
    at: float


class Dispatcher:
    def __init__(
        self,
        *,
        url: str,
        secret: str,
        sender: Sender,
        clock: Callable[[], float],
        switches: Switches,
        rng: random.Random,
        tries: int,
        out_of_order_seconds: float,
    ) -> None:
        self._url = url
        self._secret = secret
        self._sender = sender
        self._clock = clock
        self._switches = switches
        self._rng = rng
        self._tries = max(1, tries)
        self._out_of_order_seconds = out_of_order_seconds
        self._queue: list[tuple[float, int, Delivery]] = []
        self._seq = itertools.count()
        self._wake = threading.Condition()
        self._stopped = False
        self._thread: threading.Thread | None = None
        # The latest tries and dropped events (bounded: the server may run for days).
        self.attempts: collections.deque[Attempt] = collections.deque(maxlen=10_000)
        self.dropped: collections.deque[str] = collections.deque(maxlen=10_000)

    # -- queueing ----------------------------------------------------------------------

    def enqueue(self, events: list[Event]) -> None:
        if not self._url:
            return
        switches = self._switches.as_dict()
        now = self._clock()
        with self._wake:
            for event in events:
                if self._rng.random() < switches["drop_webhooks"]:
                    self.dropped.append(event.id)
                    continue
                delay = float(switches["webhook_delay_seconds"])
                if self._rng.random() < switches["out_of_order"]:
                    delay += self._out_of_order_seconds
                copies = 2 if self._rng.random() < switches["duplicate_webhooks"] else 1
                for _ in range(copies):
                    self._push(now + delay, Delivery(event))
            self._wake.notify_all()

    def _push(self, due: float, delivery: Delivery) -> None:
        heapq.heappush(self._queue, (due, next(self._seq), delivery))

    def pending(self) -> int:
        with self._wake:
            return len(self._queue)

    def report(self) -> dict:
        """What was tried and lost, for the benchmark (``GET /_webhooks``)."""
        with self._wake:
            return {
                "pending": len(self._queue),
                "dropped": list(self.dropped),
                "attempts": [
                    {
                        "event": a.event_id,
                        "type": a.type,
                        "attempt": a.attempt,
                        "status": a.status,
                        "at": a.at,
                    }
                    for a in self.attempts
                ],
            }

    # -- sending -----------------------------------------------------------------------

    def _take(self, now: float | None) -> Delivery | None:
        with self._wake:
            if not self._queue or (now is not None and self._queue[0][0] > now):
                return None
            return heapq.heappop(self._queue)[2]

    def _send(self, delivery: Delivery) -> None:
        event = delivery.event
        now = self._clock()
        headers = {
            "Content-Type": "application/json",
            HEADER: sign(self._secret, event.body, int(now)),
            "User-Agent": "yoyaku-payment-sandbox",
        }
        delivery.attempt += 1
        try:
            status: int | None = self._sender(self._url, event.body, headers)
        except OSError:
            status = None
        with self._wake:
            self.attempts.append(Attempt(event.id, event.type, delivery.attempt, status, now))
            if (status is None or not 200 <= status < 300) and delivery.attempt < self._tries:
                # 1 s, 2 s, 4 s, … after each failed try.
                self._push(now + 2 ** (delivery.attempt - 1), delivery)
                self._wake.notify_all()

    def pump(self) -> int:
        """Send every delivery that is due now; returns how many were tried."""
        sent = 0
        while (delivery := self._take(self._clock())) is not None:
            self._send(delivery)
            sent += 1
        return sent

    def flush(self) -> int:
        """Send everything queued, due or not, retries included (for tests)."""
        sent = 0
        while (delivery := self._take(None)) is not None:
            self._send(delivery)
            sent += 1
        return sent

    # -- the background thread ---------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._wake:
                if self._stopped:
                    return
                if not self._queue:
                    self._wake.wait()
                else:
                    wait = self._queue[0][0] - self._clock()
                    if wait > 0:
                        self._wake.wait(timeout=wait)
            self.pump()
