"""Comments: post, edit and delete one's own, preview; moderators pick and pin."""

from datetime import datetime
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from meydan.api.auth import api_commenter
from meydan.api.cors import check_origin
from meydan.api.v1.schemas import WRITE_ERRORS, CommentOut, DictOut
from meydan.api.v1.serialize import comment_dict
from meydan.comments import access, queries, services
from meydan.comments.models import Comment, Thread
from meydan.comments.rendering import render_markdown
from meydan.core.errors import MeydanError, NotFound, NotModerator
from meydan.core.privacy import client_ip
from meydan.core.ratelimit import rate_limit
from meydan.moderation import services as moderation
from meydan.moderation.access import moderates_site
from meydan.moderation.services import comment_flag as flag
from meydan.moderation.services import reporter_key
from meydan.notifications.services import subscribe_from_form
from meydan.sites.lookup import page_key_for, site_for_slug

router = Router(tags=["comments"])

ERRORS = WRITE_ERRORS
MAX_BODY = 40_000  # characters, also when JSON-escaped under the 512 KB request limit;
# the site's own (lower) limit is checked by the service


class CommentCreateIn(Schema):
    site: str = Field(description="The site's public key")
    url: str = Field(description="The page's URL")
    title: str = Field("", max_length=300, description="The page's title (new threads)")
    parent: int | None = Field(None, description="The comment this one answers")
    body: str = Field(max_length=MAX_BODY, description="Markdown")
    name: str = Field(
        "", max_length=1000, description="Guests: required if the site requires name and email"
    )
    email: str = Field("", max_length=1000, description="Guests: the same; never published")
    website: str = Field("", max_length=1000)
    form_token: str | None = Field(
        None, max_length=200, description="From GET /sites/{key}: when the form was shown"
    )
    homepage: str = Field("", max_length=1000, description="Leave empty (a spam trap)")
    altcha: str | None = Field(
        None,
        max_length=4000,
        description="Guests: the solved proof of work from GET /challenge (base64 JSON); "
        "without it the comment waits for a moderator",
    )
    notify: Literal["", "thread", "replies"] = Field(
        "",
        description="Email the author of new comments on this page ('thread') or of replies "
        "to their comments ('replies'); a guest confirms by email first",
    )
    notify_posts: bool = Field(False, description="Email the author of this site's new posts")


class CommentCreatedOut(DictOut):
    comment: CommentOut
    published: bool = Field(description="False when the comment waits for a moderator")
    edit_token: str | None = Field(
        None, description="Guests: send as X-Meydan-Edit-Token to edit or delete"
    )
    edit_until: datetime | None = None


class CommentEditIn(Schema):
    body: str = Field(max_length=MAX_BODY)


@router.post("/comments", response={201: CommentCreatedOut, 202: CommentCreatedOut, **ERRORS})
def comment_create(request, data: CommentCreateIn):
    """POST /api/v1/comments — post a comment or reply.

    201 when it is published, 202 when it waits for a moderator (only its author
    sees it, from this response). Guests get an edit token for the site's edit
    window. Same validation and moderation as the HTML form.
    """
    site = site_for_slug(data.site)
    check_origin(request, site)
    key, url = page_key_for(site, data.url)
    commenter = api_commenter(request, site)
    result = services.comment_submit(
        site=site,
        key=key,
        url=url,
        title=data.title,
        commenter=commenter,
        guest=services.Author(name=data.name, email=data.email, url=data.website),
        body=data.body,
        parent_id=data.parent,
        ip=client_ip(request),
        channel="api",
        honeypot=data.homepage,
        form_token=data.form_token,
        challenge=data.altcha,
    )
    comment = result.comment
    subscribe_from_form(
        site=site,
        thread=comment.thread,
        email=commenter.user.email if commenter is not None else data.email,
        address=commenter.email_stored if commenter is not None else None,
        user=commenter.user if commenter is not None else None,
        comments=data.notify,
        posts=data.notify_posts,
    )
    body = {
        "comment": {**comment_dict(comment), "source": comment.body},
        "published": result.published,
        "edit_token": access.owner_token(comment) if commenter is None else None,
        "edit_until": access.edit_deadline(comment) if site.edit_window_minutes else None,
    }
    return Status(201 if result.published else 202, body)


def _author_comment(request, comment_id: int):
    """The comment its author (account, or guest's edit token) may change, and who
    that author is signed in as (None for a guest)."""
    token = request.headers.get("X-Meydan-Edit-Token")
    commenter = api_commenter(request)
    user = commenter.user if commenter else None
    return access.access_comment_for_author(comment_id, user=user, token=token), user


@router.patch("/comments/{comment_id}", response={200: CommentOut, **ERRORS})
def comment_update(request, comment_id: int, data: CommentEditIn):
    """PATCH /api/v1/comments/{id} — the author edits their comment within the edit window."""
    comment, actor = _author_comment(request, comment_id)
    check_origin(request, comment.thread.site)
    comment = services.comment_edit_by_author(comment, body=data.body, channel="api", actor=actor)
    return {**comment_dict(comment), "source": comment.body}


@router.delete("/comments/{comment_id}", response={204: None, **ERRORS})
def comment_delete(request, comment_id: int):
    """DELETE /api/v1/comments/{id} — the author deletes their comment within the edit window."""
    comment, actor = _author_comment(request, comment_id)
    check_origin(request, comment.thread.site)
    services.comment_withdraw(comment, channel="api", actor=actor)
    return Status(204, None)


class PreviewIn(Schema):
    # A NUL is refused by the schema (422, "invalid"), so the document says so.
    body: str = Field(max_length=MAX_BODY, pattern=r"^[^\x00]*$")


class PreviewOut(Schema):
    html: str


@router.post("/preview", response={200: PreviewOut, **WRITE_ERRORS})
def comment_preview(request, data: PreviewIn):
    """POST /api/v1/preview — Markdown as it will look (sanitised HTML)."""
    rate_limit(request, "preview")
    if "\x00" in data.body:
        raise MeydanError(_("The text contains a NUL character."), field="body")
    return {"html": render_markdown(data.body)}


class FlagIn(Schema):
    reason: str = Field(
        "",
        max_length=200,
        description="Why: spam, harassment, illegal or other (400 invalid_reason otherwise)",
    )
    note: str = Field(
        "",
        max_length=2000,
        description="In the reader's words: required for 'other', at most 500 characters",
    )


class FlagOut(Schema):
    counted: bool = Field(description="False when this reader had reported it already")


@router.post("/comments/{comment_id}/flag", response={200: FlagOut, **ERRORS})
def comment_flag(request, comment_id: int, data: FlagIn):
    """POST /api/v1/comments/{id}/flag — a reader reports a comment to the moderators,
    with a reason from the closed list (GET /api/v1/sites/{key} lists them)."""
    rate_limit(request, "report")

    comment = access.access_published_comment(comment_id)
    check_origin(request, comment.thread.site)
    commenter = api_commenter(request)
    reporter = reporter_key(user=commenter.user if commenter else None, ip=client_ip(request))
    counted = flag(
        comment, reporter_key=reporter, reason=data.reason, note=data.note, channel="api"
    )
    return {"counted": counted}


# --- Moderators: editor's picks and the pinned comment ------------------------------


def _moderated_comment(request, comment_id: int):
    """The comment, if the caller (bearer token for its site, or session with CSRF)
    moderates its site; else 403 not_moderator (404 for no such comment)."""
    comment = Comment.objects.select_related("thread__site").filter(pk=comment_id).first()
    if comment is None:
        raise NotFound()
    site = comment.thread.site
    check_origin(request, site)
    commenter = api_commenter(request, site)
    user = commenter.user if commenter is not None else None
    if not moderates_site(user, site):
        raise NotModerator()
    return comment, user


class PinOut(Schema):
    pinned: CommentOut | None = Field(description="The comment pinned to its thread now")


@router.post("/comments/{comment_id}/pick", response={200: CommentOut, **ERRORS})
def comment_pick(request, comment_id: int):
    """POST /api/v1/comments/{id}/pick — a moderator makes a published comment an
    editor's pick (audited; 409 not_published for one readers do not see)."""
    comment, user = _moderated_comment(request, comment_id)
    return comment_dict(moderation.comment_pick(comment, True, actor=user, channel="api"))


@router.delete("/comments/{comment_id}/pick", response={200: CommentOut, **ERRORS})
def comment_unpick(request, comment_id: int):
    """DELETE /api/v1/comments/{id}/pick — a moderator takes a comment out of the picks."""
    comment, user = _moderated_comment(request, comment_id)
    return comment_dict(moderation.comment_pick(comment, False, actor=user, channel="api"))


@router.post("/comments/{comment_id}/pin", response={200: PinOut, **ERRORS})
def comment_pin(request, comment_id: int):
    """POST /api/v1/comments/{id}/pin — a moderator pins a published comment to the
    top of its thread, in place of the one pinned before (audited)."""
    comment, user = _moderated_comment(request, comment_id)
    pinned = moderation.comment_pin(comment, True, actor=user, channel="api")
    return {"pinned": comment_dict(pinned) if pinned is not None else None}


@router.delete("/comments/{comment_id}/pin", response={200: PinOut, **ERRORS})
def comment_unpin(request, comment_id: int):
    """DELETE /api/v1/comments/{id}/pin — a moderator unpins it (nothing changes if
    another comment is pinned); answers the comment pinned now, if any."""
    comment, user = _moderated_comment(request, comment_id)
    moderation.comment_pin(comment, False, actor=user, channel="api")
    pinned = queries.thread_pinned(
        Thread.objects.select_related("pinned").get(pk=comment.thread_id)
    )
    return {"pinned": comment_dict(pinned) if pinned is not None else None}
