from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "yoyaku.payments"
    label = "payments"

    def ready(self) -> None:
        # The ledger follows every reservation whose money changes (registered with the
        # reservations app, which never imports this one).
        from yoyaku.payments import handlers

        handlers.register()
