"""Articles of the small news site that ships with Meydan (the demo host)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meydan.comments.rendering import render_markdown
from meydan.sites.models import Site


class Article(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="articles")
    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=200)
    standfirst = models.CharField(_("standfirst"), max_length=500, blank=True)
    byline = models.CharField(_("byline"), max_length=200, blank=True)
    body = models.TextField(_("body (Markdown)"))
    body_html = models.TextField(editable=False, blank=True)
    published = models.DateTimeField(_("published"), default=timezone.now)
    is_published = models.BooleanField(_("published on the site"), default=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_(
            "The language the article is written in; its page speaks it unless the "
            "reader chose another. Empty: the site's default."
        ),
    )

    class Meta:
        ordering = ["-published"]
        constraints = [
            models.UniqueConstraint(fields=["site", "slug"], name="article_unique_slug_per_site")
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.body_html = render_markdown(self.body, breaks=False)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("newsroom:article", kwargs={"slug": self.slug})
