"""Readers' up-votes: comment_vote and comment_unvote.

There are no down-votes. A vote is a Vote row, unique per (voter, comment), and one
more in Comment.vote_count, written in one transaction: the count is what readers
see, kept on the comment so that no read counts votes, and the unique row is what
makes a replayed or repeated request a no-op (it is answered, not counted). Both
change what readers see, so both bump the thread's version (thread_bump), which
makes every cached page of the thread new. No event is announced: nothing else in
Meydan reacts to a vote.

Who votes (`Voter.key`) is decided by the front door (accounts.voters): an account,
or the keyed hash of a random id the guest's browser keeps. Clearing that id makes
a new guest voter, so guests' votes on one comment are also capped per client
address (as a keyed hash, counted in the cache, never stored) while the vote
rate limit is on.
"""

import secrets
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from meydan.comments.models import Comment, Vote
from meydan.comments.services.threads import thread_bump
from meydan.core import ratelimit
from meydan.core.errors import NotFound, OwnComment, RateLimited, ThreadClosed
from meydan.core.privacy import keyed_hash

# Guest votes on one comment from one client address (in a day): a household or an
# office may share an address, a reader clearing their browser to vote again may not.
GUEST_VOTES_PER_ADDRESS = (5, 24 * 3600)


@dataclass(frozen=True)
class Voter:
    """Who votes: `key` is "u:<account id>" or "g:<keyed hash>" (accounts.voters)."""

    key: str
    user_id: int | None = None
    # Comments this browser posted as a guest (the session's, or the edit token's):
    # a guest may not vote for them either.
    own_ids: frozenset[int] = field(default_factory=frozenset)


class VoteResult(NamedTuple):
    changed: bool  # False: the vote was there already (or not, for an un-vote)
    votes: int  # the comment's count afterwards


def _check(comment: Comment, voter: Voter) -> None:
    if comment.status != Comment.Status.APPROVED:
        raise NotFound()
    if not comment.thread.accepts_comments:
        raise ThreadClosed()
    if (voter.user_id is not None and comment.user_id == voter.user_id) or (
        comment.pk in voter.own_ids
    ):
        raise OwnComment()


def _limit(comment: Comment, voter: Voter, ip: str | None, *, new_vote: bool) -> None:
    ratelimit.rate_limit_keys("vote", ip=ip, also=(voter.key,))
    if new_vote and voter.user_id is None and settings.MEYDAN_RATELIMIT_VOTES:
        address = keyed_hash("ratelimit", ip or "no-address")
        if ratelimit.hit("vote:address", f"{comment.pk}:{address}", *GUEST_VOTES_PER_ADDRESS):
            raise RateLimited(
                ratelimit.ACTIONS["vote"][1], retry_after=GUEST_VOTES_PER_ADDRESS[1] // 24
            )


def _count(comment: Comment) -> int:
    return Comment.objects.filter(pk=comment.pk).values_list("vote_count", flat=True).first() or 0


def comment_vote(comment: Comment, *, voter: Voter, ip: str | None = None) -> VoteResult:
    """Up-vote a published comment of a thread that accepts comments, once per voter.

    Refuses a comment that is not published (NotFound), a closed thread
    (ThreadClosed), the voter's own comment (OwnComment), and a voter or address
    over MEYDAN_RATELIMIT_VOTES (RateLimited). A second vote by the same voter
    changes nothing and answers changed=False. One transaction: the Vote row, the
    count (F() + 1, so concurrent voters are all counted) and the thread's version.
    """
    _check(comment, voter)
    already = Vote.objects.filter(comment=comment, voter=voter.key).exists()
    _limit(comment, voter, ip, new_vote=not already)
    if already:
        return VoteResult(False, _count(comment))
    with transaction.atomic():
        try:
            with transaction.atomic():
                Vote.objects.create(comment=comment, voter=voter.key)
        except IntegrityError:  # the same voter, a moment earlier (a replay racing itself)
            return VoteResult(False, _count(comment))
        counted = Comment.objects.filter(pk=comment.pk, status=Comment.Status.APPROVED).update(
            vote_count=F("vote_count") + 1
        )
        if not counted:  # removed by a moderator meanwhile: the vote goes with the rollback
            raise NotFound()
        thread_bump(comment.thread)
    return VoteResult(True, _count(comment))


def comment_unvote(comment: Comment, *, voter: Voter, ip: str | None = None) -> VoteResult:
    """Take a vote back. The same refusals as comment_vote; changed=False when this
    voter had not voted for the comment."""
    _check(comment, voter)
    _limit(comment, voter, ip, new_vote=False)
    with transaction.atomic():
        deleted, _ = Vote.objects.filter(comment=comment, voter=voter.key).delete()
        if not deleted:
            return VoteResult(False, _count(comment))
        Comment.objects.filter(pk=comment.pk).update(vote_count=F("vote_count") - 1)
        thread_bump(comment.thread)
    return VoteResult(True, _count(comment))


def votes_unlink_for_user(user) -> int:
    """An account is leaving (accounts.services.account_delete): its votes keep
    counting, as a guest's would, but no longer name the account — they are moved to
    one random voter key that nothing can be traced to. Returns how many."""
    return Vote.objects.filter(voter=f"u:{user.pk}").update(voter=f"gone:{secrets.token_hex(12)}")
