from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "yoyaku.core"
    label = "core"

    def ready(self) -> None:
        # middleware stamps each new log-in with its start, for the session limits; the API
        # token model lives beside its services (api_tokens) and registers when imported.
        from yoyaku.core import api_tokens, middleware  # noqa: F401
