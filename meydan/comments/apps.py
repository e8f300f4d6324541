from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "meydan.comments"
    label = "comments"

    def ready(self) -> None:
        from meydan.comments import receivers  # noqa: F401 - connects the receivers
