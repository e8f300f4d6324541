"""The closed list of domain errors. Each has a stable code for the API and a
message a person understands; views map them to HTTP responses."""

from django.utils.translation import gettext_lazy as _


class MeydanError(Exception):
    code = "error"
    status = 400
    message = _("Something about this request is not right.")

    def __init__(self, message=None, *, field: str | None = None):
        self.message = message or self.message
        self.field = field
        super().__init__(str(self.message))


class NotFound(MeydanError):
    code = "not_found"
    status = 404
    message = _("That does not exist, or you may not see it.")


class ThreadClosed(MeydanError):
    code = "thread_closed"
    status = 403
    message = _("Comments are closed on this page.")


class ParentNotFound(MeydanError):
    code = "parent_not_found"
    status = 400
    message = _("The comment you are replying to does not exist on this page any more.")


class InvalidComment(MeydanError):
    """Field validation failed; `errors` maps field name -> list of messages."""

    code = "invalid"
    status = 422
    message = _("Some fields need your attention.")

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__()


class CommentRejected(MeydanError):
    code = "rejected"
    status = 403
    message = _("This comment was not accepted.")


class EditWindowClosed(MeydanError):
    code = "edit_window_closed"
    status = 403
    message = _("Comments can only be changed for a short while after posting; that time is over.")


class OwnComment(MeydanError):
    code = "own_comment"
    status = 403
    message = _("You cannot up-vote your own comment.")


class OriginNotAllowed(MeydanError):
    code = "origin_not_allowed"
    status = 403
    message = _("This site may not embed these comments. Its origin is not registered.")


class ReasonInvalid(MeydanError):
    """A report's or a removal's reason is not on its closed list, or "other" came
    without the words it needs (moderation.statements)."""

    code = "invalid_reason"
    status = 400
    message = _("Choose a reason from the list.")


class RateLimited(MeydanError):
    code = "rate_limited"
    status = 429
    message = _("You are posting too fast. Wait a moment and try again.")

    def __init__(self, message=None, *, retry_after: int = 60):
        self.retry_after = retry_after
        super().__init__(message)


class TokenInvalid(MeydanError):
    code = "token_invalid"
    status = 401
    message = _("Your sign-in has expired. Sign in again, or comment as a guest.")


class SigninNotReady(MeydanError):
    """The widget's claim (POST /api/v1/signin/claim) while the popup has no result
    for its verifier: still signing in, already claimed, expired, or not its own."""

    code = "not_ready"
    status = 404
    message = _("Sign-in has not finished yet.")


class UrlNotOnSite(MeydanError):
    code = "url_not_on_site"
    status = 400
    message = _("This URL is not on a page of this site (its origin is not registered).")


class NotPublished(MeydanError):
    code = "not_published"
    status = 409
    message = _("Only published comments can be picked or pinned.")


class NotModerator(MeydanError):
    code = "not_moderator"
    status = 403
    message = _("Only this site's moderators may do this. Sign in as one of them.")


def domain_errors() -> list[type[MeydanError]]:
    """Every error above, the base first: the list the API documents (api/errors.py)."""
    found, queue = [], [MeydanError]
    while queue:
        kind = queue.pop(0)
        found.append(kind)
        queue.extend(kind.__subclasses__())
    return found
