from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "meydan.comments"
    label = "comments"

    def ready(self) -> None:
        from meydan.comments import receivers, system_checks  # noqa: F401 - they register
