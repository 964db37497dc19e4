"""The payment sandbox: a payment provider simulator shipped with yoyaku.

It is the demo's default provider and the one the browser tests pay with. It uses the
standard library only, so it runs as its own process::

    python -m yoyaku.payments.sandbox --host 127.0.0.1 --port 8001 \\
        --webhook-url http://127.0.0.1:8000/payments/webhook/sandbox/ \\
        --secret <webhook secret> --data sandbox.sqlite3

Every option can also come from the environment: ``YOYAKU_SANDBOX_PORT``,
``YOYAKU_SANDBOX_WEBHOOK_URL``, ``YOYAKU_SANDBOX_SECRET``, ``YOYAKU_SANDBOX_DATA`` (and
``YOYAKU_SANDBOX_HOST``, ``YOYAKU_SANDBOX_PUBLIC_URL``, ``YOYAKU_SANDBOX_API_KEY``,
``YOYAKU_SANDBOX_SEED``, ``YOYAKU_SANDBOX_SWITCHES``). Without ``--data`` the records live in
memory and vanish with the process; the webhook secret defaults to ``sandbox-secret`` and
must be the one the site verifies with. Tests build the same WSGI application
in-process with :func:`make_app` and call it through :func:`wsgi_transport`, without sockets;
``app.dispatcher.flush()`` then delivers the webhooks still waiting.

JSON API (``Authorization: Bearer <api key>``, default ``sandbox-key``)
    ``POST /v1/payments`` — amount (yen), currency ``JPY``, method ``card`` | ``konbini`` |
    ``paypay``, description, return_url, cancel_url, expires_at (epoch), metadata. The
    ``Idempotency-Key`` header makes a retry return the same payment; the same key with another
    body answers 409. ``GET /v1/payments/<id>``, ``POST /v1/payments/<id>/cancel`` (a paid
    payment stays paid), ``POST /v1/payments/<id>/refunds`` (amount, ``Idempotency-Key``; more
    than what was paid minus earlier refunds answers 400), ``GET /v1/payments?since=<epoch>``
    (payments changed since then, for reconciliation).

Hosted pages (Japanese, no JavaScript)
    ``/pay/<id>`` is the page the browser is sent to. For a card:

    ========================  ====================================================
    4242 4242 4242 4242       the payment succeeds (any other valid 16-digit number too)
    4000 0000 0000 0002       declined: status ``failed``, 「カードが承認されませんでした」
    4000 0000 0000 3220       a 本人認証 step follows: 認証する succeeds, キャンセル fails
    ========================  ====================================================

    Any future 有効期限 (MM/YY) and any 3-digit セキュリティコード will do. After a success the
    browser is sent (303) to ``return_url?payment=<id>``.

    Konbini: the page shows the 払込番号 and the deadline; the payment stays ``pending`` until
    someone presses 支払う on ``/konbini/<id>/pay`` (paying at the store's counter). PayPay: a
    page with a fake QR code and a 支払う button, which succeeds like a card.

Deadlines
    A payment still pending after its ``expires_at`` becomes ``expired``: checked on every
    request and every few seconds by a background thread.

Webhooks
    Every change of status (``payment.succeeded``, ``payment.failed``, ``payment.expired``,
    ``payment.canceled``, ``refund.succeeded``) is POSTed to the webhook URL as
    ``{"id": "evt_…", "type": …, "payment": "pay_…", "created": epoch}`` (a refund's event
    also names the ``refund``) with the header
    ``X-Sandbox-Signature: t=<epoch>,v1=<hex HMAC-SHA256 of "<t>.<body>">``; see
    :func:`verify_signature`. Until the receiver answers 2xx, it is retried after 1, 2, 4, 8
    and 16 seconds.

Fault switches (``POST /_switches`` with a JSON object, ``GET /_switches``, or ``--switches``)
    ``duplicate_webhooks`` (probability: an event is sent twice), ``out_of_order``
    (probability: an event is held back a few seconds, so a later one arrives first),
    ``webhook_delay_seconds`` (every event waits this long), ``drop_webhooks`` (probability:
    an event is never sent), ``down`` (true: the JSON API answers 503; the pages still work),
    ``timeout_after_commit`` (probability: a payment or refund is created but the answer is a
    504; retrying with the same idempotency key returns the same object). The dice are seeded
    with ``--seed`` for reproducible runs. ``GET /_webhooks`` lists the events, every delivery
    try with the receiver's answer, and the events dropped. Both need the API key.
"""

from .config import Config, Switches
from .server import SandboxApp, make_app
from .signing import HEADER as SIGNATURE_HEADER
from .signing import sign, verify_signature
from .transport import wsgi_transport

__all__ = [
    "SIGNATURE_HEADER",
    "Config",
    "SandboxApp",
    "Switches",
    "make_app",
    "sign",
    "verify_signature",
    "wsgi_transport",
]
