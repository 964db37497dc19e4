"""The sandbox's settings: command-line options, environment variables, fault switches."""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields

# sender(url, body, headers) -> HTTP status; raises OSError when the receiver is unreachable.
Sender = Callable[[str, bytes, Mapping[str, str]], int]

PROBABILITIES = ("duplicate_webhooks", "out_of_order", "drop_webhooks", "timeout_after_commit")


@dataclass
class Switches:
    """Faults to inject, for the benchmark and the tests. Probabilities are 0..1."""

    duplicate_webhooks: float = 0.0  # send an event twice
    out_of_order: float = 0.0  # hold an event back so a later one arrives first
    webhook_delay_seconds: float = 0.0  # hold every event back this long
    drop_webhooks: float = 0.0  # never send an event
    down: bool = False  # the JSON API answers 503 to everything
    timeout_after_commit: float = 0.0  # create / refund done, but the answer is a 504

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def update(self, values: Mapping[str, object]) -> None:
        """Change some switches; unknown names and bad values raise ValueError, and then
        nothing is changed."""
        known = {f.name for f in fields(self)}
        clean: dict[str, object] = {}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown switch: {name}")
            if name == "down":
                if not isinstance(value, bool):
                    raise ValueError("down must be true or false")
                clean[name] = value
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number")
            number = float(value)
            if name in PROBABILITIES and not 0.0 <= number <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
            if number < 0:
                raise ValueError(f"{name} must not be negative")
            clean[name] = number
        with self._lock:
            for name, value in clean.items():
                setattr(self, name, value)

    def as_dict(self) -> dict[str, object]:
        with self._lock:
            return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 8001
    public_url: str = ""  # how browsers reach the sandbox; http://host:port when empty
    webhook_url: str = ""  # events are recorded but not sent when empty
    secret: str = "sandbox-secret"  # the webhook HMAC secret shared with the receiver
    data: str = ":memory:"  # SQLite file
    api_key: str = "sandbox-key"
    seed: int | None = None  # seeds the fault switches' dice, for reproducible runs
    switches: Switches = field(default_factory=Switches)
    sender: Sender | None = None  # how a webhook is delivered; HTTP POST when None
    clock: Callable[[], float] = time.time
    background: bool = False  # deliver webhooks and expire payments from threads
    webhook_tries: int = 6  # 1 + retries after 1, 2, 4, 8, 16 seconds
    webhook_timeout: float = 5.0
    out_of_order_seconds: float = 3.0  # how long an event held back for out_of_order waits
    tick_seconds: float = 5.0  # how often the background thread expires payments

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


def parse_args(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> Config:
    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(
        prog="python -m yoyaku.payments.sandbox",
        description="A payment provider simulator: JSON API, hosted pages, signed webhooks.",
    )
    parser.add_argument("--host", default=env.get("YOYAKU_SANDBOX_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env.get("YOYAKU_SANDBOX_PORT", "8001")))
    parser.add_argument("--public-url", default=env.get("YOYAKU_SANDBOX_PUBLIC_URL", ""))
    parser.add_argument("--webhook-url", default=env.get("YOYAKU_SANDBOX_WEBHOOK_URL", ""))
    parser.add_argument("--secret", default=env.get("YOYAKU_SANDBOX_SECRET", "sandbox-secret"))
    parser.add_argument("--data", default=env.get("YOYAKU_SANDBOX_DATA", ":memory:"))
    parser.add_argument("--api-key", default=env.get("YOYAKU_SANDBOX_API_KEY", "sandbox-key"))
    seed = env.get("YOYAKU_SANDBOX_SEED")
    parser.add_argument("--seed", type=int, default=int(seed) if seed else None)
    parser.add_argument(
        "--switches",
        default=env.get("YOYAKU_SANDBOX_SWITCHES", ""),
        help="fault switches as JSON, e.g. '{\"duplicate_webhooks\": 0.2}'",
    )
    args = parser.parse_args(argv)
    switches = Switches()
    if args.switches:
        try:
            switches.update(json.loads(args.switches))
        except (ValueError, AttributeError) as exc:
            parser.error(f"--switches: {exc}")
    return Config(
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        webhook_url=args.webhook_url,
        secret=args.secret,
        data=args.data,
        api_key=args.api_key,
        seed=args.seed,
        switches=switches,
        background=True,
    )
