from django.apps import AppConfig


class WordPressComConfig(AppConfig):
    name = "meydan.accounts.wordpress_com"
    label = "meydan_wordpress_com"
    verbose_name = "WordPress.com sign-in"
