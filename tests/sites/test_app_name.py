"""The sites app's name, as the admin's index shows it, in the staff's language."""

from django.apps import apps
from django.utils import translation


def test_the_app_is_named_in_each_language():
    config = apps.get_app_config("meydan_sites")
    names = {}
    for language in ("en", "az", "ru", "tr", "fa"):
        with translation.override(language):
            names[language] = str(config.verbose_name)
    assert names == {"en": "Sites", "az": "Saytlar", "ru": "Сайты", "tr": "Siteler", "fa": "سایت‌ها"}
