"""The LINE Messaging API at its HTTP boundary: channel keys, webhook signatures, push and reply.

Plain ``urllib`` (no SDK): two endpoints, JSON in and out. Only text messages are sent, so
whatever text a message carries is shown by LINE as plain text, never as markup or a template.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings

# LINE's limit for one text message is 5,000 characters.
TEXT_LIMIT = 5000
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Channel:
    """A municipality's LINE official account (its Messaging API channel)."""

    secret: str
    access_token: str
    bot_id: str = ""  # the account's basic ID (@…), shown on my page


def _per_municipality(value: str, slug: str) -> str:
    """``slug:value`` entries, comma-separated; an entry without a slug is everyone's."""
    default = ""
    for entry in value.split(","):
        entry = entry.strip()
        if not entry:
            continue
        name, sep, rest = entry.partition(":")
        if not sep:
            default = entry
        elif name.strip() == slug:
            return rest.strip()
    return default


def channel_for(slug: str) -> Channel | None:
    """The municipality's channel, or None when LINE is not set up for it."""
    secret = _per_municipality(settings.YOYAKU_LINE_CHANNEL_SECRET, slug)
    token = _per_municipality(settings.YOYAKU_LINE_CHANNEL_ACCESS_TOKEN, slug)
    if not secret or not token:
        return None
    return Channel(
        secret=secret,
        access_token=token,
        bot_id=_per_municipality(settings.YOYAKU_LINE_BOT_ID, slug),
    )


def signature_valid(*, channel: Channel, body: bytes, signature: str) -> bool:
    """X-Line-Signature: base64 of HMAC-SHA256 of the raw body with the channel secret."""
    digest = hmac.new(channel.secret.encode(), body, hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def plain_text(text: str) -> str:
    """Within LINE's limit; the end is cut (with …) rather than the message refused."""
    text = text.replace("\r\n", "\n").strip()
    if len(text) > TEXT_LIMIT:
        text = text[: TEXT_LIMIT - 1] + "…"
    return text


@dataclass(frozen=True)
class Answer:
    """What LINE answered; ``status`` 0 when it could not be reached."""

    status: int
    body: dict
    retry_after: int | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def transient(self) -> bool:
        """Worth trying again: rate limited, LINE's own error, or no answer."""
        return self.status in (0, 429) or self.status >= 500

    @property
    def error(self) -> str:
        """LINE's error message (about the request's shape, never its text), for the record."""
        if self.status == 0:
            return "unreachable"
        return str(self.body.get("message", ""))[:200]


def _post(channel: Channel, path: str, payload: dict, headers: dict[str, str]) -> Answer:
    request = urllib.request.Request(
        settings.YOYAKU_LINE_API_URL.rstrip("/") + path,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {channel.access_token}",
            "Content-Type": "application/json; charset=utf-8",
            **headers,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            status, raw, response_headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, raw, response_headers = error.code, error.read(), error.headers
    except (urllib.error.URLError, OSError):
        return Answer(status=0, body={})
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        body = {}
    retry_after = response_headers.get("Retry-After") if response_headers else None
    return Answer(
        status=status,
        body=body if isinstance(body, dict) else {},
        retry_after=int(retry_after) if retry_after and retry_after.isdigit() else None,
    )


def push(*, channel: Channel, to: str, text: str, retry_key: str) -> Answer:
    """POST /v2/bot/message/push: one text message to one LINE user."""
    return _post(
        channel,
        "/v2/bot/message/push",
        {"to": to, "messages": [{"type": "text", "text": plain_text(text)}]},
        {"X-Line-Retry-Key": retry_key},
    )


def reply(*, channel: Channel, reply_token: str, text: str) -> Answer:
    """POST /v2/bot/message/reply: the answer to a webhook event (its token is single use)."""
    return _post(
        channel,
        "/v2/bot/message/reply",
        {"replyToken": reply_token, "messages": [{"type": "text", "text": plain_text(text)}]},
        {},
    )
