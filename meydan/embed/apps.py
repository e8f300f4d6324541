from django.apps import AppConfig


class EmbedConfig(AppConfig):
    name = "meydan.embed"
    label = "embed"
