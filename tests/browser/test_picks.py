"""Editor's picks and the pinned comment in Chromium: a moderator picks and pins from
the workspace and from the comments themselves (article page and widget); readers
see the badge, the pinned block and the Picks view in the section and the widget."""

import json
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from meydan.accounts.tokens import widget_token_issue
from meydan.comments import services
from meydan.comments.models import Comment, Thread
from meydan.moderation.models import AuditEntry
from meydan.newsroom.models import Article
from meydan.sites.models import Site

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long editor password"


def make_editor(site):
    editor = get_user_model().objects.create_user(
        "editor", "editor@example.org", PASSWORD, is_staff=True
    )
    site.moderators.add(editor)
    return editor


def sign_in_as_editor(page, base):
    page.goto(f"{base}/moderation/?tab=all")
    page.locator('input[name="login"]').fill("editor")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="Moderation").wait_for()


def test_workspace_and_article_page(new_page, live_server, screenshot):
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    site = Site.objects.get()
    make_editor(site)
    article_url = live_server.url + Article.objects.get().get_absolute_url()
    first, second, third = Comment.objects.filter(parent=None).order_by("created")[:3]

    editor = new_page(viewport={"width": 1200, "height": 1000})
    sign_in_as_editor(editor, live_server.url)
    editor.goto(f"{live_server.url}/moderation/?tab=all")
    editor.locator(f"#row-{second.pk}").get_by_role("button", name="Pick", exact=True).click()
    editor.get_by_text("1 comment: picked.").wait_for()
    # The keyboard: j to the first row (the newest comment), P (shift+p) pins it.
    editor.keyboard.press("j")
    editor.keyboard.press("Shift+P")
    editor.get_by_text("1 comment: pinned.").wait_for()
    newest = Comment.objects.order_by("-created", "-pk").first()
    assert Thread.objects.get().pinned_id == newest.pk
    assert editor.locator(f"#row-{second.pk} .tag--pick").is_visible()

    # From the comment itself, on the article page: pin the first comment instead.
    editor.goto(article_url)
    tools = editor.locator(f"#comment-{first.pk} > article > .comment__moderate")
    tools.get_by_role("button", name=f"Pin the comment by {first.author_name}").click()
    editor.get_by_text("Pinned to the top of the discussion.").wait_for()
    assert Thread.objects.get().pinned_id == first.pk
    tools = editor.locator(f"#comment-{third.pk} > article > .comment__moderate")
    tools.get_by_role("button", name=f"Pick the comment by {third.author_name}").click()
    editor.get_by_text("Marked as an editor's pick.").wait_for()
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "pick",
        "pin",
        "pin",
        "pick",
    ]

    reader = new_page(viewport={"width": 1000, "height": 900})
    reader.goto(article_url)
    block = reader.locator(".comments__pinned")
    assert "Pinned by the editors" in block.inner_text()
    assert block.locator(f"#pinned-comment-{first.pk}").is_visible()
    assert reader.locator(f"#comment-{first.pk} .comment__badge--pinned").is_visible()
    assert reader.locator(f"#comment-{second.pk} .comment__badge--pick").inner_text() == (
        "Editor's pick"
    )
    assert reader.locator(".comment__moderate").count() == 0  # readers get no buttons
    screenshot(reader, "picks-article.png", full_page=True)
    reader.get_by_role("link", name="Picks (2)").click()
    reader.wait_for_url("**view=picks**")
    picked = reader.locator(".comment-list--picks > li")
    assert picked.count() == 2
    assert "Picks (2)" in reader.locator(".comments__views").inner_text()
    picked.first.get_by_role("link", name="Go to this comment in the discussion").click()
    reader.wait_for_url(f"**#comment-{second.pk}")
    assert reader.locator(f"#comment-{second.pk}").is_visible()


def put_token(page, origin, site, token):
    """What the widget keeps after a sign-in (sessionStorage, per Meydan server and site)."""
    auth = {"token": token, "exp": 4102444800000, "me": {"name": "Editor"}}
    key = f"meydan:{origin}:{site.slug}:auth"
    page.add_init_script(
        f"sessionStorage.setItem({json.dumps(key)}, {json.dumps(json.dumps(auth))})"
    )


def test_widget_reader_and_moderator(new_page, blog, live_server, screenshot):
    site = Site.objects.get()
    editor = make_editor(site)
    thread = services.thread_get_or_create(site=site, key="/2015/06/baku-rally/", url=blog)
    posted = []
    for name in ("Aynur", "Tural", "Samira"):
        posted.append(
            services.comment_post(
                thread=thread,
                author=services.Author(name=name, email=f"{name.lower()}@example.org"),
                body=f"A comment by {name}.",
                channel="form",
            ).comment
        )
    first, second, third = posted
    services.comment_set_pick(second, True, channel="moderation", actor=editor)
    services.thread_pin(thread, third, channel="moderation", actor=editor)

    reader = new_page(viewport={"width": 1000, "height": 900})
    reader.goto(blog)
    widget = reader.locator("#meydan-thread")
    pinned = widget.locator(".meydan-pinned")
    pinned.get_by_text("Pinned by the editors").wait_for()
    assert pinned.locator(f"#pinned-comment-{third.pk}").is_visible()
    assert "A comment by Samira." in pinned.inner_text()
    assert widget.locator(f"#comment-{second.pk} .meydan-comment__badge").inner_text() == (
        "Editor's pick"
    )
    assert widget.locator(f"#comment-{third.pk} .meydan-comment__badge").inner_text() == "Pinned"
    assert widget.get_by_role("button", name="Pick", exact=True).count() == 0
    screenshot(reader, "picks-widget.png", full_page=True)
    widget.get_by_role("button", name="Picks (1)").click()
    widget.locator(f"#comment-{first.pk}").wait_for(state="detached")
    assert widget.locator(".meydan-comment-list > li").count() == 1
    assert not pinned.is_visible()
    widget.get_by_role("button", name="Go to this comment in the discussion").click()
    widget.locator(f"#comment-{first.pk}").wait_for()
    assert pinned.is_visible()

    moderator = new_page(viewport={"width": 1000, "height": 900})
    token = widget_token_issue(
        editor, site_id=site.pk, provider="", origin=urlparse(blog)._replace(path="").geturl()
    )
    put_token(moderator, live_server.url, site, token)
    moderator.goto(blog)
    mine = moderator.locator("#meydan-thread")
    item = mine.locator(f"#comment-{first.pk} > article")
    item.get_by_role("button", name="Pin", exact=True).wait_for()
    item.get_by_role("button", name="Pin", exact=True).click()
    mine.locator(f"#pinned-comment-{first.pk}").wait_for()
    assert Thread.objects.get(pk=thread.pk).pinned_id == first.pk
    # Focus stays where the moderator was: on the button that replaced the one clicked.
    unpin = item.get_by_role("button", name="Unpin")
    assert unpin.evaluate("b => b === document.activeElement")
    item.get_by_role("button", name="Pick", exact=True).click()
    mine.get_by_role("button", name="Picks (2)").wait_for()
    assert Comment.objects.get(pk=first.pk).is_pick
    mine.locator(f"#comment-{second.pk} > article").get_by_role("button", name="Unpick").click()
    mine.get_by_role("button", name="Picks (1)").wait_for()
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "actor")) == [
        ("pin", editor.pk),
        ("pick", editor.pk),
        ("unpick", editor.pk),
    ]

    reader.reload()
    widget.locator(f"#pinned-comment-{first.pk}").wait_for()
    assert widget.locator(f"#comment-{second.pk} .meydan-comment__badge").count() == 0
