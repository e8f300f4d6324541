"""The comment a reader was writing when they went off to sign in.

Without JavaScript, a sign-in leaves the page, so the sign-in buttons submit the
comment form to `signin_start`, which keeps what was typed in the session; the
page puts it back into the form when the reader returns — signed in, cancelled
or failed.
"""

from meydan.accounts.redirects import is_same_site_path

SESSION_KEY = "meydan_comment_draft"
# Not the email address: the session table is no place for it in clear (the reader
# signs in, or types it again).
FIELDS = ("body", "name", "website", "parent")
MAX_LENGTH = 100_000


def draft_save(request, data, return_path: str) -> None:
    draft = {field: str(data.get(field, ""))[:MAX_LENGTH] for field in FIELDS}
    draft["return_path"] = return_path if is_same_site_path(return_path) else "/"
    request.session[SESSION_KEY] = draft


def draft_pop(request) -> dict | None:
    """The saved draft (once), or None."""
    if SESSION_KEY not in request.session:
        return None
    draft = request.session.pop(SESSION_KEY)
    return draft if isinstance(draft, dict) else None


def return_path(request) -> str:
    draft = request.session.get(SESSION_KEY) or {}
    path = draft.get("return_path", "/") if isinstance(draft, dict) else "/"
    return path if is_same_site_path(path) else "/"
