"""The moderators' queue in Chromium: a held comment is approved from the queue and
appears on the article; a selection is marked spam in bulk."""

from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from meydan.comments import services
from meydan.comments.models import Comment
from meydan.newsroom.models import Article
from meydan.sites.models import Site
from tests.browser.conftest import field

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def newsroom(live_server):
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    site = Site.objects.get()
    site.hold_all = True
    site.save()
    editor = get_user_model().objects.create_user(
        "editor", "editor@example.org", "a long editor password", is_staff=True
    )
    site.moderators.add(editor)
    return live_server.url + Article.objects.get().get_absolute_url()


def post_as_guest(page, url, body, name):
    page.goto(url)
    field(page, "Comment").fill(body)
    field(page, "Email").fill(f"{name.lower()}@example.org")
    field(page, "Name").fill(name)
    page.get_by_role("button", name="Post Comment").click()
    page.get_by_text("Your comment is awaiting moderation").wait_for()


def sign_in_as_editor(page, base):
    page.goto(f"{base}/moderation/")
    page.locator('input[name="login"]').fill("editor")
    page.locator('input[name="password"]').fill("a long editor password")
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="Moderation").wait_for()


def test_hold_approve_and_bulk_spam(new_page, newsroom, live_server, screenshot):
    page = new_page(viewport={"width": 1000, "height": 900})
    post_as_guest(page, newsroom, "Held until an editor reads it.", "Samira")
    other = new_page()
    other.goto(newsroom)
    assert "Held until an editor reads it." not in other.content()

    thread = Comment.objects.get(author_name="Samira").thread
    for i in range(3):
        with_spam = services.comment_post(
            thread=thread,
            author=services.Author(name=f"Bot {i}", email=f"bot{i}@spam.example"),
            body=f"Cheap watches at https://spam.example/{i} and https://spam.example/x{i}",
            channel="form",
        )
        assert with_spam.comment.status == Comment.Status.PENDING

    editor = new_page(viewport={"width": 1200, "height": 1000})
    sign_in_as_editor(editor, live_server.url)
    rows = editor.locator(".mod__row")
    assert rows.count() == 4
    held = editor.locator(".mod__row", has_text="Held until an editor reads it.")
    assert "held: every comment needs approval" in held.inner_text()
    assert "this author: 0 approved · 1 held · 0 spam" in held.inner_text()
    screenshot(editor, "moderation-queue.png", full_page=True)

    held.get_by_role("button", name="Approve").click()
    editor.get_by_text("1 comment: approved.").wait_for()
    other.reload()
    assert "Held until an editor reads it." in other.content()

    for i in range(3):
        editor.locator(".mod__row", has_text=f"Bot {i}").get_by_role("checkbox").check()
    editor.locator(".mod__bulk").get_by_role("button", name="Spam", exact=True).click()
    editor.get_by_text("3 comments: marked as spam.").wait_for()
    assert Comment.objects.filter(status=Comment.Status.SPAM).count() == 3
    editor.get_by_role("link", name="Spam").first.click()
    assert editor.locator(".mod__row").count() == 3

    editor.goto(f"{live_server.url}/moderation/log/")
    log = editor.locator(".mod__table").inner_text()
    assert log.count("spam") >= 3 and "approve" in log


def test_keyboard_shortcuts(new_page, newsroom, live_server):
    page = new_page()
    post_as_guest(page, newsroom, "Approve me with the keyboard.", "Rauf")
    editor = new_page()
    sign_in_as_editor(editor, live_server.url)
    editor.wait_for_load_state("load")  # moderation.js listens from here on
    editor.keyboard.press("j")
    editor.locator(".mod__row.is-current").wait_for()
    editor.keyboard.press("a")
    editor.get_by_text("1 comment: approved.").wait_for()
    assert Comment.objects.get(author_name="Rauf").status == Comment.Status.APPROVED
