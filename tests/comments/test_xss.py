"""XSS vectors through the guest form, checked on the rendered article page.

Every vector is POSTed to the article the way a browser would, then the article
page is fetched and its comment section parsed into a small element tree
(stdlib html.parser). The assertions are structural: which elements and
attributes exist, what their URL schemes are, and what text a reader sees. A
second, independent layer checks the raw markup of each comment's content,
where every "<" must start one of the few tags the renderer allows.
"""

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from meydan.comments.models import Comment

# --- A tiny element tree ------------------------------------------------------------

VOID = frozenset(
    "area base br col embed hr img input keygen link meta param source track wbr".split()
)


@dataclass(eq=False)
class Element:
    tag: str
    attrs: list[tuple[str, str | None]]
    parent: "Element | None" = None
    children: list = field(default_factory=list)  # Element or str

    def get(self, name: str) -> str | None:
        for key, value in self.attrs:
            if key == name:
                return value if value is not None else ""
        return None

    @property
    def classes(self) -> set[str]:
        return set((self.get("class") or "").split())

    def iter(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list["Element"]:
        return [
            el
            for el in self.iter()
            if (tag is None or el.tag == tag) and (cls is None or cls in el.classes)
        ]

    def find(self, tag: str | None = None, cls: str | None = None) -> "Element":
        found = self.find_all(tag, cls)
        assert found, f"no <{tag or '*'} class={cls!r}> found"
        return found[0]

    @property
    def text(self) -> str:
        return "".join(
            child if isinstance(child, str) else child.text
            for child in self.children
            if isinstance(child, str) or not child.tag.startswith("#")
        )

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)  # attribute values and text come unescaped
        self.root = Element("#root", [])
        self.stack = [self.root]

    def _add(self, tag, attrs, *, push):
        element = Element(tag, list(attrs), parent=self.stack[-1])
        self.stack[-1].children.append(element)
        if push:
            self.stack.append(element)
        return element

    def handle_starttag(self, tag, attrs):
        self._add(tag, attrs, push=tag not in VOID)

    def handle_startendtag(self, tag, attrs):
        self._add(tag, attrs, push=False)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)

    # Comments, <!...> declarations and <?...?> have no place in a comment section.
    def handle_comment(self, data):
        self._add("#comment", [("data", data)], push=False)

    def unknown_decl(self, data):
        self._add("#decl", [("data", data)], push=False)

    def handle_pi(self, data):
        self._add("#pi", [("data", data)], push=False)


def parse(markup: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    return builder.root


# --- What "safe" means ----------------------------------------------------------------

DANGEROUS_SCHEMES = {"javascript", "vbscript", "data"}
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
    "srcset", "lowsrc", "dynsrc", "cite", "longdesc", "ping", "codebase", "archive",
    "manifest", "icon", "usemap",
}  # fmt: skip
# Never in a comment section (img and form: only the avatar and the reply form).
FORBIDDEN_TAGS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math",
    "style", "img", "form", "base", "meta", "link", "noscript", "template", "portal",
}  # fmt: skip
# What the renderer may produce inside a comment's text, and nothing more.
CONTENT_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr",
}  # fmt: skip
CONTENT_ATTRIBUTES = {"a": {"href", "title", "rel"}, "ol": {"start"}}
CONTENT_SCHEMES = {"http", "https", "mailto", None}  # None: a relative URL
REL_TOKENS = {"nofollow", "ugc", "noopener"}

_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")


def url_scheme(value: str) -> str | None:
    """The scheme a browser would see: unescaped, whitespace and control characters gone."""
    value = html.unescape(value)  # the parser unescaped once; a second pass only adds caution
    value = "".join(
        ch for ch in value if ord(ch) > 0x20 and not 0x7F <= ord(ch) <= 0x9F and not ch.isspace()
    )
    match = _SCHEME.match(value.lower())
    return match.group(1) if match else None


def _where(el: Element) -> str:
    return f"<{el.tag} {el.attrs}>"


def assert_no_active_attributes(el: Element) -> None:
    for name, value in el.attrs:
        assert not name.startswith("on"), f"event handler attribute on {_where(el)}"
        if name in URL_ATTRIBUTES and value is not None:
            assert url_scheme(value) not in DANGEROUS_SCHEMES, f"dangerous URL in {_where(el)}"


def assert_links_marked(el: Element) -> None:
    rel = set((el.get("rel") or "").lower().split())
    assert REL_TOKENS <= rel, f"link without rel={' '.join(sorted(REL_TOKENS))}: {_where(el)}"


def inside(el: Element, tag: str, cls: str) -> bool:
    return any(a.tag == tag and cls in a.classes for a in el.ancestors())


def comment_section(page: str) -> Element:
    sections = [el for el in parse(page).find_all("section") if el.get("id") == "comments"]
    assert len(sections) == 1, "expected exactly one comment section on the article page"
    return sections[0]


def assert_vote_form(form: Element) -> None:
    """The up-vote button's form: ours, in a comment's footer, and nothing else in it."""
    assert inside(form, "footer", "comment__actions"), f"vote form out of place: {_where(form)}"
    assert re.fullmatch(r"/c/\d+/vote", form.get("action") or ""), _where(form)
    for el in form.iter():
        if el is form:
            continue
        if el.tag == "input":
            assert el.get("type") == "hidden" and el.get("name") == "action", _where(el)
        elif el.tag == "button":
            assert "comment__votebtn" in el.classes, _where(el)
        else:
            assert el.tag == "span", f"unexpected in the vote form: {_where(el)}"


def assert_section_safe(page: str) -> Element:
    """Everything that must hold for the whole section, whatever was posted. Returns it."""
    section = comment_section(page)
    for el in section.iter():
        assert not el.tag.startswith("#"), f"markup declaration in section: {_where(el)}"
        assert_no_active_attributes(el)
        in_comment = inside(el, "article", "comment__body")
        if el.tag == "img":
            assert "comment__avatar" in el.classes, f"unexpected image: {_where(el)}"
            assert url_scheme(el.get("src") or "") is None, f"avatar not local: {_where(el)}"
        elif el.tag == "form" and "comment__vote" in el.classes:
            assert_vote_form(el)
        elif el.tag == "form":
            assert not in_comment and "respond__form" in el.classes, f"stray form: {_where(el)}"
        elif el.tag == "script" and not in_comment:
            # Room for progressive enhancement: an external script from our own static files.
            src = el.get("src") or ""
            assert src.startswith("/static/") and not el.text.strip(), f"script: {_where(el)}"
        elif el.tag == "template" and not in_comment:
            # Live updates' words (comments/live.html): text in spans, nothing else.
            assert "comments__live-words" in el.classes, f"stray template: {_where(el)}"
            for word in el.iter():
                assert word is el or word.tag == "span", f"in the live words: {_where(word)}"
        else:
            assert el.tag not in FORBIDDEN_TAGS, f"forbidden element in section: {_where(el)}"
        if in_comment and not inside(el, "form", "comment__vote"):
            assert el.tag not in {"input", "textarea", "button", "select", "object"}, _where(el)

    for author in section.find_all("span", "comment__author"):
        for el in author.iter():
            assert el.tag == "a" and "url" in el.classes, f"markup in author name: {_where(el)}"
            assert url_scheme(el.get("href") or "") in {"http", "https"}, _where(el)
            assert_links_marked(el)

    for content in section.find_all("div", "comment__content"):
        for el in content.iter():
            assert el.tag in CONTENT_TAGS, f"tag not allowed in comment text: {_where(el)}"
            allowed = CONTENT_ATTRIBUTES.get(el.tag, set())
            for name, _value in el.attrs:
                assert name != "style", f"style attribute in comment text: {_where(el)}"
                assert name in allowed, f"attribute not allowed in comment text: {_where(el)}"
            if el.tag == "a":
                assert_links_marked(el)
                href = el.get("href")
                if href is not None:
                    assert url_scheme(href) in CONTENT_SCHEMES, f"link scheme: {_where(el)}"

    _assert_raw_markup_safe(page, section)
    return section


_CONTENT_RAW = re.compile(r'<div class="comment__content">(.*?)</div>', re.DOTALL)
_AUTHOR_RAW = re.compile(r'<span class="comment__author" dir="auto">(.*?)</span>', re.DOTALL)
_CONTENT_TAG_NAMES = "|".join(sorted(CONTENT_TAGS))
_CONTENT_TAG_START = re.compile(rf"<(?!/?(?:{_CONTENT_TAG_NAMES})[\s/>])")
_AUTHOR_TAG_START = re.compile(r"<(?!/?a[\s>])")


def _assert_raw_markup_safe(page: str, section: Element) -> None:
    """Second layer, independent of the tree: in escaped text "<" never appears raw, so
    every "<" inside a comment's content or author name must start an allowed tag."""
    contents = _CONTENT_RAW.findall(page)
    assert len(contents) == len(section.find_all("div", "comment__content"))
    for fragment in contents:
        assert not _CONTENT_TAG_START.search(fragment), f"raw markup in comment: {fragment!r}"
    for fragment in _AUTHOR_RAW.findall(page):
        assert not _AUTHOR_TAG_START.search(fragment), f"raw markup in name: {fragment!r}"


# --- Posting --------------------------------------------------------------------------


@pytest.fixture
def url(article):
    return article.get_absolute_url()


@pytest.fixture
def submit(client, url, guest_form):
    """POST the guest form like a browser; returns the response."""

    def _submit(**fields):
        return client.post(url, guest_form(**fields))

    return _submit


@pytest.fixture
def posted(client, url, submit):
    """Post a comment that must be accepted; returns (comment, parsed section of the page)."""

    def _posted(**fields):
        before = Comment.objects.count()
        # Each post says something new (the same text twice is refused as a duplicate).
        fields.setdefault("body", f"A perfectly ordinary comment, number {before + 1}.")
        response = submit(**fields)
        assert response.status_code == 302, _form_errors(response.content.decode())
        assert Comment.objects.count() == before + 1
        comment = Comment.objects.latest("pk")
        assert response["Location"].endswith(f"#{comment.anchor}")
        page = client.get(url)
        assert page.status_code == 200
        return comment, assert_section_safe(page.content.decode())

    return _posted


def _form_errors(page: str) -> list[str]:
    section = comment_section(page)
    return [p.text for p in section.find_all("p", "field__error")] + [
        p.text for p in section.find_all("div", "form-errors")
    ]


def item_for(section: Element, comment: Comment) -> Element:
    items = [li for li in section.find_all("li") if li.get("id") == comment.anchor]
    assert len(items) == 1, f"{comment.anchor} not shown on the page"
    return items[0]


# --- The comment body -----------------------------------------------------------------

JS = "javascript:alert(1)"


def body(id_, text, visible=None, links=None):
    """A body vector: `visible` is text (or texts) a reader must see in the comment;
    `links` the (href, title) of every link the comment may contain, when checked."""
    return pytest.param(text, visible if visible is not None else text, links, id=id_)


BODY_VECTORS = [
    # Raw HTML (html=False in the renderer: it must show as text)
    body("script-tag", "<script>alert(1)</script>"),
    body("script-uppercase-src", "<SCRIPT SRC=//evil.example/x.js></SCRIPT>"),
    body("img-onerror", "<img src=x onerror=alert(1)>"),
    body("svg-onload", "<svg onload=alert(1)>"),
    body("svg-slash-onload", "<svg/onload=alert(1)>"),
    body("svg-nested-script", "<svg><script>alert(1)</script></svg>"),
    body("iframe-javascript", f"<iframe src={JS}></iframe>"),
    body("object-data", '<object data="data:text/html,<script>alert(1)</script>"></object>'),
    body("embed-javascript", f'<embed src="{JS}">'),
    body("math-xlink", f'<math><mi xlink:href="{JS}">x</mi></math>'),
    body("style-tag", f"<style>body{{background:url({JS})}}</style>"),
    body("style-attribute", '<p style="position:fixed;top:0;left:0;width:100%">x</p>'),
    body("form-formaction", f"<form><button formaction={JS}>x</button></form>"),
    body("base-href", f"<base href={JS}//>"),
    body("meta-refresh", f'<meta http-equiv="refresh" content="0;url={JS}">'),
    body("link-stylesheet", f"<link rel=stylesheet href={JS}>"),
    body("raw-a-href", f'<a href="{JS}">x</a>'),
    body("raw-a-onclick", '<a href="https://example.org" onclick="alert(1)">x</a>'),
    body("attribute-breakout-text", '" onmouseover="alert(1)'),
    # Markdown links with javascript: and friends
    body("md-link-javascript", f"[x]({JS})"),
    body("md-link-mixed-case", "[x](jAvAsCrIpT:alert(1))"),
    body("md-link-tab", "[x](java\tscript:alert(1))"),
    body("md-link-entity-tab", "[x](javas&#x09;cript:alert(1))", "x"),
    body("md-link-decimal-entity", "[x](&#106;avascript:alert(1))", f"[x]({JS})"),
    body("md-link-hex-entities", "[x](&#x6A;&#x61;vascript:alert(1))", f"[x]({JS})"),
    body("md-link-entity-colon", "[x](javascript&#x3A;alert(1))", f"[x]({JS})"),
    body("md-link-named-colon", "[x](javascript&colon;alert(1))", f"[x]({JS})"),
    body("md-link-percent-encoded", "[x](%6Aavascript:alert(1))", "x"),
    body("md-link-leading-space", f"[x]( {JS})", "x"),
    body("md-link-angle-destination", f"[x](<{JS}>)"),
    body("md-link-control-char", f"[x](\x01{JS})"),
    body("md-link-comment-newline", "[x](javascript://%0Aalert(1))"),
    body("md-link-vbscript", "[x](vbscript:msgbox(1))"),
    body("md-link-data-html", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"),
    # Autolinks
    body("autolink-javascript", f"<{JS}>"),
    body("autolink-uppercase", "<JAVASCRIPT:alert(1)>"),
    body("autolink-data", "<data:text/html,<script>alert(1)</script>>"),
    body(
        "autolink-quote-breakout",
        '<https://example.org/"onmouseover="alert(1)>',
        'https://example.org/"onmouseover="alert(1)',
        [("https://example.org/%22onmouseover=%22alert(1)", None)],
    ),
    # Reference-style links and images
    body("reference-javascript", f"[x][r]\n\n[r]: {JS}", f"[r]: {JS}"),
    body("reference-entity", "[x][r]\n\n[r]: &#106;avascript:alert(1)", f"[r]: {JS}"),
    body(
        "reference-title-breakout",
        '[x][r]\n\n[r]: https://example.org "t\\" onclick=\\"alert(1)"',
        "x",
        [("https://example.org", 't" onclick="alert(1)')],
    ),
    body("image-javascript", f"![x]({JS})"),
    body("image-reference-javascript", f"![x][r]\n\n[r]: {JS}", f"[r]: {JS}"),
    body("image-data-svg", "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)"),
    body("image-data-png", "![x](data:image/png;base64,iVBORw0KGgo=)", "x", [(None, None)]),
    body(
        "image-alt-breakout",
        '![x" onerror="alert(1)](https://example.org/a.png)',
        'x" onerror="alert(1)',
        [("https://example.org/a.png", None)],
    ),
    body(
        "image-inside-javascript-link",
        f"[![x](https://example.org/i.png)]({JS})",
        ("x", f"]({JS})"),
        [("https://example.org/i.png", None)],
    ),
    # Titles and URLs trying to break out of their attribute
    body(
        "link-title-breakout",
        '[a](https://example.org "a\\" onmouseover=\\"alert(1)")',
        "a",
        [("https://example.org", 'a" onmouseover="alert(1)')],
    ),
    body(
        "link-title-script",
        '[x](https://example.org "<script>alert(1)</script>")',
        "x",
        [("https://example.org", "<script>alert(1)</script>")],
    ),
    body(
        "link-url-quote-breakout",
        '[x](https://example.org/"onmouseover="alert(1))',
        "x",
        [("https://example.org/%22onmouseover=%22alert(1)", None)],
    ),
    body(
        "link-text-html",
        "[<img src=x onerror=alert(1)>](https://example.org)",
        "<img src=x onerror=alert(1)>",
        [("https://example.org", None)],
    ),
    # HTML comments, CDATA, code
    body("html-comment", "<!-- <script>alert(1)</script> -->"),
    body("html-comment-breakout", "<!--><img src=x onerror=alert(1)>-->"),
    body("cdata", "<![CDATA[<script>alert(1)</script>]]>"),
    body("code-span", "`<script>alert(1)</script>`", "<script>alert(1)</script>"),
    body(
        "double-backtick-span", "``<img src=x onerror=alert(1)>``", "<img src=x onerror=alert(1)>"
    ),
    body("fenced-code", "```html\n<script>alert(1)</script>\n```", "<script>alert(1)</script>"),
    body("indented-code", "x\n\n    <img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>"),
    # Markdown and HTML nested
    body("emphasis-around-html", "**<em onclick=alert(1)>x</em>**", "<em onclick=alert(1)>x</em>"),
    body("blockquote-html", f"> <iframe src={JS}>", f"<iframe src={JS}>"),
    body(
        "list-html-and-link",
        f"* <svg/onload=alert(1)>\n* [x]({JS})",
        ("<svg/onload=alert(1)>", f"[x]({JS})"),
    ),
    # Unicode tricks
    body("line-separator", "a\u2028<script>alert(1)</script>"),
    body("fullwidth-brackets", "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e"),
    body("zero-width-in-tag", "<scr\u200bipt>alert(1)</scr\u200bipt>"),
    # Breaking out of the surrounding page
    body("textarea-breakout", "</textarea><script>alert(1)</script>"),
    body("div-breakout", "</div></article></li></ol><script>alert(1)</script>"),
    # Mutation XSS
    body("mxss-noscript", '<noscript><p title="</noscript><img src=x onerror=alert(1)>">'),
    body("mxss-svg-style", '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">'),
    body(
        "mxss-math-mglyph",
        '<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;img src=1 '
        'onerror=alert(1)&gt;">',
        '<math><mtext><table><mglyph><style><!--</style><img title="--><img src=1 '
        'onerror=alert(1)>">',
    ),
    # Entities: decoded once for display, never into markup
    body(
        "entity-encoded-script",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "<script>alert(1)</script>",
    ),
    body("double-encoded-script", "&amp;lt;script&amp;gt;", "&lt;script&gt;"),
    # Template syntax must come out literally
    body("template-variable", "{{ site.name }} {{ comment.author_email }}"),
    body("template-tag", "{% now 'Y' %} {% include 'base.html' %} {# x #}"),
]


@pytest.mark.parametrize(("text", "visible", "links"), BODY_VECTORS)
def test_body_vector_is_neutralised(posted, text, visible, links):
    comment, section = posted(body=text)
    content = item_for(section, comment).find("div", "comment__content")
    shown = content.text
    for expected in (visible,) if isinstance(visible, str) else visible:
        assert expected in shown, f"{expected!r} not visible in {shown!r}"
    assert "Caspian Ledger" not in shown and "tural@example.org" not in shown
    if links is not None:
        assert [(a.get("href"), a.get("title")) for a in content.find_all("a")] == links


# --- The Name field -------------------------------------------------------------------

NAME_VECTORS = [
    pytest.param("<b>bold</b>", id="bold-tag"),
    pytest.param('"><script>alert(1)</script>', id="attribute-breakout-script"),
    pytest.param("<img src=x onerror=alert(1)>", id="img-onerror"),
    pytest.param("' onmouseover='alert(1)", id="single-quote-breakout"),
    pytest.param("</span><svg onload=alert(1)>", id="span-breakout-svg"),
    pytest.param("</textarea><script>alert(1)</script>", id="textarea-breakout"),
    pytest.param(f"[x]({JS})", id="markdown-link"),
    pytest.param("&lt;script&gt;", id="pre-escaped-entity"),
    pytest.param("{{ site.name }}", id="template-variable"),
    pytest.param("{% now 'Y' %}", id="template-tag"),
]


@pytest.mark.parametrize("website", ["", "https://example.org/"], ids=["no-website", "website"])
@pytest.mark.parametrize("name", NAME_VECTORS)
def test_name_vector_is_shown_as_text(client, url, site, posted, name, website):
    comment, section = posted(name=name, website=website, remember="on")
    assert comment.author_name == name
    item = item_for(section, comment)
    assert item.find("span", "comment__author").text == name
    if website:
        assert item.find("a", "url").get("href") == website
    assert item.find("a", "comment__reply").get("aria-label") == f"Reply to {name}"
    # The remembered name comes back pre-filled in the form, as a value, not markup.
    filled = [el for el in section.find_all("input") if el.get("name") == "name"]
    assert [el.get("value") for el in filled] == [name]

    # "Replying to <name>" above the form.
    page = client.get(f"{url}?replyto={comment.pk}")
    assert page.status_code == 200
    section = assert_section_safe(page.content.decode())
    assert f"Replying to {name}" in section.find("h3", "respond__title").text

    # "In reply to <name>" on a reply flattened at the nesting limit.
    site.max_depth = 1
    site.save()
    reply, section = posted(name="Replier", parent=str(comment.pk), remember="")
    assert reply.replied_to_id == comment.pk and reply.parent_id is None
    inreply = item_for(section, reply).find("p", "comment__inreply")
    assert inreply.text.strip() == f"In reply to {name}"


# --- The Website field ----------------------------------------------------------------

REFUSED_WEBSITES = [
    pytest.param(JS, id="javascript"),
    pytest.param("JaVaScRiPt:alert(1)", id="javascript-mixed-case"),
    pytest.param(f"  {JS}", id="javascript-leading-space"),
    pytest.param("java\tscript:alert(1)", id="javascript-tab"),
    pytest.param("\x01javascript:alert(1)", id="javascript-control-char"),
    pytest.param("\u2028javascript:alert(1)", id="javascript-line-separator"),
    pytest.param("&#106;avascript:alert(1)", id="javascript-entity"),
    pytest.param("javascript&colon;alert(1)", id="javascript-named-colon"),
    pytest.param("%6Aavascript:alert(1)", id="javascript-percent-encoded"),
    pytest.param("javascript://example.org/%0Aalert(1)", id="javascript-fake-authority"),
    pytest.param(f"{JS};//https://example.org", id="javascript-trailing-https"),
    pytest.param("https:javascript:alert(1)", id="https-without-slashes"),
    pytest.param("vbscript:msgbox(1)", id="vbscript"),
    pytest.param("data:text/html,<script>alert(1)</script>", id="data-html"),
    pytest.param("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", id="data-base64"),
    pytest.param("//evil.example", id="protocol-relative"),
    pytest.param('"><script>alert(1)</script>', id="attribute-breakout"),
]


@pytest.mark.parametrize("website", REFUSED_WEBSITES)
def test_website_vector_is_refused(submit, website):
    response = submit(website=website)
    assert response.status_code == 400
    assert not Comment.objects.exists()
    section = assert_section_safe(response.content.decode())
    field_box = section.find("div", "field--website")
    assert "field--error" in field_box.classes
    errors = [p.text for p in field_box.find_all("p", "field__error")]
    assert errors and all(e.strip() for e in errors)
    # What was typed is offered back for correction, as an inert value.
    inputs = [el for el in field_box.find_all("input") if el.get("name") == "website"]
    assert len(inputs) == 1
    assert inputs[0].get("value") in {website, website.strip()}


ACCEPTED_WEBSITES = [
    pytest.param('https://x.org/"onmouseover="alert(1)', None, id="double-quote-breakout"),
    pytest.param("https://x.org/'onmouseover='alert(1)", None, id="single-quote-breakout"),
    pytest.param("https://x.org/?q=<script>alert(1)</script>", None, id="query-script"),
    pytest.param(
        "https://example.org/</a><script>alert(1)</script>", None, id="anchor-close-script"
    ),
    pytest.param(
        'example.org/"><script>alert(1)</script>',
        'https://example.org/"><script>alert(1)</script>',
        id="bare-domain-breakout",
    ),
    pytest.param(f"https://example.org/#{JS}", None, id="javascript-in-fragment"),
    pytest.param(f"http://{JS}@example.org/", None, id="javascript-as-userinfo"),
    pytest.param("HTTPS://EXAMPLE.ORG/{{site.name}}{%now%}", None, id="template-in-path"),
]


@pytest.mark.parametrize(("website", "stored"), ACCEPTED_WEBSITES)
def test_website_vector_stays_inside_href(posted, website, stored):
    stored = stored or website
    comment, section = posted(website=website, remember="on")
    assert comment.author_url == stored
    author = item_for(section, comment).find("span", "comment__author")
    links = author.find_all("a")
    assert [(a.get("href"), a.text) for a in links] == [(stored, "Tural")]
    assert url_scheme(links[0].get("href")) in {"http", "https"}
    filled = [el for el in section.find_all("input") if el.get("name") == "website"]
    assert [el.get("value") for el in filled] == [stored]


# --- Reflected: a refused form is shown again with what was typed ----------------------

REFLECTED = [
    pytest.param("body", "</textarea><script>alert(1)</script>", id="body-textarea-breakout"),
    pytest.param("body", "</textarea><img src=x onerror=alert(1)>", id="body-textarea-img"),
    pytest.param("name", '"><script>alert(1)</script>', id="name-attribute-breakout"),
    pytest.param("name", "' autofocus onfocus='alert(1)", id="name-onfocus"),
    pytest.param("website", '"><svg onload=alert(1)>', id="website-attribute-breakout"),
    pytest.param("parent", '"><script>alert(1)</script>', id="parent-hidden-breakout"),
]


@pytest.mark.parametrize(("field_name", "value"), REFLECTED)
def test_refused_form_reflects_input_inertly(submit, field_name, value):
    response = submit(**{"email": "not an email", field_name: value})
    assert response.status_code == 400
    assert not Comment.objects.exists()
    section = assert_section_safe(response.content.decode())
    form = section.find("form", "respond__form")
    fields = [
        el for el in form.iter() if el.tag in {"input", "textarea"} and el.get("name") == field_name
    ]
    assert len(fields) == 1, f"{field_name} field not found once"
    shown = (
        fields[0].text.removeprefix("\n") if fields[0].tag == "textarea" else fields[0].get("value")
    )
    assert shown in {value, value.strip(), None, ""}, f"unexpected reflection {shown!r}"
    if field_name != "parent":
        assert shown in {value, value.strip()}
