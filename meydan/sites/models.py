"""Site: one tenant — a news site or blog whose pages carry Meydan comments."""

import functools

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from meydan.core.weburl import origin_of, web_url


@functools.lru_cache(maxsize=256)
def _origins(text: str) -> tuple[str, ...]:
    """The origins in a site's `origins` text, normalised (cached: checked per request)."""
    parsed = (origin_of(line) for line in text.splitlines() if line.strip())
    return tuple(dict.fromkeys(origin for origin in parsed if origin))


def normalise_origin(value: str) -> str:
    """'https://Blog.Example.org/' -> 'https://blog.example.org', read as a browser
    reads it (core/weburl.py); raises ValidationError."""
    parsed = web_url(value)
    if parsed is None:
        raise ValidationError(
            _("%(value)s is not an origin like https://blog.example.org")
            % {"value": repr(value.strip())}
        )
    if parsed.path != "/" or parsed.query or parsed.fragment:
        raise ValidationError(
            _("%(value)s has a path; an origin is only scheme://host[:port]")
            % {"value": repr(value.strip())}
        )
    return parsed.origin


def _default_max_depth() -> int:
    return settings.MEYDAN_MAX_DEPTH


def _default_page_size() -> int:
    return settings.MEYDAN_PAGE_SIZE


def _default_page_comments() -> int:
    return settings.MEYDAN_PAGE_COMMENTS


def _default_max_length() -> int:
    return settings.MEYDAN_COMMENT_MAX_LENGTH


class Site(models.Model):
    class Order(models.TextChoices):
        OLDEST = "oldest", _("Oldest first")
        NEWEST = "newest", _("Newest first")
        TOP = "top", _("Most voted")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("public key"),
        max_length=60,
        unique=True,
        help_text=_("Names the site in the embed snippet (data-meydan-site) and the API."),
    )
    domain = models.CharField(
        _("domain"),
        max_length=253,
        unique=True,
        help_text=_("Host name this site is served under, e.g. news.example.org."),
    )
    origins = models.TextField(
        _("allowed origins"),
        blank=True,
        help_text=_("One origin per line (https://blog.example.org) that may embed comments."),
    )
    language = models.CharField(
        _("default language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_(
            "Pages and the widget speak it when neither the reader, nor the page, nor "
            "the browser names a language Meydan ships."
        ),
    )
    # Discussion policy: what the moderation checks and the comment section read.
    comments_open = models.BooleanField(_("comments open on new threads"), default=True)
    hold_all = models.BooleanField(
        _("hold every comment for approval"),
        default=False,
        help_text=_("A moderator must approve each comment before it is shown."),
    )
    close_after_days = models.PositiveSmallIntegerField(
        _("close threads after (days)"),
        default=0,
        help_text=_("Comments close this many days after a thread's first comment; 0 = never."),
    )
    require_name_email = models.BooleanField(_("guests must give name and email"), default=True)
    hold_first_comment = models.BooleanField(
        _("hold unless the author has an approved comment"),
        default=False,
        help_text=_("A first-time commenter waits for approval; after that they post directly."),
    )
    hold_links = models.PositiveSmallIntegerField(
        _("hold a comment with this many links"),
        default=2,
        help_text=_("0 turns this off."),
    )
    moderation_words = models.TextField(
        _("moderation words"),
        blank=True,
        help_text=_(
            "One word or phrase per line. A comment containing one in its text, name, email, "
            "website or IP hash is held."
        ),
    )
    disallowed_words = models.TextField(
        _("disallowed words"),
        blank=True,
        help_text=_("One per line, matched in the same places. A match is refused or spammed."),
    )

    class DisallowedAction(models.TextChoices):
        REJECT = "reject", _("Refuse the comment")
        SPAM = "spam", _("Put it in spam")

    disallowed_action = models.CharField(
        _("on a disallowed word"),
        max_length=6,
        choices=DisallowedAction.choices,
        default=DisallowedAction.SPAM,
    )
    flag_threshold = models.PositiveSmallIntegerField(
        _("hold after this many reader reports"), default=3, validators=[MinValueValidator(1)]
    )
    transparency_public = models.BooleanField(
        _("publish the transparency report"),
        default=False,
        help_text=_(
            "Show the monthly numbers of moderation (comments published, held, removed by "
            "reason, bans, readers' reports) at /transparency/, as a page, JSON and CSV. "
            "Numbers only, never a commenter's identity."
        ),
    )
    max_depth = models.PositiveSmallIntegerField(
        _("maximum nesting depth"),
        default=_default_max_depth,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("Replies deeper than this attach at the deepest level."),
    )
    page_size = models.PositiveSmallIntegerField(
        _("top-level comments per page"),
        default=_default_page_size,
        validators=[MinValueValidator(1), MaxValueValidator(500)],
    )
    page_comments = models.PositiveSmallIntegerField(
        _("comments per page"),
        default=_default_page_comments,
        validators=[MinValueValidator(10), MaxValueValidator(2000)],
        help_text=_(
            "A page ends before the discussion that would take it past this many comments "
            "(a single larger discussion has a page of its own). Keeps the first page of a "
            "very long thread quick to load."
        ),
    )
    default_order = models.CharField(
        _("comment order"), max_length=6, choices=Order.choices, default=Order.OLDEST
    )
    max_comment_length = models.PositiveIntegerField(
        _("maximum comment length"),
        default=_default_max_length,
        validators=[MinValueValidator(1), MaxValueValidator(40_000)],
    )
    edit_window_minutes = models.PositiveSmallIntegerField(
        _("edit window (minutes)"),
        default=15,
        validators=[MaxValueValidator(10_080)],
        help_text=_("How long authors may edit or delete their own comments; 0 turns it off."),
    )
    # Retention (meydan.privacy.purge, run daily by the worker or `meydan purge`; the
    # /privacy/ page tells readers these).
    ip_hash_days = models.PositiveSmallIntegerField(
        _("keep IP hashes (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("IP hashes are removed this many days after a comment."),
    )
    email_days = models.PositiveSmallIntegerField(
        _("keep emails of published comments (days)"),
        null=True,
        blank=True,
        help_text=_(
            "The email on a published comment is replaced by a keyed hash after this many "
            "days; empty = never. 180 is a good start."
        ),
    )
    # The hash of the site's secret token for server-to-server calls (announcing a
    # new post: POST /api/v1/sites/{key}/posts); the token itself is shown once.
    post_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    moderators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="moderated_sites",
        help_text=_("Staff who moderate this site; they see only the sites they moderate."),
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def origin_list(self) -> list[str]:
        """The registered origins, as browsers send them (scheme://host[:port])."""
        return list(_origins(self.origins))

    def allows_origin(self, origin: str | None) -> bool:
        if not origin:
            return False
        known = _origins(self.origins)
        return origin in known or origin_of(origin) in known

    def clean(self) -> None:
        """Each line of `origins` must be an origin; they are stored normalised."""
        super().clean()
        lines = [line for line in self.origins.splitlines() if line.strip()]
        try:
            self.origins = "\n".join(normalise_origin(line) for line in lines)
        except ValidationError as error:
            raise ValidationError({"origins": error.messages}) from None
