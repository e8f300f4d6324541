"""The Django admin in Chromium runs the queue's actions: "Delete forever" on a comment
with a reply leaves a placeholder on the article at once, and is in the audit log."""

from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from meydan.comments.models import Comment
from meydan.moderation.models import AuditEntry
from meydan.newsroom.models import Article

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_delete_forever_from_the_admin_keeps_the_replies(new_page, live_server):
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    article = live_server.url + Article.objects.get().get_absolute_url()
    get_user_model().objects.create_superuser("chief", "chief@example.org", "a long chief password")
    parent = Comment.objects.filter(replies__isnull=False, status="approved").first()
    reply = parent.replies.first()

    page = new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{live_server.url}/admin/comments/comment/")
    page.locator('input[name="login"]').fill("chief")
    page.locator('input[name="password"]').fill("a long chief password")
    page.get_by_role("button", name="Sign In").click()
    page.locator("#changelist").wait_for()
    assert page.locator('select[name="action"] option[value="delete_selected"]').count() == 0
    page.locator(f'input[name="_selected_action"][value="{parent.pk}"]').check()
    page.locator('select[name="action"]').select_option("delete_forever")
    page.get_by_role("button", name="Go").click()
    page.get_by_text("1 comment deleted.").wait_for()

    page.goto(article)
    assert page.locator(f"#comment-{reply.pk}").is_visible()
    holder = page.locator("li", has=page.locator(f"#comment-{reply.pk}")).first
    assert "This comment is not available." in holder.inner_text()
    assert parent.body not in page.content()
    assert AuditEntry.objects.filter(action="delete", comment_id=parent.pk).exists()
