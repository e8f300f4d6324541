import pytest

from meydan.comments.models import Comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_client):
    return admin_client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/meydan_sites/site/",
        "/admin/comments/thread/",
        "/admin/comments/comment/",
        "/admin/newsroom/article/",
        "/admin/newsroom/article/add/",
    ],
)
def test_admin_pages_load(staff, post, url):
    post("hello")
    assert staff.get(url).status_code == 200


def test_admin_actions_change_status_and_counts(staff, thread, post):
    a, b = post("a"), post("b")
    response = staff.post(
        "/admin/comments/comment/",
        {"action": "mark_spam", "_selected_action": [a.pk, b.pk]},
    )
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.comment_count == 0
    assert set(Comment.objects.values_list("status", flat=True)) == {"spam"}
    staff.post("/admin/comments/comment/", {"action": "mark_approved", "_selected_action": [a.pk]})
    thread.refresh_from_db()
    assert thread.comment_count == 1


def test_admin_edit_rerenders_and_validates(staff, post):
    comment = post("old")
    url = f"/admin/comments/comment/{comment.pk}/change/"
    form = {
        "author_name": "Aynur",
        "new_author_email": "aynur@example.org",
        "author_url": "javascript:alert(1)",
        "body": "*new*",
        "moderation_reason": "",
    }
    bad = staff.post(url, form)
    assert bad.status_code == 200 and "http:// or https://" in bad.content.decode()
    form["author_url"] = ""
    assert staff.post(url, form).status_code == 302
    comment.refresh_from_db()
    assert comment.body_html == "<p><em>new</em></p>" and comment.edited


def test_admin_article_save_renders_markdown(staff, site):
    response = staff.post(
        "/admin/newsroom/article/add/",
        {
            "site": site.pk,
            "title": "New story",
            "slug": "new-story",
            "body": "Para one\nwraps.\n\n<script>x</script>",
            "published_0": "2026-01-01",
            "published_1": "10:00:00",
            "is_published": "on",
            "standfirst": "",
            "byline": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    from meydan.newsroom.models import Article

    article = Article.objects.get(slug="new-story")
    assert "<script>" not in article.body_html and "Para one\nwraps." in article.body_html
