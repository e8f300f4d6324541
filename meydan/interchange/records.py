"""What every reader yields: threads and comments in one shape, whatever the format.

A reader is an iterator of ThreadRecord and CommentRecord. A thread comes before the
first comment that names it; a comment may come before its parent (Disqus files do
not promise an order), and its parent may be missing altogether (WordPress leaves
spam out of its exports but keeps the replies to it).
"""

from dataclasses import dataclass, field
from datetime import datetime


class ImportFileError(Exception):
    """The file cannot be imported as it is: malformed, truncated, hostile, or not the
    format it claims. `line` and `column` say where, when known.

    The message is English, for the command line and the logs. `code` (one of
    interchange.wording.ERRORS) and `params` are what the moderation workspace keeps
    on the batch and words in the moderator's language when it shows it; a parser's
    own message (lxml's, ijson's, SQLite's) travels as the `detail` parameter, in the
    parser's words."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        params: dict | None = None,
        line: int | None = None,
        column: int | None = None,
    ):
        self.line, self.column = line, column
        self.code, self.params = code, dict(params or {})
        where = ""
        if line is not None:
            where = f" (line {line}, column {column})" if column is not None else f" (line {line})"
        super().__init__(f"{message}{where}")
        self.message = message

    def located(self, line: int | None) -> "ImportFileError":
        """The same error, at `line`."""
        return ImportFileError(self.message, code=self.code, params=self.params, line=line)


@dataclass(slots=True)
class Source:
    """Which installation the file came from, yielded before the first comment:
    with the format's name it keys the original ids ("https://blog.example" for a
    WordPress site, a Disqus forum's short name). A second export of the same site
    must give the same value."""

    ident: str


@dataclass(slots=True)
class ThreadRecord:
    ref: str  # the thread's id in the source (a post id, a Disqus thread id, a URL)
    url: str  # the page's address as the source knew it
    title: str = ""
    is_open: bool | None = None  # None: the source does not say
    # The ref of the comment pinned to the top, where the format keeps it (Meydan's
    # own does); it may name a comment the file does not have.
    pinned_ref: str | None = None


# How a record's body is written. `html`: HTML as a browser reads it (Disqus,
# Remark42); `wordpress`: a WordPress comment's text, where line breaks are breaks
# and HTML is allowed (wpautop); `markdown`: Markdown already (Isso, Commento, Meydan).
BODY_FORMATS = ("html", "wordpress", "markdown")
STATUSES = ("approved", "pending", "spam", "trash")


@dataclass(slots=True)
class CommentRecord:
    ref: str
    thread_ref: str
    parent_ref: str | None
    body: str
    created: datetime  # aware
    status: str = "approved"
    body_format: str = "markdown"
    name: str = ""
    email: str = ""
    url: str = ""
    ip: str = ""
    edited: datetime | None = None
    # The account the author used, where the format says (a provider id such as
    # "google", "wordpress"); a guest has none.
    provider: str = ""
    # Why it has its status, where the format keeps it (Meydan's own does); None:
    # the format does not say.
    reason: str | None = None
    # Readers' up-votes (the count only) and when an editor picked it, where the
    # format keeps them (Meydan's own does).
    votes: int = 0
    picked_at: datetime | None = None  # aware; None: not a pick
    # Anything the reader wants counted in the report ("pingback skipped" is
    # counted by the reader itself, not yielded).
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Skipped:
    """Something in the file that is deliberately not imported, with why."""

    reason: str
