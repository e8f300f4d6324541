"""What readers' self-service keeps: the "manage my comments" links sent by email."""

from django.db import models


class ManageLink(models.Model):
    """A link that opens one address's comments on one site: valid an hour, once.

    Only the token's SHA-256 is kept (a copy of the database opens nothing), and the
    address the reader typed is kept only in a box that the token itself opens (so
    the page can give the reader their own address back in a download, and the
    database holds it in clear nowhere)."""

    key_hash = models.CharField(max_length=64, unique=True)
    site = models.ForeignKey("meydan_sites.Site", on_delete=models.CASCADE, related_name="+")
    email_hash = models.CharField(max_length=32, db_index=True)
    address_box = models.CharField(max_length=600)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField(db_index=True)
    used = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"manage link for site {self.site_id}"
