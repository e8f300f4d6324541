"""WordPress eXtended RSS 1.2, as WordPress's exporter writes it, for Tools → Import
→ WordPress: an <item> per thread with its comments. Comment text is the comment's
sanitised HTML (what readers saw), which WordPress keeps as it is."""

from datetime import UTC
from xml.sax.saxutils import escape

from meydan.interchange.writers import comments_of, email_of, threads_of

_STATUS = {"approved": "1", "pending": "0", "spam": "spam", "trash": "trash"}


def cdata(value: str) -> str:
    """As WordPress's wxr_cdata: a "]]>" inside is split across two sections."""
    return "<![CDATA[" + (value or "").replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _wp_date(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def write(site, out, *, thread_key=None) -> int:
    origin = (site.origin_list or [""])[0]
    out.write(
        (
            '<?xml version="1.0" encoding="UTF-8" ?>\n'
            f'<!-- generator="Meydan" -->\n'
            '<rss version="2.0"\n'
            '\txmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"\n'
            '\txmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
            '\txmlns:wfw="http://wellformedweb.org/CommentAPI/"\n'
            '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
            '\txmlns:wp="http://wordpress.org/export/1.2/"\n'
            ">\n\n<channel>\n"
            f"\t<title>{escape(site.name)}</title>\n"
            f"\t<link>{escape(origin)}</link>\n"
            "\t<description></description>\n"
            "\t<wp:wxr_version>1.2</wp:wxr_version>\n"
            f"\t<wp:base_site_url>{escape(origin)}</wp:base_site_url>\n"
            f"\t<wp:base_blog_url>{escape(origin)}</wp:base_blog_url>\n"
        ).encode()
    )
    count = 0
    for thread in threads_of(site, thread_key):
        link = thread.url if "://" in (thread.url or "") else origin + (thread.url or thread.key)
        out.write(
            (
                "\n\t<item>\n"
                f"\t\t<title>{cdata(thread.title or thread.key)}</title>\n"
                f"\t\t<link>{escape(link)}</link>\n"
                f'\t\t<guid isPermaLink="false">{escape(link)}</guid>\n'
                f"\t\t<wp:post_id>{thread.pk}</wp:post_id>\n"
                f"\t\t<wp:comment_status>{cdata('open' if thread.is_open else 'closed')}"
                "</wp:comment_status>\n"
                f"\t\t<wp:status>{cdata('publish')}</wp:status>\n"
                f"\t\t<wp:post_type>{cdata('post')}</wp:post_type>\n"
            ).encode()
        )
        for comment in comments_of(thread):
            parent = comment.replied_to_id or comment.parent_id or 0
            out.write(
                (
                    "\t\t<wp:comment>\n"
                    f"\t\t\t<wp:comment_id>{comment.pk}</wp:comment_id>\n"
                    f"\t\t\t<wp:comment_author>{cdata(comment.author_name)}</wp:comment_author>\n"
                    f"\t\t\t<wp:comment_author_email>{cdata(email_of(comment))}"
                    "</wp:comment_author_email>\n"
                    f"\t\t\t<wp:comment_author_url>{escape(comment.author_url)}"
                    "</wp:comment_author_url>\n"
                    f"\t\t\t<wp:comment_author_IP>{cdata('')}</wp:comment_author_IP>\n"
                    f"\t\t\t<wp:comment_date>{cdata(_wp_date(comment.created))}</wp:comment_date>\n"
                    f"\t\t\t<wp:comment_date_gmt>{cdata(_wp_date(comment.created))}"
                    "</wp:comment_date_gmt>\n"
                    f"\t\t\t<wp:comment_content>{cdata(comment.body_html)}</wp:comment_content>\n"
                    f"\t\t\t<wp:comment_approved>{cdata(_STATUS[comment.status])}"
                    "</wp:comment_approved>\n"
                    f"\t\t\t<wp:comment_type>{cdata('comment')}</wp:comment_type>\n"
                    f"\t\t\t<wp:comment_parent>{parent}</wp:comment_parent>\n"
                    f"\t\t\t<wp:comment_user_id>0</wp:comment_user_id>\n"
                    "\t\t</wp:comment>\n"
                ).encode()
            )
            count += 1
        out.write(b"\t</item>\n")
    out.write(b"</channel>\n</rss>\n")
    return count
