from django.apps import AppConfig


class ReservationsConfig(AppConfig):
    name = "yoyaku.reservations"
    label = "reservations"
