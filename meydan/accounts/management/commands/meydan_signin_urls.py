"""`meydan meydan_signin_urls`: the callback URL to register with each configured provider."""

from allauth.socialaccount.adapter import get_adapter
from django.conf import settings
from django.core.management.base import BaseCommand
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from meydan.accounts.providers import provider_key, provider_label


def callback_path(provider) -> str:
    try:
        return reverse(f"{provider.id}_callback")
    except NoReverseMatch:  # an OpenID Connect app: one URL pattern for all of them
        return reverse("openid_connect_callback", kwargs={"provider_id": provider_key(provider)})


class Command(BaseCommand):
    help = "Print the OAuth callback (redirect) URL to register with each sign-in provider."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default=settings.MEYDAN_PUBLIC_URL or "http://127.0.0.1:8000",
            help="Where readers reach Meydan (default: MEYDAN_PUBLIC_URL or http://127.0.0.1:8000)",
        )

    def handle(self, *args, base_url, **options):
        base = base_url.rstrip("/")
        request = RequestFactory().get("/")
        providers = get_adapter().list_providers(request)
        if not providers:
            self.stdout.write(
                "No sign-in provider is configured. Set MEYDAN_GOOGLE_CLIENT_ID and "
                "MEYDAN_GOOGLE_SECRET (or FACEBOOK, TWITTER, WORDPRESS, OIDC), or add a "
                "Social application in the admin."
            )
            return
        for provider in providers:
            self.stdout.write(f"{provider_label(provider):<16} {base}{callback_path(provider)}")
