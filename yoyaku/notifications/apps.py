from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "yoyaku.notifications"
    label = "notifications"
