from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "yoyaku.security"
    label = "security"
