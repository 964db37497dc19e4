from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "yoyaku.core"
    label = "core"

    def ready(self) -> None:
        # Stamps each new log-in with its start, for the session limits.
        from yoyaku.core import middleware  # noqa: F401
