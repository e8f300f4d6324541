"""Reading export XML safely and as a stream.

lxml's iterparse with entity expansion, DTD loading and network access off, and
huge_tree off (its limits on depth and text size stay). Beyond what lxml's options
give, a document type declaration is refused outright before parsing: neither
WordPress nor Disqus writes one, and it is where entity bombs and external entities
live; an XInclude element is refused too (lxml never processes XInclude unless asked,
but an import that silently ignored one would be no clearer). Errors carry the line
and column.
"""

import re
from collections.abc import Iterator

from lxml import etree

from meydan.interchange.records import ImportFileError

XINCLUDE = "http://www.w3.org/2001/XInclude"
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def _check_prolog(path) -> None:
    """Refuse a DTD: look at everything before the root element."""
    with open(path, "rb") as f:
        head = f.read(64 * 1024)
    # The prolog ends at the first element start tag that is not <? or <!.
    match = re.search(rb"<[A-Za-z_]", head)
    prolog = head[: match.start()] if match else head
    found = _DOCTYPE.search(prolog)
    if found:
        line = prolog[: found.start()].count(b"\n") + 1
        raise ImportFileError(
            "The file declares a document type (<!DOCTYPE …>), which exports never do; "
            "it is refused because entity declarations there can expand without limit "
            "or read other files",
            code="xml_doctype",
            line=line,
            column=found.start() - prolog.rfind(b"\n", 0, found.start()),
        )


def iterparse(path, *, tags: tuple[str, ...]) -> Iterator[etree._Element]:
    """Each element named in `tags` (lxml names: "{*}item" for any namespace), at its
    end, from the file at `path`.

    The caller frees each element it has read (`done(element)`), so memory stays flat.
    """
    _check_prolog(path)
    parser = etree.iterparse(
        str(path),
        events=("end", "start-ns"),
        tag=tags,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        dtd_validation=False,
    )
    try:
        for event, element in parser:
            if event == "start-ns":
                if element[1] == XINCLUDE:
                    raise ImportFileError(
                        "The file uses XInclude, which an export never does; it is refused "
                        "because an include can read other files",
                        code="xml_xinclude",
                    )
                continue
            yield element
    except etree.XMLSyntaxError as error:
        line, column = error.position if error.position else (None, None)
        message = error.msg.split(", line ")[0]
        raise ImportFileError(f"The file is not well-formed XML: {message}", code="bad_xml",
                              params={"detail": message}, line=line,
                              column=column) from None  # fmt: skip


def done(element) -> None:
    """Free an element read to its end and the siblings before it."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def text(element, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "") if child is not None else ""
