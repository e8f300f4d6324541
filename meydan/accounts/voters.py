"""Who votes: a signed-in reader by account, a guest by a random voter id their
browser keeps.

One vote per reader (comments.services.voting) needs to know a reader again, and we
track nobody: no fingerprint, nothing from a third party, nothing set for reading.

- Signed in: "u:<account id>".
- A guest on a Meydan page (the article, the no-JS thread page): a random id in a
  signed, HTTP-only, SameSite=Lax first-party cookie, `meydan_voter`, set only by
  the response to their first vote. Stored as "g:" + a keyed hash of the id, so the
  database alone cannot tell which browser voted.
- A guest in the widget: the widget runs on the news site's page and calls the API
  without cookies (credentials: "omit"); a Meydan cookie there would be a
  third-party cookie, which browsers block and which we would not want. So the API
  answers a guest's first vote with the id as a signed token, `voter`; the widget
  keeps it in the news site's localStorage (for this Meydan server and site) and
  sends it back as `X-Meydan-Voter`. It is stored as the same "g:" key. Only ids
  this server issued are accepted (signed), so a script cannot mint voters without
  asking, and a guest clearing it (or the cookie) to vote again meets the per-address
  cap in comments.services.voting: the address, as a keyed hash, is what the vote is
  combined with, counted in the cache and never stored with the vote.
"""

import secrets

from django.core import signing

from meydan.comments.services import Voter
from meydan.core.privacy import keyed_hash

VOTER_COOKIE = "meydan_voter"
VOTER_HEADER = "X-Meydan-Voter"
VOTER_SALT = "meydan.accounts.voter"
VOTER_MAX_AGE = 365 * 24 * 3600


def voter_id_new() -> str:
    return secrets.token_urlsafe(18)


def voter_token(voter_id: str) -> str:
    """The signed form of a guest's voter id that the widget keeps."""
    return signing.dumps(voter_id, salt=VOTER_SALT)


def voter_id_from_token(token: str | None) -> str | None:
    if not token or len(token) > 200:
        return None
    try:
        voter_id = signing.loads(token, salt=VOTER_SALT)
    except signing.BadSignature:
        return None
    return voter_id if isinstance(voter_id, str) and voter_id else None


def voter_id_from_cookie(request) -> str | None:
    value = request.get_signed_cookie(VOTER_COOKIE, default=None, salt=VOTER_SALT)
    return value or None


def set_voter_cookie(response, request, voter_id: str) -> None:
    response.set_signed_cookie(
        VOTER_COOKIE,
        voter_id,
        salt=VOTER_SALT,
        max_age=VOTER_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def voter_for(user=None, *, voter_id: str | None = None, own_ids=()) -> Voter | None:
    """The Voter for a signed-in `user`, else for a guest's `voter_id` (None when a
    guest has none yet). `own_ids`: comments this guest posted."""
    if user is not None and getattr(user, "is_authenticated", False):
        return Voter(f"u:{user.pk}", user_id=user.pk)
    if not voter_id:
        return None
    return Voter("g:" + keyed_hash("voter", voter_id), own_ids=frozenset(own_ids))
