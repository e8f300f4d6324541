"""Importing from the moderation workspace in Chromium: an editor uploads a WordPress
export, the worker imports it, the page shows the report, and the imported comments
are on the article, nested as they were."""

from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from meydan.comments.models import Comment
from meydan.sites.models import Site
from tests.browser.test_moderation_queue import sign_in_as_editor

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WXR = Path(__file__).parent.parent / "interchange" / "samples" / "wordpress-6.1.xml"
BAKU = "/2023/03/11/azerbaijan-anti-regime-protesters-gather-in-baku/"


def test_upload_a_wordpress_export_and_read_it_on_the_page(new_page, live_server, screenshot):
    host = urlparse(live_server.url).netloc
    call_command("meydan_demo", domain=host, verbosity=0)
    site = Site.objects.get()
    editor = get_user_model().objects.create_user(
        "editor", "editor@example.org", "a long editor password", is_staff=True
    )
    site.moderators.add(editor)
    page = new_page(viewport={"width": 1000, "height": 1100})
    sign_in_as_editor(page, live_server.url)
    page.get_by_role("link", name="Import").click()
    page.get_by_label("Export file").set_input_files(str(WXR))
    page.get_by_label("Address rules").fill(f"host:127.0.0.1:8088={host}")
    page.get_by_role("button", name="Upload and import").click()
    page.get_by_text("Waiting for the worker").wait_for()
    assert not Comment.objects.filter(body__startswith="Gözəl yazı").exists()

    call_command("worker", batch=True, verbosity=0)
    page.reload()
    page.get_by_role("heading", name="Report").wait_for()
    row = page.get_by_role("row", name="Added: approved")
    assert row.get_by_role("cell").inner_text() == "140"
    assert page.get_by_role("button", name="Undo this import").is_visible()
    screenshot(page, "moderation-import.png", full_page=True)

    # The imported comments are on the page, nested as in WordPress. (The demo's
    # newsroom serves any path as an article only when it has one; the thread page
    # of the embed shows any thread.)
    page.goto(f"{live_server.url}/embed/thread/?site={site.slug}&url={live_server.url}{BAKU}")
    first = page.locator(".comment", has_text="Gözəl yazı, ətraflı və düzgün.").first
    first.wait_for()
    assert first.locator(".comment", has_text="Can you link to the original").count() == 1
