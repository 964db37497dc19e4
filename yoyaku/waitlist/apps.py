from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "yoyaku.waitlist"
    label = "waitlist"

    def ready(self) -> None:
        # Reservations sit below the waitlist: they tell it of freed capacity through their
        # listener registry, never by importing this app.
        from yoyaku.reservations import capacity
        from yoyaku.waitlist import services

        capacity.register_freed_listener(services.capacity_freed)
