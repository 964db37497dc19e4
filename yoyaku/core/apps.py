from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "yoyaku.core"
    label = "core"
