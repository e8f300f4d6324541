from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "meydan.accounts"
    label = "accounts"

    def ready(self):
        from meydan.accounts import receivers  # noqa: F401 - connects the receivers
