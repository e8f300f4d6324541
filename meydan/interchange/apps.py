from django.apps import AppConfig


class InterchangeConfig(AppConfig):
    name = "meydan.interchange"
    label = "interchange"
    verbose_name = "Import and export"
    default_auto_field = "django.db.models.BigAutoField"
