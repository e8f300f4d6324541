from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """What Meydan keeps about commenters, and for how long: readers' self-service
    ("manage my comments"), retention and the purge, and the /privacy/ page."""

    name = "meydan.privacy"
    label = "privacy"

    def ready(self) -> None:
        from meydan.privacy import system_checks  # noqa: F401 - it registers
