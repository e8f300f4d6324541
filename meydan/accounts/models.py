"""A reader's public identity: the name and picture their comments carry."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from meydan.core import sealing


class Picture(models.Model):
    """A profile picture copied from the provider, served from our own origin.

    Readers' browsers never load pictures from Google, Facebook & co: that would
    tell those companies who reads which article.
    """

    key = models.CharField(max_length=40, unique=True)
    content_type = models.CharField(max_length=40)
    data = models.BinaryField()
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meydan_profile"
    )
    display_name = models.CharField(_("display name"), max_length=100)
    picture = models.ForeignKey(Picture, on_delete=models.SET_NULL, null=True, blank=True)
    # The address the provider gave, kept as every commenter's is (core.sealing): a
    # keyed hash and a sealed copy, never in clear. allauth's own copies (the user's
    # email, EmailAddress rows, the provider's profile) are not kept for readers.
    email_hash = models.CharField(max_length=32, blank=True, db_index=True)
    email_sealed = models.CharField(max_length=1000, blank=True)
    email_verified = models.BooleanField(default=False)
    # A passkey account (accounts/passkeys.py): the display name and its passkeys are
    # the whole account; the name is unique among all readers so that it finds the
    # account when a recovery code is used.
    passkey_account = models.BooleanField(default=False)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # The name finds a passkey account when its owner uses a recovery code.
            models.UniqueConstraint(
                Lower("display_name"),
                condition=models.Q(passkey_account=True),
                name="accounts_profile_passkey_name_unique",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def email_stored(self) -> sealing.Stored:
        return sealing.Stored(self.email_hash, self.email_sealed)


class WidgetToken(models.Model):
    """A widget's sign-in (see accounts/tokens.py). Only the token's SHA-256 is kept,
    so a copy of the database signs nobody in."""

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="widget_tokens"
    )
    site = models.ForeignKey("meydan_sites.Site", on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=40, blank=True)
    origin = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "expires"])]

    def __str__(self) -> str:
        return f"{self.user} on {self.origin or self.site_id}"
