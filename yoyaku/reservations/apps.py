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

        # Entry codes follow every change of a reservation that goes through the money hook
        # (booked, approved, paid, confirmed, changed, cancelled, expired).
        from yoyaku.reservations import entry_codes
        from yoyaku.reservations import hooks as reservation_hooks

        reservation_hooks.register_money_handler(entry_codes.entry_code_sync)
