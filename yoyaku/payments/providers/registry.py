"""Which provider serves a payment: built once from the settings, replaceable in tests."""

from __future__ import annotations

import importlib

from django.conf import settings
from django.utils.module_loading import import_string

from yoyaku.payments.providers.base import Provider

_instances: dict[str, Provider] = {}


def _build(name: str) -> Provider:
    config = settings.YOYAKU_PAYMENT_PROVIDERS.get(name)
    if config is None:
        raise LookupError(f"payment provider {name!r} is not configured")
    module_name, _, class_name = config["class"].rpartition(".")
    cls = getattr(importlib.import_module(module_name), class_name)
    # Functions the adapter calls back (e.g. PayPay asks which payments are ours), by name.
    callbacks = {key: import_string(path) for key, path in config.get("callbacks", {}).items()}
    return cls(**config.get("options", {}), **callbacks)


def configured() -> set[str]:
    return set(settings.YOYAKU_PAYMENT_PROVIDERS) | set(_instances)


def get(name: str) -> Provider:
    if name not in _instances:
        _instances[name] = _build(name)
    return _instances[name]


def default_name() -> str:
    return settings.YOYAKU_PAYMENT_PROVIDER


def install(name: str, provider: Provider) -> None:
    """Use ``provider`` for ``name`` (tests, the benchmark)."""
    _instances[name] = provider


def reset() -> None:
    _instances.clear()
