from django.apps import AppConfig


class CitizenConfig(AppConfig):
    name = "yoyaku.citizen"
    label = "citizen"
