from django.apps import AppConfig


class RegistrantsConfig(AppConfig):
    name = "yoyaku.registrants"
    label = "registrants"
