"""Disqus's export XML, the file most comment systems import (Isso, Remark42,
Commento, Hyvor Talk, …): every <thread>, then every <post> naming its thread and
parent. Messages are the comments' sanitised HTML."""

from datetime import UTC
from xml.sax.saxutils import escape

from meydan.interchange.writers import comments_of, email_of, threads_of
from meydan.interchange.writers.wxr import cdata


def _date(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def write(site, out, *, thread_key=None) -> int:
    origin = (site.origin_list or [""])[0]
    forum = escape(site.slug)
    out.write(
        (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<disqus xmlns="http://disqus.com" '
            'xmlns:dsq="http://disqus.com/disqus-internals" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://disqus.com/api/schemas/1.0/disqus.xsd '
            'http://disqus.com/api/schemas/1.0/disqus-internals.xsd">\n'
            f'<category dsq:id="1"><forum>{forum}</forum><title>General</title>'
            "<isDefault>true</isDefault></category>\n"
        ).encode()
    )
    for thread in threads_of(site, thread_key):
        link = thread.url if "://" in (thread.url or "") else origin + (thread.url or thread.key)
        out.write(
            (
                f'<thread dsq:id="{thread.pk}"><id>{escape(thread.key)}</id>'
                f'<forum>{forum}</forum><category dsq:id="1"/>'
                f"<link>{escape(link)}</link><title>{cdata(thread.title)}</title>"
                f"<message/><createdAt>{_date(thread.created)}</createdAt>"
                "<author><name></name><isAnonymous>true</isAnonymous></author>"
                f"<isClosed>{_bool(not thread.is_open)}</isClosed>"
                "<isDeleted>false</isDeleted></thread>\n"
            ).encode()
        )
    count = 0
    for thread in threads_of(site, thread_key):
        for comment in comments_of(thread):
            parent = comment.replied_to_id or comment.parent_id
            guest = comment.user_id is None and not comment.author_provider
            out.write(
                (
                    f'<post dsq:id="{comment.pk}"><id/>'
                    f"<message>{cdata(comment.body_html)}</message>"
                    f"<createdAt>{_date(comment.created)}</createdAt>"
                    f"<isDeleted>{_bool(comment.status == 'trash')}</isDeleted>"
                    f"<isSpam>{_bool(comment.status == 'spam')}</isSpam>"
                    + ("<isApproved>false</isApproved>" if comment.status == "pending" else "")
                    + f"<author><email>{escape(email_of(comment))}</email>"
                    f"<name>{escape(comment.author_name)}</name>"
                    f"<isAnonymous>{_bool(guest)}</isAnonymous></author>"
                    f'<thread dsq:id="{thread.pk}"/>'
                    + (f'<parent dsq:id="{parent}"/>' if parent else "")
                    + "</post>\n"
                ).encode()
            )
            count += 1
    out.write(b"</disqus>\n")
    return count
