"""Disqus's XML export (Admin → Moderation → Export): under <disqus
xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">, the
<category> list, then every <thread> (dsq:id, link, title, isClosed, isDeleted), then
every <post> naming its thread and parent by dsq:id. Posts come in no promised order.

A post's <message> is HTML (<p>, <br>, <a>, <b>, <i>, <blockquote>, <code>).
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

NAME = "disqus"
NS = "{http://disqus.com}"
DSQ_ID = "{http://disqus.com/disqus-internals}id"
_ROOT = re.compile(rb"<disqus[^>]*xmlns=[\"']http://disqus\.com[\"']")


def sniff(path) -> bool:
    with open(path, "rb") as f:
        head = f.read(16 * 1024)
    return bool(_ROOT.search(head))


def _flag(element, name: str) -> bool:
    return xmlsafe.text(element, NS + name).strip().lower() == "true"


def _date(value: str, line) -> datetime:
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ImportFileError(
            f"A date is not readable: {value!r}",
            code="bad_date",
            params={"value": repr(value)},
            line=line,
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ref(element, name: str) -> str | None:
    child = element.find(NS + name)
    return child.get(DSQ_ID) if child is not None else None


def read(path) -> Iterator:
    announced = False
    threads: set[str] = set()
    for element in xmlsafe.iterparse(path, tags=(NS + "thread", NS + "post")):
        if element.getparent() is not None and element.getparent().tag != NS + "disqus":
            continue  # a post's <thread dsq:id=…/> reference: read with its post
        if not announced:
            forum = xmlsafe.text(element, NS + "forum").strip()
            yield Source(forum or "disqus")
            announced = True
        line = element.sourceline
        if element.tag == NS + "thread":
            ref = element.get(DSQ_ID)
            if not ref:
                raise ImportFileError(
                    "A <thread> has no dsq:id",
                    code="missing",
                    params={"field": "dsq:id"},
                    line=line,
                )
            threads.add(ref)
            yield ThreadRecord(
                ref=ref,
                url=xmlsafe.text(element, NS + "link").strip(),
                title=xmlsafe.text(element, NS + "title").strip(),
                is_open=not _flag(element, "isClosed"),
            )
        else:
            ref = element.get(DSQ_ID)
            thread_ref = _ref(element, "thread")
            if not ref or not thread_ref:
                raise ImportFileError(
                    "A <post> has no dsq:id or no <thread>",
                    code="missing",
                    params={"field": "dsq:id, <thread>"},
                    line=line,
                )
            if thread_ref not in threads:
                yield Skipped("its thread is not in the file")
            else:
                author = element.find(NS + "author")
                anonymous = author is None or _flag(author, "isAnonymous")
                status = "approved"
                if _flag(element, "isSpam"):
                    status = "spam"
                elif _flag(element, "isDeleted"):
                    status = "trash"
                elif xmlsafe.text(element, NS + "isApproved").strip().lower() == "false":
                    status = "pending"
                yield CommentRecord(
                    ref=ref,
                    thread_ref=thread_ref,
                    parent_ref=_ref(element, "parent"),
                    body=xmlsafe.text(element, NS + "message"),
                    body_format="html",
                    created=_date(xmlsafe.text(element, NS + "createdAt"), line),
                    status=status,
                    name=xmlsafe.text(author, NS + "name").strip() if author is not None else "",
                    email=xmlsafe.text(author, NS + "email").strip() if author is not None else "",
                    ip=xmlsafe.text(element, NS + "ipAddress").strip(),
                    provider="" if anonymous else "disqus",
                )
        xmlsafe.done(element)
