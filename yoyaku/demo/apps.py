from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "yoyaku.demo"
    label = "demo"
    verbose_name = "デモデータ"
