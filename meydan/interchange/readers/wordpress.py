"""WordPress eXtended RSS (WXR 1.0, 1.1 and 1.2), as Tools → Export writes it
(wp-admin/includes/export.php): an <item> per post or page, its comments inside it
as <wp:comment>, in comment-id order, with wp:comment_parent naming the parent's id.

WordPress leaves spam out of an export but keeps the replies to it; pingbacks and
trackbacks are not readers' comments and are skipped (counted).
"""

import re
from collections.abc import Iterator
from datetime import UTC, datetime

from meydan.interchange import xmlsafe
from meydan.interchange.records import (
    CommentRecord,
    ImportFileError,
    Skipped,
    Source,
    ThreadRecord,
)

NAME = "wordpress"
_WXR = re.compile(rb"xmlns:wp=[\"']http://wordpress\.org/export/1\.\d+/[\"']")

_STATUS = {
    "1": "approved",
    "0": "pending",
    "spam": "spam",
    "trash": "trash",
    "post-trashed": "trash",
}


def sniff(path) -> bool:
    with open(path, "rb") as f:
        head = f.read(16 * 1024)
    return bool(_WXR.search(head))


def _date(gmt: str, local: str, line) -> datetime:
    for value in (gmt, local):
        value = value.strip()
        if value and not value.startswith("0000"):
            try:
                # comment_date_gmt is UTC; comment_date (only when the GMT one is
                # empty, as in very old exports) is the blog's local time, unknown
                # here: read as UTC too.
                return datetime.fromisoformat(value).replace(tzinfo=UTC)
            except ValueError:
                break
    raise ImportFileError(
        f"A comment has no readable date ({gmt or local!r})",
        code="bad_date",
        params={"value": repr(gmt or local)},
        line=line,
    )


def read(path) -> Iterator:
    wp = None
    announced = False
    for element in xmlsafe.iterparse(path, tags=("{*}base_site_url", "{*}base_blog_url", "item")):
        if element.tag != "item":
            if not announced and element.text:
                yield Source(element.text.strip().rstrip("/"))
                announced = True
            xmlsafe.done(element)
            continue
        if wp is None:
            wp = _namespace(element)
        comments = element.findall(f"{{{wp}}}comment") if wp else []
        if not comments:
            xmlsafe.done(element)
            continue
        if not announced:
            yield Source("wordpress")
            announced = True
        post_id = xmlsafe.text(element, f"{{{wp}}}post_id").strip()
        yield ThreadRecord(
            ref=post_id,
            url=(xmlsafe.text(element, "link") or xmlsafe.text(element, "guid")).strip(),
            title=xmlsafe.text(element, "title").strip(),
            is_open={"open": True, "closed": False}.get(
                xmlsafe.text(element, f"{{{wp}}}comment_status").strip()
            ),
        )
        prefix = len(wp) + len("{}comment_")
        for comment in comments:
            # Every field of the comment in one pass ({name: text}, "" when empty).
            field = {child.tag[prefix:]: child.text or "" for child in comment}
            kind = field.get("type", "").strip()
            if kind in ("pingback", "trackback"):
                yield Skipped(f"{kind}s are not readers' comments")
                continue
            approved = field.get("approved", "").strip()
            if approved not in _STATUS:
                yield Skipped(f"unknown WordPress status {approved!r}")
                continue
            parent = field.get("parent", "").strip()
            yield CommentRecord(
                ref=field.get("id", "").strip(),
                thread_ref=post_id,
                parent_ref=parent if parent not in ("", "0") else None,
                body=field.get("content", ""),
                body_format="wordpress",
                created=_date(field.get("date_gmt", ""), field.get("date", ""), comment.sourceline),
                status=_STATUS[approved],
                name=field.get("author", ""),
                email=field.get("author_email", "").strip(),
                url=field.get("author_url", "").strip(),
                ip=field.get("author_IP", "").strip(),
            )
        xmlsafe.done(element)
    if wp is None and not announced:
        raise ImportFileError(
            "This WordPress export has no posts with comments", code="no_comments"
        )


def _namespace(item) -> str | None:
    """The WXR namespace (http://wordpress.org/export/1.0/ to 1.2/), from the
    item's wp:post_id (the excerpt namespace shares its prefix)."""
    for child in item:
        tag = child.tag
        if isinstance(tag, str) and tag.endswith("}post_id") and "wordpress.org/export/" in tag:
            return tag[1:].split("}")[0]
    return None
