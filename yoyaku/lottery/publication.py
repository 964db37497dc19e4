"""Writing a drawing's published document, and making seeds: the operator's side of
``yoyaku.lottery.algorithm``.

The algorithm module is what anyone runs to check a drawing (the drawing, the applications
hash, ``verify()`` and the command line), and its docstring is the specification. What only the
server does — a round's seed from the secret key, the document built after a drawing and its
text with one application, capacity entry and result per line — is here, so the published
verifier stays the part a citizen needs. Standard library only, like the algorithm.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from yoyaku.lottery.algorithm import (
    ALGORITHM,
    ALGORITHM_1,
    SEED_CONTEXT,
    Application,
    Result,
    _check_max_wins,
    _cyclic_gc_paused,
    _dumps,
    applications_hash,
    normalize_public_value,
    seed_commitment,
)

# --- seeds ----------------------------------------------------------------------------------


def new_seed() -> bytes:
    """32 bytes from the operating system's secure random source."""
    return secrets.token_bytes(32)


def derive_seed(key: bytes, municipality: str, nonce: str) -> bytes:
    """A round's seed from the operator's secret key and the round's public nonce (-2)."""
    if not isinstance(key, bytes | bytearray) or not key:
        raise ValueError("the seed key must be non-empty bytes")
    message = f"{SEED_CONTEXT}\n{municipality}\n{nonce}".encode()
    return hmac.digest(bytes(key), message, "sha256")


# --- the published document ---------------------------------------------------------------


def published_document(
    round_info: Mapping[str, Any],
    seed: bytes,
    applications: Sequence[Application],
    capacity: Mapping[str, int],
    settings: Mapping[str, Any],
    result: Result,
    *,
    public_value: str | None = None,
    public_source: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON-ready document to publish after the drawing (format in the module docstring):
    -2 with ``public_value`` (and its ``public_source``), -1 without.

    ``settings`` holds ``max_wins_per_registrant``, as given to draw(). The document is built
    from what it is given, not re-drawn: run verify() on it before publishing.
    """
    unknown = set(settings) - {"max_wins_per_registrant"}
    if unknown:
        raise ValueError(f"unknown settings: {sorted(unknown)}")
    second = public_value is not None
    if second:
        applications = sorted(applications, key=lambda application: application.id)
    with _cyclic_gc_paused():
        applications_json = [application.to_json() for application in applications]
    document: dict[str, Any] = {
        "algorithm": ALGORITHM if second else ALGORITHM_1,
        "round": dict(round_info),
        "seed_sha256": seed_commitment(seed),
        "seed": bytes(seed).hex(),
    }
    if second:
        document["public_value"] = {
            "source": dict(public_source or {}),
            "value": normalize_public_value(public_value),
        }
        document["applications_sha256"] = applications_hash(applications)
    document.update(
        {
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
    )
    if second:
        document["results"]["runner_up"] = list(result.runner_up)
    return document


def document_dumps(document: Mapping[str, Any]) -> str:
    """The document as compact JSON text (UTF-8, not escaped): one application per line, one
    capacity entry per line, and one entry of the results (an id of the order, a win, a
    runner-up) per line."""
    dumps = _dumps
    lines = ["{"]
    keys = list(document)
    with _cyclic_gc_paused():
        for position, key in enumerate(keys):
            comma = "," if position < len(keys) - 1 else ""
            if key == "applications":
                rows = [dumps(application) for application in document[key]]
                lines.append(f"{dumps(key)}:[")
                if rows:
                    lines.append(",\n".join(rows))
                lines.append(f"]{comma}")
            elif key == "capacity" and isinstance(document[key], Mapping):
                rows = [f"{dumps(k)}:{dumps(v)}" for k, v in document[key].items()]
                lines.append(f"{dumps(key)}:{{")
                if rows:
                    lines.append(",\n".join(rows))
                lines.append(f"}}{comma}")
            elif key == "results" and isinstance(document[key], Mapping):
                lines.append(f"{dumps(key)}:{{")
                parts = list(document[key].items())
                for part_position, (name, value) in enumerate(parts):
                    part_comma = "," if part_position < len(parts) - 1 else ""
                    if isinstance(value, Mapping):
                        rows = [f"{dumps(k)}:{dumps(v)}" for k, v in value.items()]
                        opening, closing = "{", "}"
                    elif isinstance(value, list):
                        rows = [dumps(item) for item in value]
                        opening, closing = "[", "]"
                    else:
                        lines.append(f"{dumps(name)}:{dumps(value)}{part_comma}")
                        continue
                    lines.append(f"{dumps(name)}:{opening}")
                    if rows:
                        lines.append(",\n".join(rows))
                    lines.append(f"{closing}{part_comma}")
                lines.append(f"}}{comma}")
            else:
                lines.append(f"{dumps(key)}:{dumps(document[key])}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"
