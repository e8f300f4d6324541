from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "meydan.comments"
    label = "comments"
