"""Comment text: CommonMark -> safe HTML (pure; no database).

Two layers, so that a bug in one is caught by the other:
1. markdown-it-py in CommonMark mode with raw HTML off: "<script>" stays text.
   Headings are off too (a comment is not a document), and images become plain
   links, because an <img> would make readers' browsers fetch from a third party.
2. nh3 (Rust's ammonia) cleans the result against an allowlist of tags and
   attributes; links keep only http, https and mailto and get rel="nofollow ugc
   noopener".
"""

import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"


def _render_image_as_link(self, tokens, idx, options, env):
    token = tokens[idx]
    src = escapeHtml(token.attrGet("src") or "")
    alt = escapeHtml(self.renderInlineAsText(token.children or [], options, env) or src)
    return f'<a href="{src}">{alt}</a>'


def _make_parser(*, breaks: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": breaks})
    md.disable(["heading", "lheading"])
    md.add_render_rule("image", _render_image_as_link)
    return md


# Readers expect a line break in the box to be a line break on the page; articles
# are written in paragraphs, where a newline is only wrapping.
_comment_md = _make_parser(breaks=True)
_document_md = _make_parser(breaks=False)


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


# Text in which Markdown finds nothing to do: no character that can start inline
# syntax, an entity or HTML; no line that could start a block (quote, list, rule,
# fence, indented code, a setext underline); no leading or trailing spaces, and no
# white space but spaces and newlines (markdown-it trims Unicode spaces at the ends
# of lines, the sanitiser writes no-break spaces as &nbsp;), no control characters.
_NOT_PLAIN = re.compile(
    r"[\\`*_\[\]<>&~|#!\t\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f\xa0]"
    r"|[^\S \n]|^ | $|^[-+=>]|^\d+[.)]",
    re.MULTILINE,
)
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n)+")


def _plain_paragraphs(text: str) -> str | None:
    """What the two layers below make of plain text (paragraphs at blank lines, a
    line break at each newline), without running them: most comments are plain, and
    this costs a small fraction of a parse. None when the text is not plain; the
    tests check it against the full path on every comment of the corpora."""
    if _NOT_PLAIN.search(text):
        return None
    text = text.strip("\n")
    if not text:
        return None
    return "\n".join(
        "<p>" + paragraph.replace("\n", "<br>\n") + "</p>" for paragraph in _BLANK_LINES.split(text)
    )


def render_markdown(text: str, *, breaks: bool = True) -> str:
    """Markdown as written by a reader -> HTML safe to put in a page.

    `breaks=False` treats single newlines as wrapping (for articles).
    """
    if breaks:
        plain = _plain_paragraphs(text)
        if plain is not None:
            return plain
    md = _comment_md if breaks else _document_md
    return sanitize(md.render(text)).strip()
