"""Comments -> API dicts (the shape of schemas.CommentOut)."""

from functools import cache
from urllib.parse import quote

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS

from meydan.accounts.providers import provider_label_for_id
from meydan.comments.avatars import url_key

_PLACEHOLDER = "987654321"  # valid for the int and str converters alike


@cache
def _url_around(name: str, script_prefix: str, urlconf) -> tuple[str, str]:
    head, tail = reverse(name, args=[_PLACEHOLDER]).split(_PLACEHOLDER)
    return head, tail


def url_for(name: str, value) -> str:
    """reverse(name, args=[value]) for URLs with one argument, without resolving
    the pattern each time: a page of 100 comments asked for 200 URLs, over a third
    of the time it took to build (bench/profile_request.py). For values the pattern
    accepts (ids for <int:…>); quoted as reverse() quotes, and a value a path segment
    cannot hold goes to reverse() itself."""
    text = str(value)
    if not text or "/" in text:
        return reverse(name, args=[value])
    head, tail = _url_around(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    return head + quote(text, safe=RFC3986_SUBDELIMS + "/~:@") + tail


def to_second(moment) -> str:
    """A comment's time as the API gives it: ISO 8601, to the second. A reader never
    sees more, and the microseconds were six digits per comment that no compressor
    can shorten (bench/wire_bytes.py: 3 % of a 100-comment thread's Brotli bytes)."""
    return moment.replace(microsecond=0).isoformat()


def author_dict(comment) -> dict:
    if comment.author_picture:
        avatar = url_for("accounts:picture", comment.author_picture)
    else:
        avatar = url_for("accounts:avatar", url_key(comment.avatar_key))
    provider = comment.author_provider or None
    return {
        "name": comment.author_name,
        "url": comment.author_url or None,
        "avatar": avatar,
        "provider": provider,
        "provider_name": provider_label_for_id(provider) if provider else None,
    }


def comment_dict(comment) -> dict:
    status = comment.status if comment.status in ("approved", "pending") else "removed"
    if comment.shadow:
        status = "approved"  # only its author is ever shown it
    return {
        "id": comment.pk,
        "parent": comment.parent_id,
        "replied_to": comment.replied_to_id
        if comment.replied_to_id and comment.replied_to_id != comment.parent_id
        else None,
        "depth": comment.depth,
        "author": author_dict(comment),
        "html": comment.body_html if status != "removed" else "",
        "created": to_second(comment.created),
        "edited": to_second(comment.edited) if comment.edited else None,
        "status": status,
        "permalink": url_for("comment-permalink", comment.pk),
        "votes": comment.vote_count,
        # An editor's pick, while readers see it (a held pick is a pick again once approved).
        "pick": comment.is_pick and comment.status == "approved",
    }


def placeholder_dict(node, nodes, index) -> dict | None:
    """A removed comment that still has visible replies; None if its id is unknown."""
    for later in nodes[index + 1 :]:
        if later.comment is not None and later.depth == node.depth + 1:
            if later.path.startswith(node.path):
                parent_id = later.comment.parent_id
                return {
                    "id": parent_id,
                    "parent": None,
                    "replied_to": None,
                    "depth": node.depth,
                    "author": {
                        "name": "",
                        "url": None,
                        "avatar": "",
                        "provider": None,
                        "provider_name": None,
                    },  # fmt: skip
                    "html": "",
                    "created": to_second(later.comment.created),
                    "edited": None,
                    "status": "removed",
                    "permalink": "",
                    "votes": 0,
                    "pick": False,
                }
            break
    return None


def page_comments(page) -> list[dict]:
    out = []
    for index, node in enumerate(page.nodes):
        if node.comment is not None:
            out.append(comment_dict(node.comment))
        else:
            placeholder = placeholder_dict(node, page.nodes, index)
            if placeholder is not None:
                out.append(placeholder)
    return out
