from django.apps import AppConfig


class LotteryConfig(AppConfig):
    name = "yoyaku.lottery"
    label = "lottery"
