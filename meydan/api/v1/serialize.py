"""Comments -> API dicts (the shape of schemas.CommentOut)."""

from django.urls import reverse

from meydan.accounts.providers import provider_label_for_id


def author_dict(comment) -> dict:
    if comment.author_picture:
        avatar = reverse("accounts:picture", args=[comment.author_picture])
    else:
        avatar = reverse("accounts:avatar", args=[comment.avatar_key])
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
        "created": comment.created.isoformat(),
        "edited": comment.edited.isoformat() if comment.edited else None,
        "status": status,
        "permalink": reverse("comment-permalink", args=[comment.pk]),
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
                    "created": later.comment.created.isoformat(),
                    "edited": None,
                    "status": "removed",
                    "permalink": "",
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
