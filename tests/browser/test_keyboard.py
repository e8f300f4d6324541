"""Keyboard only, in Chromium: read, reply, post, fix a form error, sign in, moderate
a comment and load more, pressing nothing but Tab, Shift+Tab, Enter, Space and
typing. After each step the focus is where a person expects it (the reply box, the
field with the error, the new comment, the moderators' confirmation, the first new
comment after "load more"), and every control reached shows that it has the focus.
"""

from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model

from meydan.comments import services
from meydan.comments.models import Comment, Thread
from meydan.newsroom.models import Article
from meydan.sites.lookup import page_key_for
from meydan.sites.models import Site

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Whether the focused element shows it: an outline (Chromium's own ring is "auto") or a
# box-shadow, on it or, for a radio or checkbox, on its label.
FOCUS_SHOWN = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "nothing";
  const shows = (e) => { const s = getComputedStyle(e);
    return (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0)
      || s.boxShadow !== "none"; };
  return shows(el) ? "" : (el.outerHTML.slice(0, 120));
}"""


def active(page, expression: str = "el.id"):
    return page.evaluate(f"() => {{ const el = document.activeElement; return {expression}; }}")


def tab_to(page, locator, *, key: str = "Tab", limit: int = 200) -> None:
    """Press Tab (or Shift+Tab) until `locator` has the focus, checking on the way that
    each element that takes it shows it."""
    target = locator.element_handle()
    unseen = []
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("el => document.activeElement === el", target):
            break
        problem = page.evaluate(FOCUS_SHOWN)
        if problem and problem != "nothing":
            unseen.append(problem)
    else:
        raise AssertionError(f"{key} never reached {locator}")
    problem = page.evaluate(FOCUS_SHOWN)
    assert not problem, f"no visible focus on {problem}"
    assert not unseen, "focus not visible on:\n" + "\n".join(unseen)


@pytest.fixture
def newsroom(live_server, blog):
    """The demo article (a reply-able discussion), an editor, and a page on another
    origin whose widget has more discussions than fit on one page."""
    site = Site.objects.get()
    site.page_size = 3
    site.save()
    get_user_model().objects.create_user(
        "editor", "editor@example.org", "a long editor password", is_staff=True
    )
    site.moderators.add(get_user_model().objects.get(username="editor"))
    key, url = page_key_for(site, blog)
    thread = services.thread_get_or_create(site=site, key=key, url=url, title="My blog post")
    for i in range(5):
        services.comment_post(
            thread=thread,
            author=services.Author(name=f"Reader {i}", email=f"r{i}@example.org"),
            body=f"Discussion number {i}.",
            channel="api",
            moderate=False,
        )
    return live_server.url + Article.objects.get().get_absolute_url()


def test_read_reply_fix_an_error_and_post(page, newsroom):
    page.goto(newsroom)
    first = Comment.objects.filter(parent=None, status="approved").order_by("created").first()
    reply = page.locator(f"#comment-{first.pk} .comment__reply").first
    tab_to(page, reply)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**replyto={first.pk}**")
    assert active(page) == "id_body", "Reply leads to the reply box, ready to type"

    page.keyboard.type("Which entrance did you use?")
    submit = page.locator("#respond button.button")
    tab_to(page, submit)
    page.keyboard.press("Enter")
    page.locator(".field--error").first.wait_for()
    # The first field to fix has the focus, and says what is wrong with it.
    assert active(page, "el.closest('.field').classList.contains('field--error')")
    assert active(page, "el.getAttribute('aria-invalid')") == "true"
    assert active(page) == "id_email"
    assert active(page, "el.value") == ""
    page.keyboard.type("kamala@example.org")
    page.keyboard.press("Tab")
    assert active(page) == "id_name"
    page.keyboard.type("Kamala K.")
    # Back up to the comment (Shift+Tab): what was typed is still there.
    tab_to(page, page.locator("#id_body"), key="Shift+Tab")
    assert active(page, "el.value") == "Which entrance did you use?"
    tab_to(page, page.locator("#respond button.button"))
    page.keyboard.press("Space")

    page.wait_for_url("**#comment-*")
    posted = Comment.objects.get(author_name="Kamala K.")
    assert posted.parent_id == first.pk
    assert active(page) == f"comment-{posted.pk}", "the focus is on the new comment"
    assert "Which entrance" in active(page, "el.innerText")
    assert not page.evaluate(FOCUS_SHOWN), "the new comment shows that it has the focus"


def test_sign_in_and_moderate(page, newsroom, live_server):
    site = Site.objects.get()
    thread = Thread.objects.get(site=site, key=urlparse(newsroom).path)
    held = services.comment_post(
        thread=thread,
        author=services.Author(name="Rasul", email="rasul@example.org"),
        body="Held until an editor reads it.",
        channel="form",
        moderate=False,
    ).comment
    Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PENDING)

    page.goto(live_server.url + "/moderation/")
    tab_to(page, page.locator('input[name="login"]'))
    page.keyboard.type("editor")
    page.keyboard.press("Tab")
    assert active(page, "el.name") == "password"
    page.keyboard.type("a long editor password")
    page.keyboard.press("Enter")
    page.wait_for_url("**/moderation/")

    row = page.locator(".mod__row", has_text="Held until an editor reads it.")
    tab_to(page, row.locator('button[data-key-action="approve"]'))
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    page.locator(".messages").wait_for()
    # The confirmation has the focus (and is read out: role=status).
    assert active(page, "el.className") == "messages"
    assert "1 comment: approved." in active(page, "el.innerText")
    held.refresh_from_db()
    assert held.status == Comment.Status.APPROVED
    # From there, Tab goes on through the queue.
    page.keyboard.press("Tab")
    assert active(page, "el.tagName") in {"A", "BUTTON", "INPUT", "SELECT"}


def test_load_more_in_the_widget(page, newsroom, blog):
    page.goto(blog)
    widget = page.locator("#meydan-thread")
    widget.locator("li[id^=comment-]").first.wait_for()
    before = widget.locator("li[id^=comment-]").count()
    assert before == 3
    tab_to(page, widget.locator("button", has_text="Load more comments"))
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"document.querySelectorAll('#meydan-thread li[id^=comment-]').length > {before}"
    )
    # The first comment that was not there before has the focus, and shows it.
    first_new = widget.locator("li[id^=comment-]").nth(before)
    assert active(page, "el.closest('li') && el.closest('li').id") == first_new.get_attribute("id")
    assert not page.evaluate(FOCUS_SHOWN)
    # Tab goes on from there, into that comment's own controls.
    page.keyboard.press("Tab")
    assert active(page, "el.closest('li') && el.closest('li').id") == first_new.get_attribute("id")


def test_a_reader_signs_in_with_an_account_by_keyboard(
    page, newsroom, live_server, oidc_provider_factory, settings
):
    """From the comment box to the provider's sign-in and back, keys only: the comment
    typed before survives, and the focus is back in it, ready to post."""
    provider = oidc_provider_factory([f"{live_server.url}/accounts/oidc/oidc/login/callback/"])
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {"APPS": [provider.allauth_app(name="Newsroom ID")]}
    }
    page.goto(newsroom)
    tab_to(page, page.locator("#id_body"))
    page.keyboard.type("Typed before signing in.")
    tab_to(page, page.get_by_role("button", name="Log in with Newsroom ID"), key="Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{provider.issuer}/**")
    tab_to(page, page.locator('input[name="login"]'))
    page.keyboard.type("leyla")
    page.keyboard.press("Tab")
    page.keyboard.type("any password")
    page.keyboard.press("Enter")
    consent = page.get_by_role("button", name="Continue")
    consent.wait_for()
    tab_to(page, consent)
    page.keyboard.press("Enter")

    page.wait_for_url(newsroom + "**")
    page.locator(".respond__using").wait_for()
    assert active(page) == "id_body", "back in the comment box"
    assert active(page, "el.value") == "Typed before signing in."
    tab_to(page, page.locator("#respond button.button"))
    page.keyboard.press("Enter")
    page.wait_for_url("**#comment-*")
    posted = Comment.objects.get(body="Typed before signing in.")
    assert posted.user is not None and active(page) == f"comment-{posted.pk}"
