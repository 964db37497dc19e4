from django.apps import AppConfig


class FacilitiesConfig(AppConfig):
    name = "yoyaku.facilities"
    label = "facilities"
