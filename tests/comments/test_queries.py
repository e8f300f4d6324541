import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meydan.comments import queries, services
from meydan.comments.models import Comment


def texts(page):
    return [node.comment.body if node.comment else None for node in page.nodes]


def test_page_is_tree_order_in_two_queries(thread, post):
    a = post("a")
    b = post("b")
    a1 = post("a1", parent=a)
    post("a1x", parent=a1)
    post("b1", parent=b)
    post("a2", parent=a)
    thread.site.refresh_from_db()
    thread = type(thread).objects.select_related("site").get(pk=thread.pk)
    with CaptureQueriesContext(connection) as captured:
        page = queries.thread_visible_page(thread)
        nodes = list(page.nodes)
    assert texts(page) == ["a", "a1", "a1x", "a2", "b", "b1"]
    # One query for the comments (the sizes of the discussions is the other).
    assert len(captured) == 2
    assert [n.depth for n in nodes] == [0, 1, 2, 1, 0, 1]


def test_newest_first_orders_discussions_not_replies(thread, post):
    a = post("a")
    post("b")
    post("a1", parent=a)
    post("a2", parent=a)
    page = queries.thread_visible_page(thread, order="newest")
    assert texts(page) == ["b", "a", "a1", "a2"]


def test_pages_count_top_level_discussions(thread, site, post):
    site.page_size = 2
    site.save()
    roots = [post(f"r{i}") for i in range(5)]
    post("reply", parent=roots[0])
    first = queries.thread_visible_page(thread, page=1)
    assert texts(first) == ["r0", "reply", "r1"]
    assert (first.number, first.num_pages, first.has_next, first.has_previous) == (
        1, 3, True, False,
    )  # fmt: skip
    last = queries.thread_visible_page(thread, page=99)
    assert texts(last) == ["r4"] and last.number == 3
    newest = queries.thread_visible_page(thread, page=1, order="newest")
    assert texts(newest) == ["r4", "r3"]
    assert queries.comment_page_number(roots[4], order="oldest") == 3
    assert queries.comment_page_number(roots[4], order="newest") == 1


def test_hidden_comments_and_placeholders(thread, post):
    parent = post("parent")
    reply = post("reply", parent=parent)
    spam = post("spam")
    services.comment_set_status(spam, Comment.Status.SPAM, channel="moderation")
    services.comment_set_status(parent, Comment.Status.TRASH, channel="moderation")
    page = queries.thread_visible_page(thread)
    # The reply keeps its context: a placeholder stands for the removed parent.
    assert texts(page) == [None, "reply"]
    assert page.nodes[1].comment.pk == reply.pk


def test_pending_visible_only_with_own_ids(thread, site, post):
    site.hold_all = True
    site.save()
    held = post("held")
    assert texts(queries.thread_visible_page(thread)) == []
    assert texts(queries.thread_visible_page(thread, own_ids=[held.pk])) == ["held"]


@pytest.mark.parametrize(
    ("sizes", "page_size", "page_comments", "expected"),
    [
        ([], 50, 150, []),
        ([(1, 3), (2, 1), (3, 1)], 50, 150, [(1, 3)]),
        ([(1, 3), (2, 1), (3, 1)], 2, 150, [(1, 2), (3, 3)]),
        # ends before the discussion that would take it past page_comments
        ([(1, 60), (2, 60), (3, 60), (4, 1)], 50, 150, [(1, 2), (3, 4)]),
        ([(1, 75), (2, 75), (3, 1)], 50, 150, [(1, 2), (3, 3)]),
        # a discussion larger than a page has a page of its own, never split
        ([(1, 5), (2, 400), (3, 5)], 50, 150, [(1, 1), (2, 2), (3, 3)]),
        ([(1, 400)], 50, 150, [(1, 1)]),
        # newest first: root_seq descending, ranges still (first shown, last shown)
        ([(9, 100), (7, 100), (4, 1)], 50, 150, [(9, 9), (7, 4)]),
    ],
)
def test_page_ranges(sizes, page_size, page_comments, expected):
    assert queries.page_ranges(sizes, page_size, page_comments) == expected


def test_pages_end_before_too_many_comments(thread, site, post):
    site.page_comments = 10
    site.save()
    a, b, c = post("a"), post("b"), post("c")
    for i in range(6):
        post(f"a{i}", parent=a)
    for i in range(5):
        post(f"b{i}", parent=b)
    post("c0", parent=c)
    thread = type(thread).objects.select_related("site").get(pk=thread.pk)
    first = queries.thread_visible_page(thread, page=1)
    assert texts(first) == ["a", "a0", "a1", "a2", "a3", "a4", "a5"] and first.num_pages == 2
    second = queries.thread_visible_page(thread, page=2)
    assert texts(second)[0] == "b" and texts(second)[-2:] == ["c", "c0"]
    assert queries.comment_page_number(b, order="oldest") == 2
    assert queries.comment_page_number(a, order="oldest") == 1
    newest = queries.thread_visible_page(thread, page=1, order="newest")
    assert texts(newest)[:3] == ["c", "c0", "b"]  # c (2) + b (6) = 8; a (7) would be 15
    assert newest.num_pages == 2
    assert queries.comment_page_number(a, order="newest") == 2
    assert queries.comment_page_number(c, order="newest") == 1


@pytest.mark.slow
def test_large_thread_page_stays_small(thread, site):
    """5,000 comments: a page holds at most page_size discussions and about
    page_comments comments."""
    author = services.Author(name="A", email="a@b.org")
    roots = []
    for i in range(5000):
        parent = roots[i % len(roots)] if roots and i % 3 else None
        result = services.comment_post(
            thread=thread,
            author=author,
            body=f"comment {i}",
            parent_id=parent,
            moderate=False,
            channel="form",
        )
        if parent is None:
            roots.append(result.comment.pk)
    with CaptureQueriesContext(connection) as captured:
        page = queries.thread_visible_page(thread, page=3)
        count = len(page.nodes)
    assert len(captured) == 2
    assert page.num_pages >= -(-len(roots) // site.page_size)
    depth0 = [n for n in page.nodes if n.depth == 0]
    assert 1 <= len(depth0) <= site.page_size
    assert count <= site.page_comments
