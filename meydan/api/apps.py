from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "meydan.api"
    label = "api"

    def ready(self) -> None:
        from meydan.api import receivers  # noqa: F401 - connects the receivers
