"""What this installation keeps about commenters, for how long, who sees it, and
which cookies it sets: the facts behind /privacy/ and GET /api/v1/privacy.

Generated from the running configuration on every request (the sites' retention
and moderation policy, sealing, the sign-in providers, Akismet, the mail server, the
cookie settings), so the page cannot fall behind a change of settings or of a site.
The page and the JSON are two renderings of one `PrivacyPolicy`; nothing here
writes. Operators put their own text above it (MEYDAN_PRIVACY_TEXT_FILE, Markdown).
"""

import ipaddress
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from meydan.accounts.passkeys import passkeys_enabled
from meydan.accounts.providers import signin_options
from meydan.accounts.tokens import WIDGET_TOKEN_SECONDS
from meydan.accounts.voters import VOTER_COOKIE, VOTER_MAX_AGE
from meydan.comments.rendering import render_markdown
from meydan.core import sealing
from meydan.core.weburl import web_url
from meydan.notifications.services import CONFIRM_DAYS
from meydan.privacy import manage, selfservice
from meydan.section.views import REMEMBER_COOKIE, REMEMBER_MAX_AGE
from meydan.sites.models import Site
from meydan.webhooks.models import Webhook

logger = logging.getLogger("meydan.privacy")

# The widget's sign-in popup keeps which site and page asked in this cookie
# (meydan/embed/views.py: PENDING_COOKIE, PENDING_SECONDS, path /embed/). embed is a
# front door beside this app, which may not import it (pyproject's layers), so the
# facts are repeated here; tests/privacy/test_policy.py holds the two together.
EMBED_SIGNIN_COOKIE = "meydan_embed_signin"
EMBED_SIGNIN_SECONDS = 30 * 60
EMBED_SIGNIN_PATH = "/embed/"

# What the Akismet check (moderation/checks/akismet.py) sends, field by field;
# tests/privacy/test_policy.py holds the check to this list.
AKISMET_FIELDS = {
    "comment_content": gettext_lazy("the comment's text"),
    "comment_author": gettext_lazy("your name"),
    "comment_author_email": gettext_lazy("your email address"),
    "comment_author_url": gettext_lazy("your website"),
    "user_ip": gettext_lazy("your IP address"),
    "permalink": gettext_lazy("the page's address"),
    "comment_type": gettext_lazy("whether it is a reply"),
    "blog": gettext_lazy("the site's address"),
}
CHECKS = "meydan.moderation.checks."


@dataclass(frozen=True)
class SitePolicy:
    name: str
    domain: str
    ip_hash_days: int
    email_days: int | None  # None: kept as long as the comment (what the purge applies)
    holds: str  # "all": a moderator approves every comment; "first": first comments; "none"
    edit_window_minutes: int


@dataclass(frozen=True)
class Kept:
    """One thing kept about a commenter."""

    what: str
    how: str
    how_long: str
    who_sees: str


@dataclass(frozen=True)
class Cookie:
    name: str
    who: str  # who gets it
    why: str
    lifetime: str
    lifetime_seconds: int | None  # None: until the browser is closed
    path: str = "/"


@dataclass(frozen=True)
class Recipient:
    """Someone outside this installation who receives something about a commenter."""

    name: str
    when: str
    receives: list[str]


@dataclass(frozen=True)
class Choice:
    """Something a commenter can do about what is kept, and where."""

    what: str
    where: str  # a path on this server, or "" (e.g. the link in every message)


@dataclass(frozen=True)
class EmailFacts:
    published: bool
    stored: str  # "sealed" (to the mail worker's key) or "clear"
    moderators_see: str  # "masked" (a•••@g•••.com) or "whole"
    matched_by: str


@dataclass(frozen=True)
class IpFacts:
    stored: str
    key_rotation_days: int


@dataclass(frozen=True)
class SpamFacts:
    local_filter: bool
    akismet: bool
    akismet_receives: list[str]


@dataclass(frozen=True)
class SignInFacts:
    providers: list[str]
    provider_tokens_kept: bool
    widget_sign_in_hours: int
    passkeys: bool = False  # passkey accounts: a display name and passkeys, no address


@dataclass(frozen=True)
class NotificationFacts:
    double_opt_in: bool
    confirm_link_days: int
    unconfirmed_deleted_after_days: int
    deliveries_kept_days: int


@dataclass(frozen=True)
class PrivacyPolicy:
    third_party_requests_from_browsers: list[str]  # none, ever (tests/browser checks it)
    cookies_for_readers_who_only_read: list[str]  # none (tests/browser checks it)
    sites: list[SitePolicy]
    kept: list[Kept]
    cookies: list[Cookie]
    recipients: list[Recipient]
    choices: list[Choice]
    email: EmailFacts
    ip: IpFacts
    spam: SpamFacts
    sign_in: SignInFacts
    notifications: NotificationFacts
    operator_text_html: str


def privacy_policy(request) -> PrivacyPolicy:
    """The policy as configured right now (`request`: for the sign-in providers)."""
    sites = [_site(site) for site in Site.objects.order_by("name", "pk")]
    checks = set(settings.MEYDAN_MODERATION_CHECKS)
    akismet = bool(settings.MEYDAN_AKISMET_KEY) and f"{CHECKS}akismet.AkismetCheck" in checks
    providers = [option.label for option in signin_options(request)]
    passkeys = passkeys_enabled()
    email = EmailFacts(
        published=False,
        stored="sealed" if sealing.sealing_configured() else "clear",
        moderators_see="whole" if _moderators_see_whole() else "masked",
        matched_by="keyed hash (HMAC-SHA256)",
    )
    notifications = NotificationFacts(
        double_opt_in=True,
        confirm_link_days=CONFIRM_DAYS,
        unconfirmed_deleted_after_days=CONFIRM_DAYS,
        deliveries_kept_days=settings.MEYDAN_DELIVERY_DAYS,
    )
    return PrivacyPolicy(
        third_party_requests_from_browsers=[],
        cookies_for_readers_who_only_read=[],
        sites=sites,
        kept=_kept(sites, email, providers, notifications, local_filter=_local_filter(checks))
        + (_kept_passkeys() if passkeys else []),
        cookies=_cookies(bool(providers) or passkeys),
        recipients=_recipients(akismet, providers),
        choices=_choices(bool(providers) or passkeys),
        email=email,
        ip=IpFacts(
            stored="keyed hash (HMAC-SHA256)", key_rotation_days=settings.MEYDAN_IP_KEY_DAYS
        ),
        spam=SpamFacts(
            local_filter=_local_filter(checks),
            akismet=akismet,
            akismet_receives=[str(field) for field in AKISMET_FIELDS.values()] if akismet else [],
        ),
        sign_in=SignInFacts(
            providers=providers,
            provider_tokens_kept=bool(getattr(settings, "SOCIALACCOUNT_STORE_TOKENS", False)),
            widget_sign_in_hours=WIDGET_TOKEN_SECONDS // 3600,
            passkeys=passkeys,
        ),
        notifications=notifications,
        operator_text_html=operator_text_html(),
    )


def _kept_passkeys() -> list[Kept]:
    """A passkey account (meydan/accounts/passkeys.py): what allauth keeps of a passkey
    (its Authenticator rows), and nothing that reaches anyone else."""
    return [
        Kept(
            _("Your passkey account, if you make one"),
            _(
                "The display name you chose. For each passkey: its public key and "
                "credential id (what your device sent when you made it, with the counter "
                "and the kind of connection it reported), the name you give it, and when "
                "it was added and last used. A secret from which your recovery codes are "
                "made, and which ones you used. No email address, no phone number, no "
                "password, no provider: the passkey's private key never leaves your device."
            ),
            _("until you delete your account (at /account/)"),
            _("Your display name: everyone, with your comments. The rest: nobody."),
        )
    ]


def _local_filter(checks) -> bool:
    return f"{CHECKS}spam.SpamFilterCheck" in checks


def _moderators_see_whole() -> bool:
    """Whole addresses, where the operator chose it and the workspace can read them."""
    if not settings.MEYDAN_MODERATION_SEES_EMAIL:
        return False
    return not sealing.sealing_configured() or sealing.can_open()


def _site(site: Site) -> SitePolicy:
    checks = set(settings.MEYDAN_MODERATION_CHECKS)
    if site.hold_all and f"{CHECKS}hold_all.HoldAllCheck" in checks:
        holds = "all"
    elif site.hold_first_comment and f"{CHECKS}first_comment.FirstCommentCheck" in checks:
        holds = "first"
    else:
        holds = "none"
    return SitePolicy(
        name=site.name,
        domain=site.domain,
        ip_hash_days=site.ip_hash_days,
        email_days=site.email_days,  # applied by the purge's "emails" step
        holds=holds,
        edit_window_minutes=site.edit_window_minutes,
    )


def _days(days: int) -> str:
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def _per_site(sites: list[SitePolicy], value, describe) -> str:
    """One description when every site says the same, else "depends on the site"."""
    values = {value(site) for site in sites}
    if len(values) == 1:
        return describe(values.pop())
    return _("depends on the site (see “Each site” below)")


def _kept(sites, email: EmailFacts, providers, notifications, *, local_filter) -> list[Kept]:
    sites = sites or [_site(Site(name="", domain=""))]  # the defaults, before any site
    masked = sealing.mask("aynur@example.org")
    if email.stored == "sealed" and email.moderators_see == "whole":
        email_how = _(
            "Sealed: encrypted to a key that the mail worker holds and, on this "
            "installation, the moderators' workspace too; the database alone cannot read "
            "it. And a keyed hash, to recognise it again (bans, your earlier comments, your "
            "subscriptions)."
        )
    elif email.stored == "sealed":
        email_how = _(
            "Sealed: encrypted to a key that only the mail worker holds, so neither the web "
            "server nor the database can read it; and a keyed hash, to recognise it again "
            "(bans, your earlier comments, your subscriptions)."
        )
    else:
        email_how = _(
            "In the database as you typed it, and as a keyed hash, to recognise it again "
            "(bans, your earlier comments, your subscriptions)."
        )
    if email.moderators_see == "whole":
        email_who = _("Never published. The site's moderators see it whole.")
    else:
        email_who = _(
            "Never published. The site's moderators see only its first letters, like %(mask)s."
        ) % {"mask": masked}
    email_how_long = _per_site(
        sites,
        lambda s: s.email_days,
        lambda days: (
            _("as long as the comment")
            if days is None
            else _("%(days)s after a comment is published; then only the keyed hash")
            % {"days": _days(days)}
        ),
    )
    ip_how_long = _per_site(
        sites,
        lambda s: s.ip_hash_days,
        lambda days: _("%(days)s after the comment") % {"days": _days(days)},
    )
    kept = [
        Kept(
            _("What you write"),
            _("The text of your comment, and when you posted or edited it."),
            _("until you or a moderator delete it"),
            _("Everyone, once it is published."),
        ),
        Kept(
            _("Your name and website"),
            _("As you gave them; if you signed in, the name of your account."),
            _("as long as the comment"),
            _("Everyone, with your comment."),
        ),
        Kept(_("Your email address"), email_how, email_how_long, email_who),
        Kept(
            _("Your IP address"),
            _(
                "Never the address itself: a keyed hash, under a key that is replaced every "
                "%(days)s. Once an old key is deleted, its hashes can never again be linked "
                "to an address."
            )
            % {"days": _days(settings.MEYDAN_IP_KEY_DAYS)},
            ip_how_long,
            _(
                "The site's moderators see the start of the hash, so that they can tell that "
                "two comments came from one address. Nobody can read the address from it."
            ),
        ),
        Kept(
            _("Your picture"),
            _(
                "A pattern drawn from a keyed hash of your email address (no Gravatar); if you "
                "signed in, a copy of your account's picture, kept here."
            ),
            _("as long as the comment"),
            _("Everyone, with your comments. It is served by this server only."),
        ),
        Kept(
            _("Reports you send"),
            _(
                "Your reason (one of a list) and your words if you gave any, and a keyed "
                "hash of your account, IP address or browser, so that each reader counts "
                "once. The public transparency report, where a site publishes one, counts "
                "reports by reason only."
            ),
            _("as long as the comment"),
            _("The site's moderators."),
        ),
        Kept(
            _("What moderators did"),
            _(
                "The moderation log: each action on a comment, with a copy of it; when "
                "they remove a comment, the reason, which only its author is shown."
            ),
            _(
                "the copies go when the comment is deleted; the log keeps that it happened, "
                "who did it and when"
            ),
            _("The site's moderators."),
        ),
    ]
    if local_filter:
        kept.append(
            Kept(
                _("The spam filter's memory"),
                _(
                    "The words of comments that moderators marked as spam or not spam, "
                    "counted per site on this server."
                ),
                _("a comment's words are forgotten when it is deleted"),
                _("Nobody reads it: the filter uses it."),
            )
        )
    if providers:
        tokens = (
            _(
                "No password, but the access token your provider gave, which lets this server "
                "use your account there as far as you allowed."
            )
            if getattr(settings, "SOCIALACCOUNT_STORE_TOKENS", False)
            else _("No password, and no access to your account there.")
        )
        kept += [
            Kept(
                _("Your account, if you sign in"),
                _(
                    "What your provider (%(providers)s) sends: your name and picture, its id "
                    "for you and the rest of your public profile, with any email address in it "
                    "masked; your email address itself is kept as above. %(tokens)s"
                )
                % {"providers": ", ".join(providers), "tokens": tokens},
                _("until you delete your account (at /account/)"),
                _("Your name and picture: everyone, with your comments. The rest: nobody."),
            ),
            Kept(
                _("Sign-ins from other sites' pages"),
                _("A random token for the widget; only its SHA-256 is kept."),
                _hours_or_until_logout(WIDGET_TOKEN_SECONDS // 3600),
                _("You, on /account/, where you can end them."),
            ),
        ]
    kept += [
        Kept(
            _("Your email subscriptions"),
            _(
                "Your address (kept as above), what you asked to hear about, and when you "
                "confirmed it. Nothing is sent before you confirm, except the one message "
                "that asks you to."
            ),
            _(
                "until you unsubscribe (every message has the link); unconfirmed ones are "
                "deleted after %(days)s"
            )
            % {"days": _days(notifications.unconfirmed_deleted_after_days)},
            _("Nobody: the mail worker writes to you."),
        ),
        Kept(
            _("Links to manage your comments"),
            _(
                "When you ask for one: its SHA-256, the keyed hash of your address, and your "
                "address in a box that only the link opens."
            ),
            _("%(minutes)d minutes, and it works once") % {"minutes": selfservice.LINK_MINUTES},
            _("Nobody: the link in your mailbox is the key."),
        ),
        Kept(
            _("Messages we sent you"),
            _("To whom, the subject, when, and what the mail server answered."),
            _("%(days)s after it was sent") % {"days": _days(notifications.deliveries_kept_days)},
            _("The administrators of this installation."),
        ),
        Kept(
            _("An address that refuses our mail"),
            _(
                "When a mail server refuses an address for good: its keyed hash, its first "
                "letters and the server's answer, so that nothing is sent to it again."
            ),
            _("until an administrator removes it"),
            _("The administrators of this installation."),
        ),
    ]
    return kept


def _hours_or_until_logout(hours: int) -> str:
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours} + _(", or until you log out")


def _choices(sign_in: bool) -> list[Choice]:
    choices = [
        Choice(
            _(
                "See, download and erase your comments on a site, and cancel your "
                "subscriptions: ask for a link to your address"
            ),
            reverse("privacy:manage"),
        )
    ]
    if sign_in:
        choices.append(
            Choice(
                _("Signed in: the same, the sites you are signed in on, and deleting your account"),
                reverse("accounts:account"),
            )
        )
    choices.append(Choice(_("Stop an email subscription: the link in every message"), ""))
    return choices


def _cookies(sign_in: bool) -> list[Cookie]:
    """Every cookie Meydan can set, by whom it is set and for how long."""
    session_lifetime = (
        None if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE else settings.SESSION_COOKIE_AGE
    )
    cookies = [
        Cookie(
            settings.SESSION_COOKIE_NAME,
            _("Signed-in readers and staff; a guest who posts a comment, or starts to sign in."),
            _(
                "Keeps you signed in. For a guest: your own comments that wait for a "
                "moderator (only you see them), or the comment you were writing when you "
                "went to sign in."
            ),
            _lifetime(session_lifetime),
            session_lifetime,
        )
    ]
    if not settings.CSRF_USE_SESSIONS:
        cookies.append(
            Cookie(
                settings.CSRF_COOKIE_NAME,
                _(
                    "Signed-in readers and staff, and anyone who opens a form that needs it: "
                    "signing in, reporting a comment, confirming a subscription."
                ),
                _("Protects forms from being sent by other sites in your name."),
                _lifetime(settings.CSRF_COOKIE_AGE),
                settings.CSRF_COOKIE_AGE,
            )
        )
    cookies.append(
        Cookie(
            REMEMBER_COOKIE,
            _("Guests who tick “Save my name, email and website in this browser”."),
            _(
                "Fills in the form next time. It holds your name, email address and website, "
                "readable by anyone who uses this browser."
            ),
            _lifetime(REMEMBER_MAX_AGE),
            REMEMBER_MAX_AGE,
        )
    )
    cookies.append(
        Cookie(
            VOTER_COOKIE,
            _("Guests who up-vote a comment (set by the vote, never by reading)."),
            _(
                "A random number, so that your vote counts once and you can take it back; "
                "we keep only a keyed hash of it with the vote. In the comments on another "
                "site's page, the same kind of number is kept in that page's browser "
                "storage instead."
            ),
            _lifetime(VOTER_MAX_AGE),
            VOTER_MAX_AGE,
        )
    )
    cookies.append(
        Cookie(
            manage.COOKIE,
            _("A guest who opens a “manage my comments” link from their email."),
            _("Lets you see, download and erase your comments and subscriptions."),
            _lifetime(selfservice.LINK_MINUTES * 60),
            selfservice.LINK_MINUTES * 60,
            path="/manage/",
        )
    )
    if sign_in:
        cookies.append(
            Cookie(
                EMBED_SIGNIN_COOKIE,
                _("Someone signing in from the comments on another site's page."),
                _("Remembers which site's page asked, until the sign-in is done."),
                _lifetime(EMBED_SIGNIN_SECONDS),
                EMBED_SIGNIN_SECONDS,
                path=EMBED_SIGNIN_PATH,
            )
        )
    if "cookie" in settings.MESSAGE_STORAGE or "fallback" in settings.MESSAGE_STORAGE:
        from django.contrib.messages.storage.cookie import CookieStorage

        cookies.append(
            Cookie(
                CookieStorage.cookie_name,
                _(
                    "Anyone shown a one-time notice (signed out, a sign-in that did not work, "
                    "thanks for a report)."
                ),
                _("Carries the notice to the next page."),
                _("until the notice is shown"),
                None,
            )
        )
    if _mfa_trust():
        from allauth.mfa import app_settings as mfa

        age = int(mfa.TRUST_COOKIE_AGE.total_seconds())
        cookies.append(
            Cookie(
                mfa.TRUST_COOKIE_NAME,
                _("Staff who ask to be trusted on this browser."),
                _("Skips the two-factor code on this browser."),
                _lifetime(age),
                age,
            )
        )
    if _url_exists("set_language"):
        cookies.append(
            Cookie(
                settings.LANGUAGE_COOKIE_NAME,
                _("Readers who choose a language."),
                _("Remembers the language."),
                _lifetime(settings.LANGUAGE_COOKIE_AGE),
                settings.LANGUAGE_COOKIE_AGE,
            )
        )
    return cookies


def _mfa_trust() -> bool:
    try:
        from allauth.mfa import app_settings as mfa
    except ImportError:  # pragma: no cover - allauth[mfa] is a dependency
        return False
    return bool(mfa.TRUST_ENABLED)


def _url_exists(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def _lifetime(seconds: int | None) -> str:
    if seconds is None:
        return _("until you close the browser")
    if seconds < 3600:
        minutes = seconds // 60
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    if seconds < 2 * 86400:
        hours = seconds // 3600
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    days = seconds // 86400
    if days % 7 == 0 and days < 364:
        weeks = days // 7
        return ngettext("%(n)d week", "%(n)d weeks", weeks) % {"n": weeks}
    if days >= 364:
        years = round(days / 365)
        return ngettext("%(n)d year", "%(n)d years", years) % {"n": years}
    return _days(days)


def _recipients(akismet: bool, providers: list[str]) -> list[Recipient]:
    recipients = []
    if akismet:
        recipients.append(
            Recipient(
                _("Akismet (a spam-checking service of Automattic, in the United States)"),
                _("Every comment, when it is posted."),
                [str(field) for field in AKISMET_FIELDS.values()],
            )
        )
    if providers:
        recipients.append(
            Recipient(
                ", ".join(providers),
                _(
                    "Only if you sign in with one of them: it learns that you signed in to "
                    "comment here, and this server copies your picture from it once."
                ),
                [_("that you signed in here, and when")],
            )
        )
    webhook_hosts = _webhook_hosts()
    if webhook_hosts:
        recipients.append(
            Recipient(
                ", ".join(webhook_hosts),
                _(
                    "The site's own webhooks, as its staff chose them: when a comment is "
                    "posted, held, approved, removed or edited."
                ),
                [_("your name"), _("your comment"), _("the page")],
            )
        )
    mail_server = _mail_server()
    if mail_server:
        recipients.append(
            Recipient(
                mail_server,
                _("Each message to you (confirmations and the notifications you asked for)."),
                [_("your email address"), _("the message")],
            )
        )
    return recipients


def _webhook_hosts() -> list[str]:
    """The hosts active webhooks call (not their addresses: a chat's webhook address
    is itself a secret)."""
    urls = Webhook.objects.filter(active=True).values_list("url", flat=True)
    return sorted({parsed.host for parsed in map(web_url, urls) if parsed is not None})


def _mail_server() -> str:
    """The mail server messages leave through, as readers may be told of it."""
    if settings.EMAIL_BACKEND != "django.core.mail.backends.smtp.EmailBackend":
        return ""
    host = getattr(settings, "EMAIL_HOST", "") or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return _("The mail server %(host)s") % {"host": host}
    if address.is_private or address.is_loopback:
        return _("The mail server of this installation's own network")
    return _("The mail server %(host)s") % {"host": host}


# --- The operator's own text ------------------------------------------------------

_operator_text: dict[str, tuple[int, str]] = {}  # path -> (mtime in ns, HTML)


def operator_text_html() -> str:
    """MEYDAN_PRIVACY_TEXT_FILE as HTML (the comments' Markdown renderer), read again
    whenever the file changes. A file that cannot be read stops start-up
    (privacy/system_checks.py); one that goes missing later is logged and left out,
    and the page still shows the facts."""
    path = settings.MEYDAN_PRIVACY_TEXT_FILE
    if not path:
        return ""
    try:
        mtime = os.stat(path).st_mtime_ns
        cached = _operator_text.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        html = render_markdown(Path(path).read_text(encoding="utf-8"), breaks=False)
    except (OSError, UnicodeDecodeError) as error:
        logger.error("MEYDAN_PRIVACY_TEXT_FILE cannot be read (%s): %s", path, error)
        return ""
    _operator_text[path] = (mtime, html)
    return html
