from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "meydan.moderation"
    label = "moderation"
