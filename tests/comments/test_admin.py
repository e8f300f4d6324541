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


def test_admin_typed_reason_is_free_text_and_an_untouched_one_keeps_its_code(staff, site, post):
    site.hold_links = 1
    site.save()
    comment = post("See https://a.example/x")
    assert (comment.reason_code, comment.reason_params) == ("links", {"n": 1})
    url = f"/admin/comments/comment/{comment.pk}/change/"
    form = {"author_name": "Aynur", "new_author_email": "", "author_url": "", "body": "Edited"}
    assert staff.post(url, form | {"moderation_reason": "held: 1 link"}).status_code == 302
    comment.refresh_from_db()
    assert (comment.reason_code, comment.reason_params) == ("links", {"n": 1})
    typed = "held: 9 links"  # what an admin types is kept as written, never parsed
    assert staff.post(url, form | {"moderation_reason": typed}).status_code == 302
    comment.refresh_from_db()
    assert (comment.moderation_reason, comment.reason_code) == (typed, "other")
    assert comment.reason_params == {"text": typed}


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


def shown_fields(page) -> dict:
    """{name: the admin's field} of a change page, read-only ones included."""
    return {
        field.field["name"] if field.is_readonly else field.field.name: field
        for fieldset in page.context["adminform"]
        for line in fieldset
        for field in line
    }


def test_admin_shows_votes_picks_and_the_pin_read_only(staff, thread, post):
    from meydan.comments.services import Voter, comment_set_pick, comment_vote, thread_pin

    picked, plain = post("The one to read."), post("Another.")
    comment_vote(picked, voter=Voter("g:aaaa"))
    comment_vote(picked, voter=Voter("g:bbbb"))
    comment_set_pick(picked, True, channel="moderation")
    thread_pin(thread, picked, channel="moderation")

    listing = staff.get("/admin/comments/comment/").content.decode()
    assert "column-vote_count" in listing and "column-is_pick" in listing
    assert '<td class="field-vote_count">2</td>' in listing
    assert staff.get("/admin/comments/comment/?is_pick__exact=1").context["cl"].result_count == 1

    page = staff.get(f"/admin/comments/comment/{picked.pk}/change/")
    assert page.status_code == 200
    fields = shown_fields(page)
    assert fields["vote_count"].is_readonly and fields["vote_count"].contents() == "2"
    assert fields["is_pick"].is_readonly and 'alt="True"' in fields["is_pick"].contents()
    assert "vote_count" not in page.context["adminform"].form.fields  # not settable here

    thread_page = staff.get(f"/admin/comments/thread/{thread.pk}/change/")
    assert thread_page.status_code == 200
    fields = shown_fields(thread_page)
    assert fields["pinned"].is_readonly and "The one to read." in fields["pinned"].contents()
    assert fields["pick_count"].contents() == "1"
    assert "pinned" not in thread_page.context["adminform"].form.fields
    # Saving the thread's own fields leaves the pin as it is.
    form = {"key": thread.key, "url": thread.url, "title": "New title", "is_open": "on"}
    assert staff.post(f"/admin/comments/thread/{thread.pk}/change/", form).status_code == 302
    thread.refresh_from_db()
    assert (thread.title, thread.pinned_id) == ("New title", picked.pk)
    assert plain.pk != thread.pinned_id
