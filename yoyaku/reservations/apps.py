from django.apps import AppConfig


class ReservationsConfig(AppConfig):
    name = "yoyaku.reservations"
    label = "reservations"

    def ready(self) -> None:
        # Registrants sit below reservations: ending a registration cancels its reservations,
        # and future reservations keep it from deregistering, through the registrants' registry.
        from yoyaku.registrants import hooks
        from yoyaku.reservations import booking, selectors

        hooks.register_end_handler(booking.reservations_cancel_for_registrant)
        hooks.register_obligation_provider(selectors.registrant_obligations)
