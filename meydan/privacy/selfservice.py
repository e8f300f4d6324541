"""Readers' self-service: "manage my comments" for guests (by an email link) and
signed-in readers (on /account/): see, download and erase one's own comments, and
cancel one's subscriptions.

A guest proves an address by opening a link sent to it. The link is valid for
LINK_MINUTES, once; asking for it gives the same answer whether or not the address
has comments, and is rate-limited per address and per client. Opening it starts an
Access (a signed cookie on /manage/ for the rest of the hour) naming the site, the
address's keyed hash, and the address itself (the reader's own, shown back to them
and put in their download; the database holds it in clear nowhere).

Every erase goes through comments.services.comment_erase: the text and author are
wiped from the comment and from every copy (audit snapshots, reports, spam memory,
waiting mail), the cached pages of the thread are dropped, and the moderation log
records only that its author erased it, and when.
"""

import base64
import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from meydan.comments import services as comment_services
from meydan.comments.events import Channel
from meydan.comments.models import Comment
from meydan.comments.reasons import Reason
from meydan.core import sealing
from meydan.core.ratelimit import hit
from meydan.interchange.writers import meydan as meydan_json
from meydan.interchange.writers import utc
from meydan.notifications.mail import clean_address, mail_enqueue
from meydan.notifications.models import Subscription
from meydan.notifications.services import absolute
from meydan.privacy.models import ManageLink

LINK_MINUTES = 60
CHANNEL = Channel.SELF_SERVICE


class Erase:
    """How a reader erases a comment: keep a placeholder (replies keep their place,
    shown under "comment removed by its author"), or remove the row entirely where
    nobody replied (with replies, a placeholder stays either way)."""

    PLACEHOLDER = "placeholder"
    REMOVE = "remove"
    CHOICES = (PLACEHOLDER, REMOVE)


@dataclass(frozen=True)
class Access:
    """What an opened link lets its holder manage, until `expires`."""

    site_id: int
    email_hash: str
    address: str
    expires: datetime

    def as_cookie(self) -> dict:
        return {
            "s": self.site_id,
            "h": self.email_hash,
            "a": self.address,
            "e": int(self.expires.timestamp()),
        }

    @classmethod
    def from_cookie(cls, data) -> "Access | None":
        try:
            expires = datetime.fromtimestamp(int(data["e"]), tz=timezone.get_current_timezone())
            access = cls(int(data["s"]), str(data["h"]), str(data["a"]), expires)
        except (KeyError, TypeError, ValueError):
            return None
        if access.expires <= timezone.now() or not sealing.is_email_hash(access.email_hash):
            return None
        return access


def _token_key(token: str) -> tuple[str, bytes]:
    """(what is stored to find the link, the key of the box holding the address)."""
    digest = hashlib.sha256(f"meydan-manage:{token}".encode()).digest()
    return hashlib.sha256(digest).hexdigest(), digest


def _known_here(site, email_hash: str) -> bool:
    return (
        Comment.objects.filter(thread__site=site, author_email_hash=email_hash).exists()
        or Subscription.objects.filter(site=site, email_hash=email_hash).exists()
    )


def manage_link_request(*, site, email: str, client_hash: str, language: str = "") -> int:
    """A reader asks for a link to manage `email`'s comments on `site`. Returns 0,
    or seconds to wait when this client asked too often (the only answer that
    differs, and it says nothing about the address). Raises ValidationError for
    anything but one address. A link is mailed only if the address has comments or
    subscriptions here, and at most MEYDAN_RATELIMIT_MANAGE_LINKS times per address
    (silently: the page says the same either way)."""
    address = clean_address(email)
    email_hash = sealing.email_hash(address)
    per_client = settings.MEYDAN_RATELIMIT_MANAGE_CLIENT
    if per_client and client_hash:
        wait = hit("manage-client", client_hash, *per_client)
        if wait:
            return wait
    per_address = settings.MEYDAN_RATELIMIT_MANAGE_LINKS
    if per_address and hit("manage-address", email_hash, *per_address):
        return 0
    if not _known_here(site, email_hash):
        return 0
    token = secrets.token_urlsafe(32)
    key_hash, box_key = _token_key(token)
    box = base64.b64encode(SecretBox(box_key).encrypt(address.encode())).decode()
    with transaction.atomic():
        ManageLink.objects.create(
            key_hash=key_hash,
            site=site,
            email_hash=email_hash,
            address_box=box,
            expires=timezone.now() + timedelta(minutes=LINK_MINUTES),
        )
        link = absolute(reverse("privacy:manage-open", args=[token]))
        with translation.override(language or None):
            context = {"site": site, "link": link, "minutes": LINK_MINUTES}
            mail_enqueue(
                to=address,
                subject=_("Manage your comments on %(site)s") % {"site": site.name[:80]},
                text=render_to_string("privacy/email/manage_link.txt", context),
                html=render_to_string("privacy/email/manage_link.html", context),
                kind="manage-link",
            )
    return 0


def manage_link_peek(token: str) -> ManageLink | None:
    """The link a token names, if it can still be opened (for the page that asks
    "open?", so that a mail scanner's GET uses nothing up)."""
    key_hash, _box_key = _token_key(token)
    return (
        ManageLink.objects.select_related("site")
        .filter(key_hash=key_hash, used=None, expires__gt=timezone.now())
        .first()
    )


def manage_link_open(token: str) -> Access | None:
    """Use a link (once): the Access it gives, or None when it is forged, altered,
    expired or used already (nothing changes then)."""
    key_hash, box_key = _token_key(token)
    now = timezone.now()
    link = ManageLink.objects.filter(key_hash=key_hash, used=None, expires__gt=now).first()
    if link is None:
        return None
    # The UPDATE decides a race between two opens: only one of them changes the row.
    if not ManageLink.objects.filter(pk=link.pk, used=None).update(used=now):
        return None
    try:
        address = SecretBox(box_key).decrypt(base64.b64decode(link.address_box)).decode()
    except (CryptoError, ValueError):
        return None
    return Access(link.site_id, link.email_hash, address, link.expires)


# --- What a reader may see and do ------------------------------------------------


def _visible(comments):
    """Their comments, except the placeholders of ones already erased."""
    return comments.exclude(status=Comment.Status.TRASH, body="").order_by("-created", "-pk")


def comments_of_address(access: Access):
    """The comments an address wrote on the site (guest comments: signed-in readers
    manage theirs on /account/)."""
    return _visible(
        Comment.objects.filter(
            thread__site_id=access.site_id, user=None, author_email_hash=access.email_hash
        ).select_related("thread")
    )


def comments_of_user(user):
    return _visible(Comment.objects.filter(user=user).select_related("thread__site"))


def subscriptions_of_address(access: Access):
    return Subscription.objects.filter(
        site_id=access.site_id, email_hash=access.email_hash
    ).select_related("thread")


def _erase(comment: Comment, *, how: str, actor) -> None:
    if how not in Erase.CHOICES:
        raise ValueError(f"unknown way to erase: {how!r}")
    # The moderation log records it (moderation.services.author_erase_recorded).
    comment_services.comment_erase(
        comment,
        reason=Reason.of("erased", how="removed by its author"),
        channel=CHANNEL,
        actor=actor,
        delete_row=how == Erase.REMOVE,
        name="",
    )


def erase_comments(comments, *, how: str, actor=None) -> int:
    """Erase each of `comments` (all of them, or none: one transaction)."""
    count = 0
    with transaction.atomic():
        for comment in list(comments.order_by("-path")):  # replies first
            _erase(comment, how=how, actor=actor)
            count += 1
    return count


def cancel_subscriptions(access: Access, ids=None) -> int:
    chosen = subscriptions_of_address(access)
    if ids is not None:
        chosen = chosen.filter(pk__in=ids)
    count, _kinds = chosen.delete()
    return count


def download(site, *, only: Q, email: str | None = None, subscriptions=None) -> bytes:
    """A reader's comments as Meydan's JSON (docs/interchange-format.md), with
    their subscriptions after the threads when given."""
    out = io.BytesIO()
    extra = None
    if subscriptions is not None:
        extra = {
            "subscriptions": [
                {
                    "kind": s.kind,
                    "thread": s.thread.key if s.thread_id else None,
                    "confirmed": utc(s.confirmed),
                }
                for s in subscriptions
            ]
        }
    meydan_json.write(site, out, only=only, email=email, extra=extra, for_author=True)
    return out.getvalue()
