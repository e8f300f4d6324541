from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "meydan.core"
    label = "core"
