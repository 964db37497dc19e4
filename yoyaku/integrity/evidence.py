"""Keyed hashes of the evidence: a device cookie and a client's network prefix.

Neither the device id nor the client address is stored: only an HMAC-SHA256 keyed by a
secret derived from ``SECRET_KEY`` (with a salt of its own), so the stored values cannot be
turned back into an address by trying all 2^32 of them without the key. Changing
``SECRET_KEY`` starts the evidence afresh (old hashes no longer match new ones).
"""

from __future__ import annotations

import ipaddress
import re
import secrets

from django.utils.crypto import salted_hmac

DEVICE_COOKIE = "yoyaku_device"
DEVICE_COOKIE_MAX_AGE = 2 * 365 * 24 * 3600  # about two years
_DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")

_DEVICE_SALT = "yoyaku.integrity.device"
_NETWORK_SALT = "yoyaku.integrity.network"
_FINGERPRINT_SALT = "yoyaku.integrity.fingerprint"


def new_device_id() -> str:
    """32 URL-safe characters (192 random bits)."""
    return secrets.token_urlsafe(24)


def valid_device_id(value: str | None) -> str | None:
    """The cookie's value when it is one of ours, else None (a new one is then issued)."""
    if value and _DEVICE_ID.match(value):
        return value
    return None


def network_prefix(ip: str | None) -> str:
    """The IPv4 /24 or IPv6 /64 an address belongs to ('' when unknown or malformed)."""
    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv4Address):
        return str(ipaddress.IPv4Network(f"{address}/24", strict=False))
    return str(ipaddress.IPv6Network(f"{address}/64", strict=False))


def device_hash(device_id: str | None) -> str:
    device_id = valid_device_id(device_id)
    if device_id is None:
        return ""
    return salted_hmac(_DEVICE_SALT, device_id, algorithm="sha256").hexdigest()


def network_hash(ip: str | None) -> str:
    prefix = network_prefix(ip)
    if not prefix:
        return ""
    return salted_hmac(_NETWORK_SALT, prefix, algorithm="sha256").hexdigest()


def fingerprint(kind: str, key: str, registrant_ids: list[int]) -> str:
    """Names one cluster's evidence (kind, what matched, who) without storing what matched."""
    members = ",".join(str(pk) for pk in sorted(registrant_ids))
    return salted_hmac(_FINGERPRINT_SALT, f"{kind}|{key}|{members}", algorithm="sha256").hexdigest()
