from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "meydan.live"
    label = "live"

    def ready(self) -> None:
        from meydan.live import receivers, system_checks  # noqa: F401 - they register
