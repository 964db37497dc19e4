from django.apps import AppConfig


class IntegrityConfig(AppConfig):
    name = "yoyaku.integrity"
    label = "integrity"
