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
        # lxml's HTML parser (a dependency already): 30 % faster than html.parser.
        bs4_options = "lxml"


_convert = _Converter().convert


_BLOCK = r"(?:p|div|blockquote|ul|ol|li|pre|h[1-6]|hr|br|table|tr|td|th)"
_AFTER_BLOCK = re.compile(rf"</?{_BLOCK}\b[^>]*>\s*$", re.IGNORECASE)


def _autop(text: str) -> str:
    """WordPress's reading of a comment's line breaks (wp-includes/formatting.php,
    wpautop): a blank line ends a paragraph, a single newline is a break — except
    next to a block element or a <br> already there."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    out = []
    for paragraph in re.split(r"\n\s*\n", text):
        if not paragraph.strip():
            continue
        lines = paragraph.split("\n")
        joined = lines[0]
        for line in lines[1:]:
            if _AFTER_BLOCK.search(joined) or re.match(rf"\s*</?{_BLOCK}\b", line, re.I):
                joined += "\n" + line
            else:
                joined += "<br>\n" + line
        out.append(joined if re.match(rf"\s*<{_BLOCK}\b", joined, re.I) else f"<p>{joined}</p>")
    return "\n".join(out)


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
