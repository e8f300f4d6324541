"""Input and output schemas shared by the v1 resources."""

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field

from meydan.api.errors import ERROR_CODES

ErrorCode = Literal[tuple(ERROR_CODES)]  # the closed list (meydan/api/errors.py)


class ErrorBody(Schema):
    code: ErrorCode = Field(
        examples=["invalid"],
        description="A stable machine code, one of:\n\n"
        + "\n".join(
            f"- `{code}` ({status}): {meaning}" for code, (status, meaning) in ERROR_CODES.items()
        ),
    )
    message: str
    fields: dict[str, list[str]] | None = None


class ErrorOut(Schema):
    error: ErrorBody


class DictOut(BaseModel):
    """An answer's schema for values built as plain dicts (api.v1.serialize).

    ninja's Schema wraps every value it validates in its DjangoGetter (for model
    instances: resolvers, managers, callables), which a dict does not need: for
    the answer to a posted comment that wrapping cost three times the validation
    itself. The JSON schema (OpenAPI) and the validated answer are the same."""

    model_config = ConfigDict(from_attributes=True)


class AuthorOut(DictOut):
    name: str
    url: str | None = Field(None, description="The author's website, if they gave one")
    avatar: str = Field(description="Avatar URL on this server (never a third party)")
    provider: str | None = Field(None, description="Sign-in provider id for signed-in readers")
    provider_name: str | None = None


class CommentOut(DictOut):
    id: int
    parent: int | None
    replied_to: int | None = Field(None, description="Set when the reply was attached higher")
    depth: int
    author: AuthorOut
    html: str = Field(description="The comment as sanitised HTML")
    created: datetime = Field(description="When it was posted (ISO 8601, to the second)")
    edited: datetime | None = Field(description="When its text was last edited, if it was")
    status: Literal["approved", "pending", "removed"]
    permalink: str
    votes: int = Field(0, description="Readers' up-votes")
    pick: bool = Field(False, description="An editor's pick (shown with a badge)")
    source: str | None = Field(
        None, description="The Markdown as written: only in answers to its author"
    )


class ThreadOut(Schema):
    site: str
    url: str
    title: str
    open: bool
    count: int = Field(description="Published comments in the whole thread")
    page: int
    pages: int
    order: Literal["oldest", "newest", "top"]
    comments: list[CommentOut] = Field(
        description="This page's comments in tree order; with picks=true, the thread's "
        "editors' picks alone, oldest first (each links to its place: permalink)"
    )
    pinned: CommentOut | None = Field(
        None, description="The comment the editors pinned to the top, on every page (it "
        "is also in its place in the thread)"
    )  # fmt: skip
    picks: int = Field(0, description="How many comments are editors' picks")
    view: Literal["thread", "picks"] = Field(
        "thread", description="picks: only the editors' picks (picks=true)"
    )


# Documented error responses (each is an ErrorOut body).
READ_ERRORS = dict.fromkeys((400, 401, 404, 422), ErrorOut)
WRITE_ERRORS = dict.fromkeys((400, 401, 403, 404, 409, 413, 415, 422, 429), ErrorOut)
