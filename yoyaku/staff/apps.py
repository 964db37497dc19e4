from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "yoyaku.staff"
    label = "staff"
