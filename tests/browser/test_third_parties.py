"""Zero third parties, checked in Chromium: every page a reader or a moderator can
reach makes no request to any host but Meydan's and the embedding page's, and a
reader who only reads ends with no cookie at all.

Every request of every page is recorded (`request` events of the whole browser
context, so popups, frames, fetches, fonts, images, avatars, styles and scripts all
count), and every resource a page declares (link, script, img, srcset, iframe,
source, object, form action) is checked too, so that a `dns-prefetch`, a
`preconnect` or a lazy image that never loaded cannot hide a third party.

To add a page, add a `Visit` to PAGES: who opens it, a name, and its address (built
from the `World`); `then` says what to do on it (the default scrolls to the end).
"""

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlparse

import pytest
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from meydan.accounts.identity import SESSION_PROVIDER_KEY
from meydan.accounts.models import Picture, Profile
from meydan.comments import services
from meydan.comments.models import Comment, Thread
from meydan.core import sealing
from meydan.newsroom.models import Article
from meydan.notifications import services as notifications
from meydan.sites.lookup import page_key_for
from meydan.sites.models import Site
from meydan.sites.services import site_update

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

READER = "reader"  # signed out: reads, follows links
SIGNED_IN = "signed-in reader"
STAFF = "staff"
WIDGET = "reader of a page that embeds the widget"
MANAGING = "guest managing their comments"  # opened a "manage my comments" link

# A 1x1 PNG: a signed-in reader's profile picture, as copied from their provider.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@dataclass
class World:
    """The demo newsroom with something on every page: comments by guests and by a
    signed-in reader (with a picture), a held comment, a subscription, and a static
    page on another origin that embeds the widget."""

    base: str  # Meydan's origin
    blog: str  # the article on the page that embeds the widget
    site: Site
    article: str  # the demo article's path
    comment: Comment
    held: Comment
    email_links: dict[str, str]
    manage_link: str = ""
    cookies: dict[str, list[dict]] = field(default_factory=dict)  # per `who`

    @property
    def no_js_thread(self) -> str:
        return "/embed/thread/?" + urlencode({"site": self.site.slug, "url": self.blog})

    @property
    def popup(self) -> str:
        query = urlencode({"site": self.site.slug, "origin": origin(self.blog)})
        return f"{self.base}/embed/signin/?{query}"


def origin(url: str) -> str:
    parts = urlparse(url)
    return f"{parts.scheme}://{parts.netloc}"


def scroll_to_end(page, world=None):
    """Scroll through the whole page, so that lazy images (avatars) load."""
    height = page.evaluate("document.body.scrollHeight")
    for y in range(0, height + 600, 600):
        page.evaluate(f"window.scrollTo(0, {y})")
    page.wait_for_load_state("networkidle")


def widget_loaded(page, world):
    page.locator("#meydan-thread").get_by_text("Leave a Reply").wait_for()
    page.locator("#meydan-thread .comment__avatar, #meydan-thread img").first.wait_for()
    scroll_to_end(page)


def popup_from_widget_page(page, world):
    """The widget's sign-in popup (the list of providers), opened by the page on the
    other origin, as the widget opens it."""
    with page.expect_popup() as opened:
        page.evaluate("url => window.open(url, 'meydan-signin', 'popup')", world.popup)
    popup = opened.value
    popup.wait_for_load_state("networkidle")
    assert "Sign in with Google" in popup.content(), "the popup lists the providers"
    popup.close()


def admin_pages(world) -> list[str]:
    """Every model's list and add page in the admin, and the change page of its first
    row: the admin as a whole, however many models it grows."""
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{name}_changelist"))
        if model_admin.has_add_permission(_AsSuperuser()):
            urls.append(reverse(f"{name}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse(f"{name}_change", args=[first.pk]))
    return urls


class _AsSuperuser:
    """A request from the superuser, for has_add_permission: whether the admin has an
    add page at all."""

    def __init__(self):
        self.user = get_user_model().objects.filter(is_superuser=True).first()


@dataclass(frozen=True)
class Visit:
    who: str
    name: str
    # The page's address (a path on Meydan, or absolute), or several.
    url: Callable[[World], str | list[str]]
    then: Callable = scroll_to_end
    javascript: bool = True
    status: int = 200


PAGES = [
    # --- Readers, signed out -----------------------------------------------------
    Visit(READER, "front page", lambda w: "/"),
    Visit(READER, "article and its comments", lambda w: w.article),
    Visit(READER, "article, newest first", lambda w: w.article + "?order=newest#comments"),
    Visit(READER, "reply form", lambda w: f"{w.article}?replyto={w.comment.pk}#respond"),
    Visit(READER, "permalink", lambda w: f"/c/{w.comment.pk}"),
    Visit(READER, "report a comment", lambda w: f"/c/{w.comment.pk}/report"),
    Visit(READER, "sign-in choice", lambda w: reverse("accounts:signin")),
    Visit(READER, "sign in with a passkey", lambda w: reverse("accounts:passkey-signin")),
    Visit(READER, "sign up with a passkey", lambda w: reverse("accounts:passkey-signup")),
    Visit(READER, "lost passkey: a recovery code", lambda w: reverse("accounts:passkey-recover")),
    # With scripts off: connecting.js goes on to the provider, which is the point of
    # the page once the reader chose to sign in there.
    Visit(
        READER,
        "connecting to a provider",
        lambda w: reverse("google_login") + "?process=login",
        javascript=False,
    ),
    Visit(READER, "thread without JavaScript", lambda w: w.no_js_thread),
    Visit(READER, "privacy page", lambda w: "/privacy/"),
    Visit(READER, "transparency report", lambda w: f"/transparency/{w.site.slug}/"),
    Visit(READER, "email: confirm a subscription", lambda w: w.email_links["confirm"]),
    Visit(READER, "email: unsubscribe", lambda w: w.email_links["unsubscribe"]),
    Visit(READER, "email: manage subscriptions", lambda w: w.email_links["manage"]),
    Visit(READER, "email: a broken link", lambda w: "/email/manage/forged/", status=404),
    Visit(READER, "a page that does not exist", lambda w: "/no-such-page/", status=404),
    Visit(READER, "staff sign-in", lambda w: reverse("account_login")),
    Visit(READER, "API documentation", lambda w: "/api/v1/docs"),
    # --- "Manage my comments" (/manage/...) -------------------------------------------
    Visit(READER, "manage my comments: ask", lambda w: f"/manage/?site={w.site.slug}"),
    Visit(READER, "manage my comments: the emailed link", lambda w: w.manage_link),
    Visit(READER, "manage my comments: a broken link", lambda w: "/manage/open/x/", status=404),
    Visit(MANAGING, "manage my comments: the list", lambda w: "/manage/comments/"),
    # --- Signed-in readers ---------------------------------------------------------
    Visit(SIGNED_IN, "article, signed in", lambda w: w.article),
    Visit(SIGNED_IN, "account", lambda w: reverse("accounts:account")),
    Visit(SIGNED_IN, "sign-in choice (Change)", lambda w: reverse("accounts:signin")),
    # --- Staff -------------------------------------------------------------------
    Visit(STAFF, "moderation queue", lambda w: reverse("moderation:queue")),
    Visit(
        STAFF,
        "moderation queue tabs",
        lambda w: [f"{reverse('moderation:queue')}?tab={tab}" for tab in ("spam", "trash", "all")],
    ),
    Visit(STAFF, "edit a comment", lambda w: reverse("moderation:edit", args=[w.held.pk])),
    Visit(STAFF, "bans", lambda w: reverse("moderation:bans")),
    Visit(STAFF, "moderation log", lambda w: reverse("moderation:log")),
    Visit(STAFF, "moderators' dashboard", lambda w: reverse("moderation:dashboard")),
    Visit(STAFF, "imports", lambda w: reverse("moderation:imports")),
    Visit(STAFF, "two-factor authentication", lambda w: reverse("mfa_index")),
    Visit(STAFF, "set up an authenticator app", lambda w: reverse("mfa_activate_totp")),
    Visit(STAFF, "change password", lambda w: reverse("account_change_password")),
    Visit(STAFF, "article, as staff", lambda w: w.article),
    Visit(STAFF, "the Django admin", admin_pages, then=lambda page, world: None),
    # --- The widget on another origin ------------------------------------------------
    Visit(WIDGET, "widget on a static page", lambda w: w.blog, then=widget_loaded),
    Visit(WIDGET, "the widget's sign-in popup", lambda w: w.blog, then=popup_from_widget_page),
]
ROLES = [READER, SIGNED_IN, STAFF, WIDGET, MANAGING]

# Every resource the page declares, loaded or not (a prefetch, a lazy image).
DECLARED = """() => {
  const urls = [];
  const add = (value) => { if (value) urls.push(new URL(value, document.baseURI).href); };
  document.querySelectorAll("link[href]").forEach((el) => add(el.getAttribute("href")));
  document.querySelectorAll(
    "script[src], img[src], iframe[src], frame[src], source[src], video[src], audio[src], " +
    "track[src], embed[src], input[type=image][src]"
  ).forEach((el) => add(el.getAttribute("src")));
  document.querySelectorAll("img[srcset], source[srcset]").forEach((el) =>
    el.getAttribute("srcset").split(",").forEach((part) => add(part.trim().split(/\\s+/)[0])));
  document.querySelectorAll("object[data]").forEach((el) => add(el.getAttribute("data")));
  document.querySelectorAll("video[poster]").forEach((el) => add(el.getAttribute("poster")));
  document.querySelectorAll("form[action]").forEach((el) => add(el.getAttribute("action")));
  return urls;
}"""


@pytest.fixture
def world(blog, live_server, settings) -> World:
    # Configured sign-in providers show their icons (which must be ours too).
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {"APPS": [{"client_id": "id.example", "secret": "not-a-secret"}]},
        "facebook": {"APPS": [{"client_id": "id.example", "secret": "not-a-secret"}]},
    }
    site = Site.objects.get()
    article = Article.objects.get().get_absolute_url()
    thread = Thread.objects.get(site=site, key=article)
    comment = thread.comments.filter(status=Comment.Status.APPROVED, parent=None).first()

    # A signed-in reader (Google), with their picture on our own origin and a comment.
    reader = get_user_model().objects.create_user("leyla", "leyla@example.org")
    SocialAccount.objects.create(user=reader, provider="google", uid="1001", extra_data={})
    picture = Picture.objects.create(key="ab" * 20, content_type="image/png", data=PNG)
    Profile.objects.create(user=reader, display_name="Leyla", picture=picture)
    services.comment_post(
        thread=thread,
        author=services.Author(
            name="Leyla", email=reader.email, user=reader, provider="google", picture=picture.key
        ),
        body="Signed in, with a picture.",
        channel="form",
        moderate=False,
    )
    # The page on the other origin has comments too (avatars in the widget).
    key, url = page_key_for(site, blog)
    blog_thread = services.thread_get_or_create(site=site, key=key, url=url, title="My blog post")
    for name in ("Samira", "Tural"):
        services.comment_post(
            thread=blog_thread,
            author=services.Author(name=name, email=f"{name.lower()}@example.org"),
            body=f"{name} on the static page.",
            channel="api",
            moderate=False,
        )
    # One comment waits for a moderator.
    site.hold_all = True
    site_update(site, channel="admin")
    held = services.comment_post(
        thread=Thread.objects.select_related("site").get(pk=thread.pk),  # the new policy
        author=services.Author(name="Rasul", email="rasul@example.org"),
        body="Waiting for a moderator.",
        channel="form",
    ).comment
    site.hold_all = False
    site.transparency_public = True  # its monthly report is public
    site_update(site, channel="admin")
    assert held.status == Comment.Status.PENDING

    staff = get_user_model().objects.create_superuser(
        "editor", "editor@example.org", "a long editor password"
    )
    site.moderators.add(staff)

    subscriptions = notifications.subscribe(
        site=site, kinds=["thread"], email="samira@example.org", thread=thread
    )
    email_links = {
        "confirm": reverse(
            "notifications:confirm", args=[notifications.confirm_token(subscriptions)]
        ),
        "unsubscribe": reverse(
            "notifications:unsubscribe", args=[notifications.unsubscribe_token(subscriptions[0])]
        ),
        "manage": reverse(
            "notifications:manage", args=[notifications.manage_token(subscriptions[0].email_hash)]
        ),
    }
    # A "manage my comments" link as Samira would get it, and the page it opens.
    from meydan.notifications.models import Delivery
    from meydan.privacy import selfservice

    selfservice.manage_link_request(site=site, email="samira@example.org", client_hash="")
    text = Delivery.objects.get(kind="manage-link").message["text"]
    manage_link = "/manage/open/" + text.split("/manage/open/", 1)[1].split("/", 1)[0] + "/"
    opener = Client()
    selfservice.manage_link_request(site=site, email="samira@example.org", client_hash="")
    second = Delivery.objects.filter(kind="manage-link").order_by("-pk")[0].message["text"]
    opened = opener.post(
        "/manage/open/" + second.split("/manage/open/", 1)[1].split("/", 1)[0] + "/"
    )
    assert opened.status_code == 302, opened.content[:500]
    manage_cookie = opener.cookies["meydan_manage"]
    world = World(
        base=live_server.url,
        manage_link=manage_link,
        blog=blog,
        site=site,
        article=article,
        comment=comment,
        held=held,
        email_links=email_links,
    )
    world.cookies = {
        READER: [],
        WIDGET: [],
        SIGNED_IN: session_cookies(live_server.url, reader, provider="google"),
        STAFF: session_cookies(live_server.url, staff),
        MANAGING: [
            {
                "name": manage_cookie.key,
                "value": manage_cookie.value,
                "url": live_server.url + "/manage/",
            }
        ],
    }
    return world


def session_cookies(base: str, user, provider: str = "") -> list[dict]:
    """A signed-in session for `user`, as the browser would hold it after signing in."""
    client = Client()
    client.force_login(user)
    if provider:
        session = client.session
        session[SESSION_PROVIDER_KEY] = provider
        session.save()
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [{"name": settings.SESSION_COOKIE_NAME, "value": value, "url": base}]


def address(world: World, url: str) -> str:
    return url if url.startswith(("http://", "https://")) else world.base + url


@pytest.mark.parametrize("who", ROLES)
def test_no_page_calls_a_third_party(browser, world, who):
    allowed = {urlparse(world.base).netloc, urlparse(world.blog).netloc}
    visits = [visit for visit in PAGES if visit.who == who]
    assert visits
    seen: list[tuple[str, str]] = []  # (page, request URL)
    declared: list[tuple[str, str]] = []
    problems: list[str] = []
    for visit in visits:
        context = browser.new_context(
            viewport={"width": 1000, "height": 900},
            locale="en-GB",
            java_script_enabled=visit.javascript,
        )
        context.add_cookies(world.cookies[who])
        current = {"page": visit.name}
        context.on("request", lambda request, c=current: seen.append((c["page"], request.url)))
        page = context.new_page()
        page.set_default_timeout(15_000)
        urls = visit.url(world)
        for url in [urls] if isinstance(urls, str) else urls:
            current["page"] = f"{visit.name} ({url})"
            before = len(seen)
            response = page.goto(address(world, url))
            page.wait_for_load_state("networkidle")
            if response is None or response.status != visit.status:
                status = response.status if response else None
                problems.append(f"{current['page']}: status {status}, not {visit.status}")
            if visit.then is not None:
                visit.then(page, world)
            declared.extend((current["page"], href) for href in page.evaluate(DECLARED))
            if len(seen) == before:
                problems.append(f"{current['page']}: no request recorded")
        context.close()

    def foreign(url: str) -> bool:
        parts = urlparse(url)
        return parts.scheme not in ("data", "blob", "about") and parts.netloc not in allowed

    problems += [f"{page}: requested {url}" for page, url in seen if foreign(url)]
    problems += [f"{page}: declares {url}" for page, url in declared if foreign(url)]
    assert not problems, "\n".join(problems)
    assert len(seen) >= 2 * len(visits)


PRIVACY_TEXT = """This site is published by the Caspian Ledger, an independent newsroom.
Write to **privacy@ledger.example** with any question about your data.

What follows is generated from this installation's settings."""


def test_a_reader_who_only_reads_gets_no_cookie(browser, world, screenshot, settings, tmp_path):
    """Article, comment pages, order, permalink, the no-JS thread page, the privacy
    page, and the widget on another origin: no cookie in the browser at the end."""
    world.site.page_size = 1  # so that there are pages of comments to go through
    site_update(world.site, channel="admin")
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)

    page.goto(world.base + "/")
    for link in (
        page.locator(".article-list a").first,
        page.get_by_role("link", name="More comments").first,
        page.get_by_role("link", name="Newest first"),
    ):
        with page.expect_navigation():
            link.click()
        page.get_by_role("heading", name="Leave a Reply").wait_for()
        scroll_to_end(page)
    assert "order=newest" in page.url
    page.goto(f"{world.base}/c/{world.comment.pk}")
    page.locator(f"#comment-{world.comment.pk}").wait_for()
    page.goto(world.base + world.no_js_thread)
    # As a newsroom would run it (docs/privacy-page.png): its own text above, and
    # addresses sealed to the mail worker's key.
    (tmp_path / "privacy.md").write_text(PRIVACY_TEXT)
    settings.MEYDAN_PRIVACY_TEXT_FILE = str(tmp_path / "privacy.md")
    settings.MEYDAN_EMAIL_PUBLIC_KEY = sealing.generate_pair()[0]
    page.goto(world.base + "/privacy/")
    page.get_by_text("is published by the Caspian Ledger").wait_for()
    screenshot(page, "privacy-page.png", full_page=True)
    page.goto(world.blog)
    widget_loaded(page, world)
    privacy = page.locator("#meydan-thread").get_by_role("link", name="Privacy")
    assert privacy.get_attribute("href") == world.base + "/privacy/"
    assert context.cookies() == []

    # Posting still works without a CSRF token (Chromium sends Origin); a cookie may
    # come now (the session remembers the reader's own comments), which is expected.
    page.goto(world.base + world.article)
    page.get_by_role("textbox", name="Comment", exact=True).fill("Read, then wrote.")
    page.get_by_role("textbox", name="Email", exact=True).fill("aynur@example.org")
    page.get_by_role("textbox", name="Name", exact=True).fill("Aynur")
    page.get_by_role("button", name="Post Comment").click()
    page.get_by_text("Read, then wrote.").wait_for()
    assert Comment.objects.filter(author_name="Aynur").exists()
    context.close()
