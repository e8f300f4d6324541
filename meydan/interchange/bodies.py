"""Imported bodies become the Markdown every Meydan comment is written in, so that
they are rendered, edited and sanitised like any other (comments.rendering).

HTML (a WordPress or Disqus commenter's <b>, <a>, <blockquote>, <p>, line breaks)
is converted with markdownify; text that has neither tags nor entities is only
escaped where Markdown would read it differently, which is most comments and costs
far less than a parse."""

import re

from markdownify import MarkdownConverter

_MARKUP = re.compile(r"[<&]")
# What Markdown would read as syntax in a plain text: emphasis, code, links,
# escapes, and block starts (quotes, lists, rules, headings, code indents).
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>~|])")
_BLOCK_START = re.compile(r"^(\s*)([>#+\-=]|\d+[.)])", re.MULTILINE)


class _Converter(MarkdownConverter):
    class Options(MarkdownConverter.DefaultOptions):
        heading_style = "ATX"
        bullets = "-"
        escape_misc = True
        strip = ["script", "style", "iframe", "object", "embed", "img"]


_convert = _Converter().convert


def _autop(text: str) -> str:
    """WordPress's reading of a comment's line breaks: a blank line ends a paragraph,
    a single newline is a break (wp-includes/formatting.php, wpautop)."""
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n").strip())
    return "".join("<p>" + p.replace("\n", "<br>\n") + "</p>" for p in paragraphs if p.strip())


def escape_text(text: str) -> str:
    """Plain text, so that Markdown shows it as it was."""
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    return _BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def to_markdown(body: str, body_format: str) -> str:
    if body_format == "markdown":
        return body
    if body_format == "wordpress":
        if not _MARKUP.search(body):
            return escape_text(body.replace("\r\n", "\n").strip())
        body = _autop(body)
    elif not _MARKUP.search(body):
        return escape_text(" ".join(body.split()))
    return _convert(body).strip()
