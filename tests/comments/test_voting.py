"""Up-votes: comments.services.voting and the "most voted" order of comments.queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meydan.comments import queries, services
from meydan.comments.models import Comment, Thread, Vote
from meydan.comments.services import Voter
from meydan.core.errors import NotFound, OwnComment, RateLimited, ThreadClosed

GUEST = Voter("g:aaaa")
OTHER = Voter("g:bbbb")


@pytest.fixture
def vote(django_capture_on_commit_callbacks):
    def _vote(comment, voter=GUEST, *, undo=False, ip="192.0.2.7"):
        with django_capture_on_commit_callbacks(execute=True):
            action = services.comment_unvote if undo else services.comment_vote
            return action(Comment.objects.select_related("thread__site").get(pk=comment.pk),
                          voter=voter, ip=ip)  # fmt: skip

    return _vote


def count(comment) -> int:
    comment.refresh_from_db(fields=["vote_count"])
    return comment.vote_count


def test_a_vote_counts_once_and_bumps_the_thread(thread, post, vote):
    comment = post("Worth reading.")
    version = Thread.objects.get(pk=thread.pk).version
    assert vote(comment) == (True, 1)
    assert vote(comment, OTHER) == (True, 2)
    assert count(comment) == 2 and Vote.objects.filter(comment=comment).count() == 2
    assert Thread.objects.get(pk=thread.pk).version == version + 2


def test_the_same_vote_again_is_a_no_op(thread, post, vote):
    """A replayed request (same voter) is answered, and not counted."""
    comment = post("Worth reading.")
    vote(comment)
    version = Thread.objects.get(pk=thread.pk).version
    for _ in range(3):
        assert vote(comment) == (False, 1)
    assert count(comment) == 1 and Vote.objects.filter(comment=comment).count() == 1
    assert Thread.objects.get(pk=thread.pk).version == version


def test_unvote_takes_the_vote_back_once(post, vote):
    comment = post("Worth reading.")
    vote(comment)
    vote(comment, OTHER)
    assert vote(comment, undo=True) == (True, 1)
    assert vote(comment, undo=True) == (False, 1)
    assert count(comment) == 1
    assert list(Vote.objects.values_list("voter", flat=True)) == [OTHER.key]
    assert vote(comment) == (True, 2)  # and may vote again


def test_own_comment_refused_for_account_and_guest(post, vote, django_user_model):
    user = django_user_model.objects.create_user("leyla", password="x")
    mine = post("Mine.")
    Comment.objects.filter(pk=mine.pk).update(user=user)
    with pytest.raises(OwnComment):
        vote(mine, Voter(f"u:{user.pk}", user_id=user.pk))
    guest_own = post("A guest's own.")
    with pytest.raises(OwnComment):
        vote(guest_own, Voter("g:cccc", own_ids=frozenset({guest_own.pk})))
    assert count(mine) == 0 and count(guest_own) == 0 and not Vote.objects.exists()


@pytest.mark.parametrize("status", ["pending", "spam", "trash"])
def test_only_published_comments(post, vote, status):
    comment = post("Held.")
    Comment.objects.filter(pk=comment.pk).update(status=status)
    with pytest.raises(NotFound):
        vote(comment)
    assert not Vote.objects.exists()


def test_closed_thread_refuses_votes_and_unvotes(thread, post, vote):
    comment = post("Before closing.")
    vote(comment)
    services.thread_update(thread, is_open=False, channel="admin")
    with pytest.raises(ThreadClosed):
        vote(comment, OTHER)
    with pytest.raises(ThreadClosed):
        vote(comment, undo=True)
    assert count(comment) == 1


def test_rate_limited_per_address_and_per_voter(settings, post, vote):
    settings.MEYDAN_RATELIMIT_VOTES = (3, 60)
    comments = [post(f"c{i}") for i in range(5)]
    for comment in comments[:3]:
        vote(comment, ip="192.0.2.1")
    with pytest.raises(RateLimited) as refused:
        vote(comments[3], ip="192.0.2.1")
    assert refused.value.retry_after > 0
    # The same voter from another address: counted per voter too.
    with pytest.raises(RateLimited):
        vote(comments[3], ip="198.51.100.9")
    # Another voter from another address is not held up.
    assert vote(comments[3], OTHER, ip="198.51.100.9") == (True, 1)
    assert count(comments[3]) == 1 and count(comments[4]) == 0


def test_guest_votes_per_comment_capped_per_address(settings, post, vote):
    """A guest clearing their browser's voter id to vote again: new voter, same address."""
    settings.MEYDAN_RATELIMIT_VOTES = (1000, 60)
    comment = post("Popular.")
    for n in range(5):
        vote(comment, Voter(f"g:{n}"), ip="192.0.2.1")
    with pytest.raises(RateLimited):
        vote(comment, Voter("g:fresh"), ip="192.0.2.1")
    assert vote(comment, Voter("g:fresh"), ip="198.51.100.9") == (True, 6)
    assert count(comment) == 6


def test_most_voted_orders_discussions_replies_stay_oldest_first(thread, post, vote):
    a, b, c = post("a"), post("b"), post("c")
    a1 = post("a1", parent=a)
    c1, c2 = post("c1", parent=c), post("c2", parent=c)
    for voter in ("g:1", "g:2"):
        vote(c, Voter(voter))
    vote(b, Voter("g:1"))
    for voter in ("g:1", "g:2", "g:3"):
        vote(c2, Voter(voter))  # a reply's votes do not move its discussion
    vote(a1, Voter("g:1"))
    page = queries.thread_visible_page(Thread.objects.get(pk=thread.pk), order="top")
    assert [n.comment.body for n in page.nodes] == ["c", "c1", "c2", "b", "a", "a1"]
    assert [n.depth for n in page.nodes] == [0, 1, 1, 0, 0, 1]
    assert c1.pk in [n.comment.pk for n in page.nodes]


def test_most_voted_ties_oldest_first_and_pages_never_split(thread, site, post, vote):
    site.page_size = 2
    site.save()
    roots = [post(f"r{i}") for i in range(5)]
    post("r3 reply", parent=roots[3])
    vote(roots[3], Voter("g:1"))
    vote(roots[3], Voter("g:2"))
    vote(roots[1], Voter("g:1"))
    thread = Thread.objects.select_related("site").get(pk=thread.pk)
    pages = [queries.thread_visible_page(thread, page=n, order="top") for n in (1, 2, 3)]
    assert [[n.comment.body for n in p.nodes] for p in pages] == [
        ["r3", "r3 reply", "r1"], ["r0", "r2"], ["r4"],
    ]  # fmt: skip
    assert {p.num_pages for p in pages} == {3}
    expected = {0: 2, 1: 1, 2: 2, 3: 1, 4: 3}
    for index, root in enumerate(roots):
        assert queries.comment_page_number(root, order="top") == expected[index]
    reply = Comment.objects.get(body="r3 reply")
    assert queries.comment_page_number(reply, order="top") == 1
    # The other orders are as before.
    assert queries.comment_page_number(roots[4], order="oldest") == 3
    assert queries.comment_page_number(roots[4], order="newest") == 1


def test_most_voted_page_is_two_queries(thread, post, vote):
    a = post("a")
    post("a1", parent=a)
    b = post("b")
    vote(b)
    thread = Thread.objects.select_related("site").get(pk=thread.pk)
    with CaptureQueriesContext(connection) as captured:
        page = queries.thread_visible_page(thread, order="top")
    assert [n.comment.body for n in page.nodes] == ["b", "a", "a1"]
    assert len(captured) == 2


def test_votes_by_voter_lists_this_threads_votes(thread, site, post, vote):
    a, b = post("a"), post("b")
    other = services.thread_get_or_create(site=site, key="/elsewhere/")
    c = post("c", on=other)
    vote(a)
    vote(c)
    vote(b, OTHER)
    assert queries.votes_by_voter(thread.pk, GUEST.key) == [a.pk]
    assert queries.votes_by_voter(other.pk, GUEST.key) == [c.pk]


def test_a_leaving_accounts_votes_keep_counting_without_its_name(post, vote, django_user_model):
    from meydan.accounts.services import account_delete

    user = django_user_model.objects.create_user("leyla", password="x")
    a, b = post("a"), post("b")
    vote(a, Voter(f"u:{user.pk}", user_id=user.pk))
    vote(b, Voter(f"u:{user.pk}", user_id=user.pk))
    vote(b, OTHER)
    account_delete(user, keep_comments=True, channel="self-service")
    keys = set(Vote.objects.values_list("voter", flat=True))
    assert f"u:{user.pk}" not in keys and OTHER.key in keys and len(keys) == 2
    assert (count(a), count(b)) == (1, 2)
