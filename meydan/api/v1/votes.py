"""Votes: a reader up-votes a comment, takes the vote back, and asks which comments
of a thread they voted for.

Guests in the widget are known by a voter id this server issues (accounts.voters
says why not a cookie): the first vote answers it as `voter`, and the widget sends
it back as X-Meydan-Voter. Signed-in readers send their bearer token.

Which comments a reader voted for is not in the thread's payload: that payload is
one cached answer for every reader. The widget asks GET /api/v1/votes once, only
when it has a voter id or a token; the answer is private and never cached.
"""

from django.http import JsonResponse
from ninja import Query, Router, Schema
from pydantic import Field

from meydan.accounts.voters import VOTER_HEADER, voter_for, voter_id_from_token, voter_id_new
from meydan.accounts.voters import voter_token as voter_token_for
from meydan.api.auth import api_commenter
from meydan.api.cors import check_origin
from meydan.api.v1.schemas import READ_ERRORS, WRITE_ERRORS
from meydan.comments import access, caching, queries, services
from meydan.core.privacy import client_ip
from meydan.sites.lookup import page_key_for, site_for_slug

router = Router(tags=["votes"])


class VoteOut(Schema):
    comment: int
    voted: bool = Field(description="Whether this reader's vote is on the comment now")
    votes: int = Field(description="The comment's up-votes now")
    changed: bool = Field(
        description="False when nothing changed: voted already, or had not voted (a replay "
        "is answered, never counted twice)"
    )
    voter: str | None = Field(
        None,
        description="A guest's first vote: their voter id, signed. Keep it and send it as "
        "X-Meydan-Voter with later votes",
    )


def _guest_id(request) -> str | None:
    return voter_id_from_token(request.headers.get(VOTER_HEADER))


def _vote(request, comment_id: int, *, up: bool) -> dict:
    comment = access.access_published_comment(comment_id)
    site = comment.thread.site
    check_origin(request, site)
    commenter = api_commenter(request, site)
    user = commenter.user if commenter else None
    voter_id = None if user else _guest_id(request)
    issued = None
    if user is None and voter_id is None and up:
        voter_id = voter_id_new()
        issued = voter_token_for(voter_id)
    own = [comment.pk] if access.token_proves_author(
        request.headers.get("X-Meydan-Edit-Token"), comment.pk
    ) else []  # fmt: skip
    voter = voter_for(user, voter_id=voter_id, own_ids=own)
    if voter is None:  # a guest with no voter id takes back a vote: they have none
        return {"comment": comment.pk, "voted": False, "votes": comment.vote_count,
                "changed": False, "voter": None}  # fmt: skip
    action = services.comment_vote if up else services.comment_unvote
    result = action(comment, voter=voter, ip=client_ip(request))
    return {"comment": comment.pk, "voted": up, "votes": result.votes,
            "changed": result.changed, "voter": issued}  # fmt: skip


@router.post("/comments/{comment_id}/vote", response={200: VoteOut, **WRITE_ERRORS})
def comment_vote(request, comment_id: int):
    """POST /api/v1/comments/{id}/vote — up-vote a published comment (once per reader).

    A signed-in reader by their bearer token; a guest by X-Meydan-Voter (none yet:
    the answer's `voter` is theirs to keep). Refused for one's own comment
    (own_comment), on a closed thread (thread_closed), and beyond
    MEYDAN_RATELIMIT_VOTES (rate_limited). No body."""
    return _vote(request, comment_id, up=True)


@router.delete("/comments/{comment_id}/vote", response={200: VoteOut, **WRITE_ERRORS})
def comment_unvote(request, comment_id: int):
    """DELETE /api/v1/comments/{id}/vote — take one's up-vote back."""
    return _vote(request, comment_id, up=False)


class VotesQuery(Schema):
    site: str = Field(description="The site's public key")
    url: str = Field(description="The page's URL, or its path")


class VotesOut(Schema):
    comments: list[int] = Field(description="Ids of this thread's comments the reader up-voted")


@router.get("/votes", response={200: VotesOut, **READ_ERRORS})
def votes_read(request, query: Query[VotesQuery]):
    """GET /api/v1/votes?site=…&url=… — which comments of a page's thread this reader
    up-voted (bearer token, or a guest's X-Meydan-Voter). Private: not cached."""
    site = site_for_slug(query.site)
    key, _url = page_key_for(site, query.url)
    commenter = api_commenter(request, site)
    voter = voter_for(commenter.user if commenter else None, voter_id=_guest_id(request))
    thread_id = caching.thread_state(site.pk, key).id
    ids = queries.votes_by_voter(thread_id, voter.key) if voter and thread_id else []
    response = JsonResponse({"comments": ids})
    response["Cache-Control"] = "private, no-store"
    return response
