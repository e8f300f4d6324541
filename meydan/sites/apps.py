from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "meydan.sites"
    label = "meydan_sites"
    verbose_name = "Sites"
