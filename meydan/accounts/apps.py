from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "meydan.accounts"
    label = "accounts"
