from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "yoyaku.scheduling"
    label = "scheduling"
