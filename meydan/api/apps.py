from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "meydan.api"
    label = "api"
