import pytest

from meydan.comments import services
from meydan.comments.events import comment_posted
from meydan.comments.models import Comment, Thread
from meydan.core.errors import InvalidComment, ParentNotFound, ThreadClosed


def test_post_renders_markdown_and_bumps_thread(thread, post):
    comment = post("Hello *world*")
    thread.refresh_from_db()
    assert comment.body_html == "<p>Hello <em>world</em></p>"
    assert comment.status == Comment.Status.APPROVED
    assert (thread.comment_count, thread.version, thread.last_seq) == (1, 1, 1)
    assert thread.last_comment_at == comment.created


def test_reply_paths_keep_tree_order(post):
    first = post("first")
    second = post("second")
    reply = post("reply to first", parent=first)
    nested = post("reply to reply", parent=reply)
    assert reply.path.startswith(first.path) and nested.path.startswith(reply.path)
    assert (reply.depth, nested.depth) == (1, 2)
    assert nested.root_seq == first.seq
    ordered = list(Comment.objects.order_by("root_seq", "path"))
    assert ordered == [first, reply, nested, second]


def test_reply_beyond_max_depth_attaches_at_the_limit(site, post):
    site.max_depth = 3
    site.save()
    top = post("depth 0")
    one = post("depth 1", parent=top)
    two = post("depth 2", parent=one)
    three = post("would be depth 3", parent=two)
    assert three.depth == 2
    assert three.parent_id == one.pk
    assert three.replied_to_id == two.pk


def test_guest_must_give_name_email_and_text(thread):
    with pytest.raises(InvalidComment) as error:
        services.comment_post(
            thread=thread, author=services.Author(name=" "), body="", channel="form"
        )
    assert set(error.value.errors) == {"name", "email", "body"}
    assert not Comment.objects.exists()


def test_limits_have_clear_messages(thread, site):
    site.max_comment_length = 20
    with pytest.raises(InvalidComment) as error:
        services.comment_post(
            thread=thread,
            author=services.Author(name="x" * 101, email="not-an-email", url="ftp://x.org"),
            body="y" * 21,
            channel="form",
        )
    errors = error.value.errors
    assert "at most 100 characters" in errors["name"][0]
    assert "valid email" in errors["email"][0]
    assert "http:// or https://" in errors["website"][0]
    assert "at most 20 characters long (this one has 21)" in errors["body"][0]


def test_website_without_scheme_gets_https(post):
    comment = post("hi", url="ellison-notes.example.com")
    assert comment.author_url == "https://ellison-notes.example.com"


def test_nul_bytes_are_refused(thread):
    with pytest.raises(InvalidComment) as error:
        services.comment_post(
            thread=thread,
            author=services.Author(name="A", email="a@b.org"),
            body="a\x00b",
            channel="form",
        )
    assert "NUL" in error.value.errors["body"][0]


def test_closed_thread_refuses_and_stores_nothing(thread, post):
    thread.is_open = False
    thread.save()
    with pytest.raises(ThreadClosed):
        post("hello")
    assert not Comment.objects.exists()


def test_parent_from_another_thread_is_refused(site, thread, post):
    other = services.thread_get_or_create(site=site, key="/other/")
    foreign = post("elsewhere", on=other)
    with pytest.raises(ParentNotFound):
        post("reply", parent=foreign)
    assert Comment.objects.filter(thread=thread).count() == 0


def test_parent_in_trash_is_refused(post):
    parent = post("soon gone")
    services.comment_set_status(parent, Comment.Status.TRASH, channel="moderation")
    with pytest.raises(ParentNotFound):
        post("reply", parent=parent)


def test_hold_all_saves_pending_with_reason_and_no_count(site, thread, post):
    site.hold_all = True
    site.save()
    comment = post("needs approval")
    thread.refresh_from_db()
    assert comment.status == Comment.Status.PENDING
    assert "approval" in comment.moderation_reason
    assert thread.comment_count == 0 and thread.version == 1


def test_set_status_keeps_count_right(thread, post):
    comment = post("x")
    services.comment_set_status(comment, Comment.Status.SPAM, channel="moderation")
    thread.refresh_from_db()
    assert thread.comment_count == 0
    services.comment_set_status(comment, Comment.Status.APPROVED, channel="moderation")
    services.comment_set_status(comment, Comment.Status.APPROVED, channel="moderation")
    thread.refresh_from_db()
    assert thread.comment_count == 1 and thread.version == 3


def test_ip_is_stored_only_as_keyed_hash(post):
    comment = post("hi", ip="203.0.113.7")
    assert comment.ip_hash and "203.0.113.7" not in comment.ip_hash
    key, hexdigits = comment.ip_hash.split(".")  # "<key id>.<hex>" (core.privacy)
    assert key.isdigit() and len(hexdigits) == 32


@pytest.mark.django_db(transaction=True)
def test_signals_are_sent_after_commit(site, thread):
    seen = []

    def receiver(sender, comment, **kwargs):
        seen.append((comment.pk, Comment.objects.filter(pk=comment.pk).exists()))

    comment_posted.connect(receiver)
    try:
        result = services.comment_post(
            thread=thread,
            author=services.Author(name="A", email="a@b.org"),
            body="x",
            channel="form",
        )
    finally:
        comment_posted.disconnect(receiver)
    assert seen == [(result.comment.pk, True)]


def test_edit_rerenders_and_bumps_version(thread, post):
    comment = post("old")
    services.comment_edit(
        comment,
        body="**new**",
        author_name="Aynur",
        author_email="",
        author_url="",
        channel="moderation",
    )
    comment.refresh_from_db()
    thread.refresh_from_db()
    assert comment.body_html == "<p><strong>new</strong></p>" and comment.edited
    assert thread.version == 2


def test_thread_get_or_create_is_idempotent(site):
    a = services.thread_get_or_create(site=site, key="/a/", title="A")
    b = services.thread_get_or_create(site=site, key="/a/", title="changed")
    assert a.pk == b.pk and Thread.objects.count() == 1
