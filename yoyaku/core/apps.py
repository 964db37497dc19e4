from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "yoyaku.core"
    label = "core"

    def ready(self) -> None:
        # Stamps each new log-in with its start, for the session limits.
        from yoyaku.core import middleware, signals  # noqa: F401

        # Maintenance windows are cached: their changes bump the cache (core/signals.py).
        signals.connect()
