"""A reader's public identity: the name and picture their comments carry."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.display_name
