"""Readers' subscriptions: subscribe (double opt-in), confirm, cancel; and the
signed links in every message.

Links carry signed tokens, each for one purpose (its own salt): confirming (valid
CONFIRM_DAYS), unsubscribing one subscription and managing an address's
subscriptions (these never expire: an old message's unsubscribe link must keep
working). A token names a subscription or an address; it grants nothing else.
"""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from meydan.accounts.models import Profile
from meydan.core import sealing, sqlrows
from meydan.core.ratelimit import hit
from meydan.core.shared_cache import site_fact, when_shared
from meydan.notifications.mail import clean_address, clean_header_text, mail_enqueue
from meydan.notifications.models import Subscription

CONFIRM_DAYS = 7
_CONFIRM = "meydan.notifications.confirm"
_UNSUBSCRIBE = "meydan.notifications.unsubscribe"
_MANAGE = "meydan.notifications.manage"


def absolute(path: str) -> str:
    """A link for an email: MEYDAN_PUBLIC_URL (set it in production), else the demo's
    address."""
    return f"{(settings.MEYDAN_PUBLIC_URL or 'http://127.0.0.1:8000').rstrip('/')}{path}"


def manage_comments_link(site) -> str:
    """ "Manage my comments" (meydan.privacy): the page that mails a fresh link."""
    return absolute(f"{reverse('privacy:manage')}?site={site.slug}")


def confirm_token(subscriptions) -> str:
    return signing.dumps(sorted(s.pk for s in subscriptions), salt=_CONFIRM)


def unsubscribe_token(subscription: Subscription) -> str:
    return signing.dumps(subscription.pk, salt=_UNSUBSCRIBE)


def manage_token(email_hash: str) -> str:
    """The link to every subscription of one address: it names the address's keyed
    hash, never the address (a link ends up in logs and browser histories)."""
    return signing.dumps({"h": email_hash}, salt=_MANAGE)


def _unsubscribe_pk(token: str) -> int | None:
    """The subscription id an unsubscribe token of ours names, or None."""
    try:
        pk = signing.loads(token, salt=_UNSUBSCRIBE)
    except signing.BadSignature:
        return None
    return pk if isinstance(pk, int) else None


def subscription_for_token(token: str) -> Subscription | None:
    """The subscription an unsubscribe token names, or None (forged, altered, gone)."""
    pk = _unsubscribe_pk(token)
    if pk is None:
        return None
    return Subscription.objects.select_related("site", "thread").filter(pk=pk).first()


def unsubscribe_token_valid(token: str) -> bool:
    """The token is one we signed (whether or not its subscription still exists)."""
    return _unsubscribe_pk(token) is not None


def subscriptions_to_confirm(token: str) -> list[Subscription]:
    """What a confirmation link asks to confirm; [] when forged, altered, older than
    CONFIRM_DAYS or gone."""
    try:
        pks = signing.loads(token, salt=_CONFIRM, max_age=timedelta(days=CONFIRM_DAYS))
    except signing.BadSignature:
        return []
    if not isinstance(pks, list) or not all(isinstance(pk, int) for pk in pks):
        return []
    return list(Subscription.objects.select_related("site", "thread").filter(pk__in=pks))


def address_hash_for_token(token: str) -> str | None:
    """The keyed hash of the address a manage link names, or None (forged, altered).
    Links sent before addresses were sealed name the address itself."""
    try:
        named = signing.loads(token, salt=_MANAGE)
    except signing.BadSignature:
        return None
    if isinstance(named, dict) and sealing.is_email_hash(str(named.get("h", ""))):
        return named["h"]
    if isinstance(named, str) and "@" in named:
        return sealing.email_hash(named)
    return None


FLAG_SECONDS = 3600


@site_fact
def _flag_key(site_id: int) -> str:
    return f"meydan:subscribers:{site_id}"


def site_has_subscriptions(site_id: int) -> bool:
    """Whether anyone subscribed to anything on the site (so a post on a site nobody
    follows enqueues nothing). With a cache all workers share, a flag there — set by
    every subscribe, before and after its commit, so no reader can cache "none" over
    it; otherwise the database is asked (one indexed query, after the post's commit)."""
    return bool(
        when_shared(_flag_key(site_id), FLAG_SECONDS, lambda: int(_any_subscription(site_id)))
    )


def _any_subscription(site_id: int) -> bool:
    return sqlrows.exists(sqlrows.statement(_any_subscription_sql), [site_id])


def _any_subscription_sql() -> str:
    """Hand-written (core.sqlrows): without a shared cache it runs after every post."""
    q = sqlrows.quote
    return f"SELECT 1 FROM {sqlrows.table(Subscription)} WHERE {q('site_id')} = %s LIMIT 1"  # noqa: S608 - names from the models, values as parameters


def mark_site_has_subscriptions(site_id: int) -> None:
    cache.set(_flag_key(site_id), 1, FLAG_SECONDS)
    transaction.on_commit(lambda: cache.set(_flag_key(site_id), 1, FLAG_SECONDS))


def _vouched_for(hashed: str, user) -> bool:
    """The address (by its keyed hash) is known to be the reader's: their sign-in
    provider verified it, or they confirmed it before on this installation."""
    if user is not None and getattr(user, "is_authenticated", False):
        if Profile.objects.filter(user=user, email_hash=hashed, email_verified=True).exists():
            return True
        if user.email and sealing.email_hash(user.email) == hashed:  # staff
            if EmailAddress.objects.filter(user=user, verified=True).exists():
                return True
    return Subscription.objects.filter(email_hash=hashed, confirmed__isnull=False).exists()


def subscribe(
    *,
    site,
    kinds,
    email: str = "",
    address: sealing.Stored | None = None,
    thread=None,
    user=None,
    language: str = "",
) -> list[Subscription]:
    """Subscribe `email` (or a signed-in reader's `address` as kept, which this
    process may not be able to open) to each of `kinds` ("thread", "replies": on
    `thread`; "posts": the site). Raises ValidationError for anything but one
    address. A vouched-for address is confirmed at once; any other gets one
    confirmation message for all of them (and at most one per address per
    MEYDAN_RATELIMIT_CONFIRMATIONS window, so nobody can use Meydan to mail-bomb a
    stranger) and nothing else until it is confirmed. Subscribing again is harmless."""
    if email or not address:
        address = sealing.Stored.of(clean_address(email).lower())
    hashed, sealed = address.hash, address.sealed
    if not kinds or not set(kinds) <= set(Subscription.Kind.values):
        raise ValidationError(_("Unknown kind of subscription."))
    owner = user if getattr(user, "is_authenticated", False) else None
    subscriptions = []
    with transaction.atomic():
        mark_site_has_subscriptions(site.pk)
        for kind in dict.fromkeys(kinds):
            on = None if kind == Subscription.Kind.POSTS else thread
            try:
                with transaction.atomic():
                    subscription, _created = Subscription.objects.get_or_create(
                        email_hash=hashed, site=site, thread=on, kind=kind,
                        defaults={"user": owner, "language": language[:16],
                                  "email_sealed": sealed},
                    )  # fmt: skip
            except IntegrityError:  # a concurrent subscribe of the same address
                subscription = Subscription.objects.get(
                    email_hash=hashed, site=site, thread=on, kind=kind
                )
            subscriptions.append(subscription)
        pending = [s for s in subscriptions if s.confirmed is None]
        if not pending:
            return subscriptions
        if _vouched_for(hashed, user):
            now = timezone.now()
            Subscription.objects.filter(pk__in=[s.pk for s in pending]).update(confirmed=now)
            for subscription in pending:
                subscription.confirmed = now
            return subscriptions
        limit = settings.MEYDAN_RATELIMIT_CONFIRMATIONS
        if limit and hit("confirm-mail", hashed, *limit):
            return subscriptions  # a confirmation went out recently
        _send_confirmation(pending)
    return subscriptions


def subscribe_from_form(
    *, site, thread, email: str, user, comments: str, posts: bool, address=None
) -> None:
    """The comment form's notification boxes (the HTML section and the API alike):
    `comments` is "thread", "replies" or "" (not ticked). `email` is what a guest
    typed; a signed-in reader's `address` is the one kept on their profile. Nothing
    happens without an address; a comment already posted is never undone because
    its address is not one we can write to."""
    kinds = [kind for kind in (comments, "posts" if posts else "") if kind]
    if not (email or address) or not kinds:
        return
    try:
        subscribe(
            site=site, thread=thread, kinds=kinds, email=email, address=address, user=user,
            language=translation.get_language() or "",
        )  # fmt: skip
    except ValidationError:
        return


def _send_confirmation(subscriptions: list[Subscription]) -> None:
    first = subscriptions[0]
    with translation.override(first.language or None):
        what = [str(s.get_kind_display()) for s in subscriptions]
        title = first.thread.title if first.thread else first.site.name
        if first.thread is None and len(subscriptions) == 1:
            title = first.site.name
        link = absolute(reverse("notifications:confirm", args=[confirm_token(subscriptions)]))
        context = {
            "what": what,
            "title": title,
            "site": first.site,
            "link": link,
            "days": CONFIRM_DAYS,
            "manage_comments": manage_comments_link(first.site),
        }
        mail_enqueue(
            to=first.email_sealed,
            to_hash=first.email_hash,
            subject=_("Confirm your subscription: %(title)s")
            % {"title": clean_header_text(title, limit=100)},
            text=render_to_string("notifications/email/confirm.txt", context),
            html=render_to_string("notifications/email/confirm.html", context),
            kind="confirm",
        )


def subscription_confirm(subscription: Subscription) -> Subscription:
    if subscription.confirmed is None:
        subscription.confirmed = timezone.now()
        subscription.save(update_fields=["confirmed"])
    return subscription


def subscription_cancel(subscription: Subscription) -> None:
    Subscription.objects.filter(pk=subscription.pk).delete()


def subscriptions_of(email_hash: str):
    """Every subscription of one address (by its keyed hash)."""
    return Subscription.objects.filter(email_hash=email_hash).select_related("site", "thread")
