"""The sandbox as a WSGI application: the JSON API, the hosted pages and the switches."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import random
import re
import threading
import traceback
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs

from . import pages
from .config import Config
from .store import (
    CANCELED,
    FAILED,
    METHODS,
    PENDING,
    SUCCEEDED,
    Conflict,
    Outcome,
    Refused,
    Store,
)
from .webhooks import Dispatcher, http_sender

MAX_BODY = 1_000_000
DECLINED = "4000000000000002"
NEEDS_AUTHENTICATION = "4000000000003220"
PAGE_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none';"
        " frame-ancestors 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),
]
PAYMENT_ID = r"(?P<id>pay_[0-9a-f]{24})"


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(status: int, payload: object) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, body, [("Content-Type", "application/json; charset=utf-8")])


def api_error(status: int, code: str, message: str) -> Response:
    return json_response(status, {"error": {"code": code, "message": message}})


def page(html: str, status: int = 200) -> Response:
    return Response(status, html.encode("utf-8"), list(PAGE_HEADERS))


def redirect(location: str) -> Response:
    return Response(303, b"", [("Location", location), ("Cache-Control", "no-store")])


class BadRequest(Exception):
    pass


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class SandboxApp:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.switches = config.switches
        self.rng = random.Random(config.seed)
        self.store = Store(config.data, config.clock)
        self.dispatcher = Dispatcher(
            url=config.webhook_url,
            secret=config.secret,
            sender=config.sender or http_sender(config.webhook_timeout),
            clock=config.clock,
            switches=config.switches,
            rng=self.rng,
            tries=config.webhook_tries,
            out_of_order_seconds=config.out_of_order_seconds,
        )
        self._ticker_stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Response]]] = [
            ("GET", re.compile(r"/sandbox\.css"), self.stylesheet),
            ("GET", re.compile(r"/_switches"), self.switches_get),
            ("POST", re.compile(r"/_switches"), self.switches_set),
            ("GET", re.compile(r"/_webhooks"), self.webhooks_report),
            ("POST", re.compile(r"/v1/payments"), self.api_create),
            ("GET", re.compile(r"/v1/payments"), self.api_list),
            ("GET", re.compile(rf"/v1/payments/{PAYMENT_ID}"), self.api_get),
            ("POST", re.compile(rf"/v1/payments/{PAYMENT_ID}/cancel"), self.api_cancel),
            ("POST", re.compile(rf"/v1/payments/{PAYMENT_ID}/refunds"), self.api_refund),
            ("GET", re.compile(rf"/pay/{PAYMENT_ID}"), self.pay_page),
            ("POST", re.compile(rf"/pay/{PAYMENT_ID}"), self.pay_submit),
            ("GET", re.compile(rf"/pay/{PAYMENT_ID}/3ds"), self.three_ds_page),
            ("POST", re.compile(rf"/pay/{PAYMENT_ID}/3ds"), self.three_ds_submit),
            ("GET", re.compile(rf"/konbini/{PAYMENT_ID}/pay"), self.konbini_page),
            ("POST", re.compile(rf"/konbini/{PAYMENT_ID}/pay"), self.konbini_submit),
        ]

    # -- WSGI --------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        try:
            response = self.handle(environ)
        except Exception:  # a simulator must answer, whatever went wrong
            traceback.print_exc()
            response = api_error(500, "internal", "the sandbox failed")
        if not self.config.background:
            self.dispatcher.pump()
        phrase = HTTPStatus(response.status).phrase
        headers = [*response.headers, ("Content-Length", str(len(response.body)))]
        start_response(f"{response.status} {phrase}", headers)
        return [response.body]

    def handle(self, environ: dict) -> Response:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "") or "/"
        self.emit(self.store.expire_due())  # expiry is checked lazily on every request
        allowed = False
        for route_method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            allowed = True
            if route_method == method or (method == "HEAD" and route_method == "GET"):
                return self._guard(path, environ) or handler(environ, **match.groupdict())
        if allowed:
            return api_error(405, "method_not_allowed", "method not allowed")
        if path.startswith(("/v1/", "/_")):
            return api_error(404, "not_found", "no such resource")
        return page(pages.not_found(), 404)

    def _guard(self, path: str, environ: dict) -> Response | None:
        """Authentication of the API and the ``down`` switch."""
        if not path.startswith(("/v1/", "/_")):
            return None
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            key.strip().encode(), self.config.api_key.encode()
        ):
            return api_error(401, "unauthorized", "a valid bearer API key is required")
        if path.startswith("/v1/") and self.switches.as_dict()["down"]:
            return api_error(503, "down", "the sandbox is down (switch)")
        return None

    def emit(self, events: list) -> None:
        if events:
            self.dispatcher.enqueue(events)

    def _dice(self, switch: str) -> bool:
        return self.rng.random() < float(self.switches.as_dict()[switch])  # type: ignore[arg-type]

    # -- background work ---------------------------------------------------------------

    def start(self) -> None:
        """Start delivering webhooks and expiring payments from threads (the server);
        :func:`make_app` calls it when ``config.background`` is on."""
        if self._ticker is not None:
            return
        self.dispatcher.start()
        self._ticker = threading.Thread(target=self._tick_loop, name="sandbox-expiry", daemon=True)
        self._ticker.start()

    def stop(self) -> None:
        self._ticker_stop.set()
        self.dispatcher.stop()

    def tick(self) -> None:
        self.emit(self.store.expire_due())

    def _tick_loop(self) -> None:
        while not self._ticker_stop.wait(self.config.tick_seconds):
            self.tick()

    # -- reading requests --------------------------------------------------------------

    @staticmethod
    def _body(environ: dict) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= 0:
            return b""
        return environ["wsgi.input"].read(min(length, MAX_BODY))

    def _json(self, environ: dict) -> dict:
        raw = self._body(environ)
        try:
            data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadRequest("the body is not JSON") from exc
        if not isinstance(data, dict):
            raise BadRequest("the body must be a JSON object")
        return data

    def _form(self, environ: dict) -> dict[str, str]:
        raw = self._body(environ).decode("utf-8", errors="replace")
        return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

    def _public(self, payment: dict) -> dict:
        shown = {k: v for k, v in payment.items() if k != "step"}
        shown["url"] = f"{self.config.base_url}/pay/{payment['id']}"
        return shown

    # -- the switches ------------------------------------------------------------------

    def stylesheet(self, environ: dict) -> Response:
        return Response(
            200,
            pages.CSS.encode("utf-8"),
            [("Content-Type", "text/css; charset=utf-8"), ("Cache-Control", "max-age=3600")],
        )

    def switches_get(self, environ: dict) -> Response:
        return json_response(200, self.switches.as_dict())

    def switches_set(self, environ: dict) -> Response:
        try:
            self.switches.update(self._json(environ))
        except (BadRequest, ValueError) as exc:
            return api_error(400, "invalid_switch", str(exc))
        return json_response(200, self.switches.as_dict())

    def webhooks_report(self, environ: dict) -> Response:
        return json_response(200, {"events": self.store.events(), **self.dispatcher.report()})

    # -- the JSON API ------------------------------------------------------------------

    def _payment_values(self, data: dict) -> dict:
        now = self.store.now()
        amount = data.get("amount")
        if not _is_int(amount) or amount <= 0:
            raise BadRequest("amount must be a positive integer (yen)")
        if data.get("currency", "JPY") != "JPY":
            raise BadRequest("currency must be JPY")
        method = data.get("method")
        if method not in METHODS:
            raise BadRequest(f"method must be one of {', '.join(METHODS)}")
        description = data.get("description", "")
        if not isinstance(description, str) or len(description) > 500:
            raise BadRequest("description must be a string of at most 500 characters")
        urls = {}
        for name in ("return_url", "cancel_url"):
            url = data.get(name, "")
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise BadRequest(f"{name} must be an http(s) URL")
            urls[name] = url
        default_life = 3 * 86400 if method == "konbini" else 3600
        expires_at = data.get("expires_at", now + default_life)
        if not _is_int(expires_at) or expires_at <= now:
            raise BadRequest("expires_at must be a future epoch second")
        metadata = data.get("metadata", {})
        if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
        ):
            raise BadRequest("metadata must map strings to strings")
        return {
            "amount": amount,
            "currency": "JPY",
            "method": method,
            "description": description,
            **urls,
            "expires_at": expires_at,
            "metadata": metadata,
        }

    def api_create(self, environ: dict) -> Response:
        try:
            data = self._json(environ)
            values = self._payment_values(data)
        except BadRequest as exc:
            return api_error(400, "invalid_request", str(exc))
        key = environ.get("HTTP_IDEMPOTENCY_KEY", "")
        try:
            outcome = self.store.create(key=key, request=data, values=values)
        except Conflict:
            return api_error(409, "idempotency_conflict", "this key was used for another request")
        return self._answer(outcome, self._public(outcome.object))

    def _answer(self, outcome: Outcome, payload: dict) -> Response:
        self.emit(outcome.events)
        if outcome.created and self._dice("timeout_after_commit"):
            return api_error(504, "timeout", "the request timed out (switch); retry it")
        return json_response(201 if outcome.created else 200, payload)

    def api_list(self, environ: dict) -> Response:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        try:
            since = int(query.get("since", ["0"])[0])
        except ValueError:
            return api_error(400, "invalid_request", "since must be an epoch second")
        payments = [self._public(p) for p in self.store.list_since(since)]
        return json_response(200, {"object": "list", "data": payments})

    def api_get(self, environ: dict, id: str) -> Response:
        payment = self.store.get(id)
        if payment is None:
            return api_error(404, "not_found", "no such payment")
        return json_response(200, self._public(payment))

    def api_cancel(self, environ: dict, id: str) -> Response:
        if self.store.get(id) is None:
            return api_error(404, "not_found", "no such payment")
        outcome = self.store.transition(id, to=CANCELED, sources=(PENDING, FAILED))
        self.emit(outcome.events)
        return json_response(200, self._public(outcome.object))

    def api_refund(self, environ: dict, id: str) -> Response:
        try:
            data = self._json(environ)
        except BadRequest as exc:
            return api_error(400, "invalid_request", str(exc))
        amount = data.get("amount")
        if not _is_int(amount) or amount <= 0:
            return api_error(400, "invalid_request", "amount must be a positive integer (yen)")
        key = environ.get("HTTP_IDEMPOTENCY_KEY", "")
        try:
            outcome = self.store.refund(id, key=key, amount=amount)
        except KeyError:
            return api_error(404, "not_found", "no such payment")
        except Conflict:
            return api_error(409, "idempotency_conflict", "this key was used for another refund")
        except Refused as exc:
            return api_error(400, exc.code, exc.message)
        return self._answer(outcome, outcome.object)

    # -- the hosted pages --------------------------------------------------------------

    def _succeed(self, payment: dict) -> Response:
        outcome = self.store.transition(payment["id"], to=SUCCEEDED)
        self.emit(outcome.events)
        if outcome.object["status"] == SUCCEEDED:
            return redirect(pages.with_payment(payment["return_url"], payment["id"]))
        return page(pages.settled(outcome.object))

    def _fail(self, payment: dict, failure: str, message: str) -> Response:
        outcome = self.store.transition(payment["id"], to=FAILED, failure=failure)
        self.emit(outcome.events)
        if outcome.object["status"] == FAILED:
            return page(pages.declined(outcome.object, message))
        return page(pages.settled(outcome.object))

    def _not_payable(self, payment: dict | None) -> Response | None:
        if payment is None:
            return page(pages.not_found(), 404)
        if payment["status"] != PENDING:
            return page(pages.settled(payment))
        return None

    def pay_page(self, environ: dict, id: str) -> Response:
        payment = self.store.get(id)
        if refusal := self._not_payable(payment):
            return refusal
        assert payment is not None
        if payment["method"] == "konbini":
            return page(pages.konbini(payment))
        if payment["method"] == "paypay":
            return page(pages.paypay(payment))
        if payment["step"] == "3ds":
            return redirect(f"/pay/{id}/3ds")
        return page(pages.card_form(payment))

    def pay_submit(self, environ: dict, id: str) -> Response:
        payment = self.store.get(id)
        if payment is not None and payment["status"] == SUCCEEDED:
            # The button pressed twice: the first press has paid already.
            return redirect(pages.with_payment(payment["return_url"], id))
        if refusal := self._not_payable(payment):
            return refusal
        assert payment is not None
        if payment["method"] == "konbini":
            return page(pages.konbini(payment))
        if payment["method"] == "paypay":
            return self._succeed(payment)
        form = self._form(environ)
        number, errors = check_card(form, dt.datetime.fromtimestamp(self.store.now(), pages.JST))
        if errors:
            return page(pages.card_form(payment, form, errors), 400)
        if number == DECLINED:
            return self._fail(payment, "card_declined", "カードが承認されませんでした。")
        if number == NEEDS_AUTHENTICATION:
            self.store.set_step(id, "3ds")
            return redirect(f"/pay/{id}/3ds")
        return self._succeed(payment)

    def three_ds_page(self, environ: dict, id: str) -> Response:
        payment = self.store.get(id)
        if refusal := self._not_payable(payment):
            return refusal
        assert payment is not None
        if payment["step"] != "3ds":
            return redirect(f"/pay/{id}")
        return page(pages.three_ds(payment))

    def three_ds_submit(self, environ: dict, id: str) -> Response:
        payment = self.store.get(id)
        if refusal := self._not_payable(payment):
            return refusal
        assert payment is not None
        if payment["step"] != "3ds":
            return redirect(f"/pay/{id}")
        if self._form(environ).get("decision") == "approve":
            return self._succeed(payment)
        return self._fail(
            payment,
            "authentication_failed",
            "本人認証がキャンセルされたため、カードが承認されませんでした。",
        )

    def konbini_page(self, environ: dict, id: str) -> Response:
        payment = self.store.get(id)
        if payment is None or payment["method"] != "konbini":
            return page(pages.not_found(), 404)
        if payment["status"] == SUCCEEDED:
            return page(pages.konbini_receipt(payment))
        if refusal := self._not_payable(payment):
            return refusal
        return page(pages.konbini_counter(payment))

    def konbini_submit(self, environ: dict, id: str) -> Response:
        payment = self.store.get(id)
        if payment is None or payment["method"] != "konbini":
            return page(pages.not_found(), 404)
        outcome = self.store.transition(id, to=SUCCEEDED)
        self.emit(outcome.events)
        if outcome.object["status"] == SUCCEEDED:
            return page(pages.konbini_receipt(outcome.object))
        return page(pages.settled(outcome.object))


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def check_card(form: dict[str, str], today: dt.datetime) -> tuple[str, dict[str, str]]:
    """The card number (digits only) and the errors of the card form, by field. Full-width
    digits are accepted, as are spaces and hyphens in the number."""
    errors: dict[str, str] = {}
    clean = {k: unicodedata.normalize("NFKC", v).strip() for k, v in form.items()}
    number = re.sub(r"[\s-]", "", clean.get("card_number", ""))
    if not number:
        errors["card_number"] = "カード番号を入力してください。"
    elif not re.fullmatch(r"\d{16}", number):
        errors["card_number"] = "カード番号は16桁の数字で入力してください。"
    elif not _luhn(number):
        errors["card_number"] = "カード番号が正しくありません。もう一度ご確認ください。"
    exp = clean.get("exp", "").replace(" ", "")
    match = re.fullmatch(r"(\d{1,2})/?(\d{2}|\d{4})", exp)
    if not exp:
        errors["exp"] = "有効期限を入力してください。"
    elif match is None or not 1 <= int(match.group(1)) <= 12:
        errors["exp"] = "有効期限は「月/年」の形（例: 12/30）で入力してください。"
    else:
        month, year = int(match.group(1)), int(match.group(2))
        year = year + 2000 if year < 100 else year
        if (year, month) < (today.year, today.month):
            errors["exp"] = "有効期限が過ぎています。"
    cvc = clean.get("cvc", "")
    if not cvc:
        errors["cvc"] = "セキュリティコードを入力してください。"
    elif not re.fullmatch(r"\d{3,4}", cvc):
        errors["cvc"] = "セキュリティコードは3桁または4桁の数字で入力してください。"
    return number, errors


def make_app(config: Config | None = None) -> SandboxApp:
    """The WSGI application; with ``config.background`` its threads deliver webhooks and
    expire payments, otherwise the application does both while answering requests."""
    app = SandboxApp(config or Config())
    if app.config.background:
        app.start()
    return app
