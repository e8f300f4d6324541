"""Sign in with WordPress.com (OAuth 2), as an allauth provider.

django-allauth ships no WordPress.com provider, so this is one in allauth's own
shape (provider + OAuth2 adapter + default URLs): about 90 lines in four small files
instead of a fork.
API: https://developer.wordpress.com/docs/oauth2/ and /rest/v1.1/me.
"""

from allauth.account.models import EmailAddress
from allauth.socialaccount.providers.base import ProviderAccount
from allauth.socialaccount.providers.oauth2.provider import OAuth2Provider

from meydan.accounts.wordpress_com.views import WordPressComOAuth2Adapter


class WordPressComAccount(ProviderAccount):
    def get_profile_url(self):
        return self.account.extra_data.get("profile_URL")

    def get_avatar_url(self):
        return self.account.extra_data.get("avatar_URL")

    def to_str(self):
        data = self.account.extra_data
        return data.get("display_name") or data.get("username") or super().to_str()


class WordPressComProvider(OAuth2Provider):
    id = "wordpress"
    name = "WordPress.com"
    account_class = WordPressComAccount
    oauth2_adapter_class = WordPressComOAuth2Adapter

    def get_default_scope(self):
        return ["auth"]

    def extract_uid(self, data):
        return str(data["ID"])

    def extract_common_fields(self, data):
        return {
            "email": data.get("email"),
            "username": data.get("username"),
            "name": data.get("display_name"),
        }

    def extract_email_addresses(self, data):
        email = data.get("email")
        if not email:
            return []
        return [
            EmailAddress(email=email, primary=True, verified=data.get("email_verified") is True)
        ]


provider_classes = [WordPressComProvider]
