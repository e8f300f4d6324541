"""What a webhook call says: the Meydan JSON payload, and the Slack and Matrix
bodies made from it (pure, but for reverse() of Meydan's own links).

The payload (schema in docs/webhooks.md) carries what readers or the site's
moderators can see already: the author's NAME, the text, the page. Never the
author's email address (in clear, hashed or sealed), IP hash, website, account or
provider: a webhook receiver is a third party.
"""

import json
import uuid
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

EXCERPT_CHARS = 500
SCHEMA_VERSION = 1


def absolute(path: str) -> str:
    """A link to Meydan: MEYDAN_PUBLIC_URL (set it in production), else the demo's."""
    return f"{(settings.MEYDAN_PUBLIC_URL or 'http://127.0.0.1:8000').rstrip('/')}{path}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def thread_part(thread) -> dict:
    url = thread.get_absolute_url()
    return {
        "key": thread.key,
        "url": url if "://" in url else absolute(url),
        "title": thread.title,
        "is_open": thread.is_open,
    }


def moderation_link(site_id: int, comment_id: int) -> str:
    """The comment in the moderation queue (which asks a moderator to sign in)."""
    path = reverse("moderation:queue")
    return absolute(f"{path}?tab=all&site={site_id}#row-{comment_id}")


def comment_part(comment, *, previous_status: str | None = None) -> dict:
    return {
        "id": comment.pk,
        "permalink": absolute(reverse("comment-permalink", args=[comment.pk])),
        "moderation_url": moderation_link(comment.thread.site_id, comment.pk),
        "author_name": comment.author_name,
        "body_text": comment.body,
        "body_html": comment.body_html,
        "status": comment.status,
        "previous_status": previous_status,
        "parent_id": comment.parent_id,
        "created": _iso(comment.created),
        "edited": _iso(comment.edited),
    }


def erased_comment_part(comment_id: int) -> dict:
    """A comment that was erased: who wrote it and what it said are gone."""
    return {
        "id": comment_id,
        "permalink": absolute(reverse("comment-permalink", args=[comment_id])),
        "moderation_url": None,
        "author_name": None,
        "body_text": None,
        "body_html": None,
        "status": "erased",
        "previous_status": None,
        "parent_id": None,
        "created": None,
        "edited": None,
    }


def payload(event: str, *, site, occurred_at: datetime, thread=None, comment=None) -> dict:
    """The Meydan JSON payload of one event. `thread` and `comment` are the parts
    made by thread_part and comment_part (or None)."""
    return {
        "schema": SCHEMA_VERSION,
        "event": event,
        "id": str(uuid.uuid4()),
        "occurred_at": _iso(occurred_at),
        "site": {"key": site.slug, "name": site.name},
        "thread": thread,
        "comment": comment,
    }


def encode(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- Chat formats -------------------------------------------------------------------


def _headline(data: dict) -> str:
    """The sentence of the event, with %(name)s, %(page)s and %(site)s placeholders."""
    lines = {
        "comment.posted": _("New comment by %(name)s on %(page)s"),
        "comment.held": _("A comment by %(name)s awaits moderation on %(page)s"),
        "comment.approved": _("A comment by %(name)s was approved on %(page)s"),
        "comment.removed": _("A comment was removed from %(page)s"),
        "comment.edited": _("A comment by %(name)s was edited on %(page)s"),
        "thread.closed": _("Comments are now closed on %(page)s"),
        "ping": _("Test ping from Meydan for %(site)s: this webhook works."),
    }
    return lines.get(data["event"], data["event"])


def _excerpt(text: str | None) -> str:
    text = (text or "").strip()
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


def _links(data: dict) -> list[tuple[str, str]]:
    comment = data.get("comment") or {}
    links = []
    if data["event"] == "comment.held" and comment.get("moderation_url"):
        links.append((_("Open in the moderation queue"), comment["moderation_url"]))
    if comment.get("permalink") and comment.get("status") == "approved":
        links.append((_("View the comment"), comment["permalink"]))
    return links


def slack_escape(text: str) -> str:
    """Slack's mrkdwn control characters (https://api.slack.com/reference/surfaces/
    formatting#escaping): anything a reader wrote can neither link nor mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(data: dict) -> dict:
    """A Slack incoming-webhook body: `text` (the notification's fallback) and one
    mrkdwn section block."""
    line = _headline(data)
    comment = data.get("comment") or {}
    thread = data.get("thread") or {}
    name = comment.get("author_name") or ""
    page = ""
    if thread:
        title = slack_escape(thread.get("title") or thread.get("key") or "")
        page = f"<{slack_escape(thread['url'])}|{title}>"
    site = slack_escape(data["site"]["name"])
    headline = line % {"name": f"*{slack_escape(name)}*", "page": page, "site": site}
    fallback = line % {
        "name": slack_escape(name),
        "page": slack_escape(thread.get("title") or thread.get("key") or ""),
        "site": site,
    }
    parts = [headline]
    quoted = _excerpt(comment.get("body_text"))
    if quoted and data["event"] != "comment.removed":
        parts.append("\n".join("> " + slack_escape(row) for row in quoted.splitlines()))
    links = [f"<{slack_escape(url)}|{slack_escape(label)}>" for label, url in _links(data)]
    if links:
        parts.append(" · ".join(links))
    return {
        "text": fallback,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(parts)}}],
    }


def _no_room_ping(text: str) -> str:
    # "@room" in a message from a bot with the power to use it would notify the
    # whole room: a reader's words must not.
    return text.replace("@room", "@\u2060room")


def matrix(data: dict) -> dict:
    """A body for matrix-hookshot's generic webhooks: `text` (plain), `html` (its
    formatted body; hookshot then does not read `text` as Markdown) and `username`
    (shown before the message)."""
    line = _headline(data)
    comment = data.get("comment") or {}
    thread = data.get("thread") or {}
    name = _no_room_ping(comment.get("author_name") or "")
    title = _no_room_ping(thread.get("title") or thread.get("key") or "")
    site = data["site"]["name"]
    text_parts = [line % {"name": name, "page": title, "site": site}]
    page_html = f'<a href="{escape(thread["url"])}">{escape(title)}</a>' if thread else ""
    html_parts = [
        line % {"name": f"<b>{escape(name)}</b>", "page": page_html, "site": escape(site)}
    ]
    quoted = _no_room_ping(_excerpt(comment.get("body_text")))
    if quoted and data["event"] != "comment.removed":
        text_parts.append("\n".join("> " + row for row in quoted.splitlines()))
        html_parts.append(f"<blockquote>{escape(quoted)}</blockquote>".replace("\n", "<br>"))
    for label, url in _links(data):
        text_parts.append(f"{label}: {url}")
        html_parts.append(f'<a href="{escape(url)}">{escape(label)}</a>')
    return {
        "text": "\n".join(text_parts),
        "html": "<br>".join(html_parts),
        "username": f"Meydan · {site}",
    }


def body_for(format_: str, data: dict) -> bytes:
    """The bytes POSTed to a webhook of this format."""
    if format_ == "slack":
        return encode(slack(data))
    if format_ == "matrix":
        return encode(matrix(data))
    return encode(data)
