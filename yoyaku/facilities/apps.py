from django.apps import AppConfig


class FacilitiesConfig(AppConfig):
    name = "yoyaku.facilities"
    label = "facilities"

    def ready(self) -> None:
        # Changes of the setup bump the booking path's cache (yoyaku/facilities/setup_cache.py).
        from yoyaku.facilities import signals

        signals.connect()
