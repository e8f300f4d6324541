"""Commento's and Commento++'s export (Dashboard → General → Export data): one JSON
document, gzip-compressed as it is downloaded (`<domain>-<unix time>.json.gz`) or
not, as Go's json.Marshal writes it (api/domain_export.go, comment.go, commenter.go):

    {"version":1,
     "comments":[{"commentHex", "domain", "url" (the page's path), "commenterHex",
                  "markdown", "html" (empty in exports), "parentHex" ("root" at the
                  top), "score", "state", "creationDate" (RFC 3339, UTC),
                  "direction", "deleted"}, …],
     "commenters":[{"commenterHex", "email", "name", "link", "photo", "provider",
                    "joinDate", "isModerator", "deleted"}, …]}

`state` is "approved", "unapproved" (waiting for moderation) or "flagged" (held as
spam or as toxic). A deleted comment stays in the database with markdown
"[deleted]" and commenter "anonymous" (api/comment_delete.go); the export does not
read the `deleted` column, so that is how it is recognised. Anonymous comments name
the commenter "anonymous", who is not in the commenters list; Commento++'s guests
who gave a name are commenters with provider "anon" and "undefined" for email,
link and photo. Commento keeps no edit time and no address.

Commenters come after the comments (and once per comment of theirs), so the file
is read twice, streaming both times: first the commenters (kept, a few fields
each), then the comments.
"""

import codecs
import gzip
import re
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime

import ijson

from meydan.interchange.readers import open_maybe_gzip
from meydan.interchange.records import (
    CommentRecord,
    ImportFileError,
    Skipped,
    Source,
    ThreadRecord,
)

NAME = "commento"
_HEAD = re.compile(rb'\A\s*\{\s*"(version|comments|commenters)"\s*:')
_STATUS = {"approved": "approved", "unapproved": "pending", "flagged": "spam"}
# Commento's provider names, and the ids they are known by here.
_PROVIDERS = {"google": "google", "github": "github", "twitter": "twitter",
              "gitlab": "gitlab", "commento": "commento"}  # fmt: skip
_UNDEFINED = "undefined"  # what Commento++ stores for a guest's missing fields
MAX_DEPTH = 32


def sniff(path) -> bool:
    try:
        with open_maybe_gzip(path) as f:
            head = f.read(4096)
    except (OSError, EOFError, zlib.error):
        return False
    return bool(_HEAD.match(head)) and (b'"commentHex"' in head or b'"commenters"' in head)


def _where(path) -> tuple[int | None, int | None]:
    """Line and column of a syntax error. The fast parser does not say where it
    stopped; on this error path the file is read again by ijson's pure-Python
    parser, which does (or which says the text just ends: then, at its end)."""
    try:
        with open_maybe_gzip(path) as f:
            for _ in ijson.get_backend("python").basic_parse(f):
                pass
    except ijson.JSONError as slow:
        found = re.search(r" at (\d+)$", str(slow))
        if found:
            offset = int(found.group(1))
        elif str(slow).startswith("Incomplete"):  # "… JSON content", "… string lexeme"
            offset = None
        else:
            return None, None
    except (OSError, EOFError, zlib.error, ValueError):
        return None, None
    else:
        return None, None
    line, column, seen = 1, 1, 0
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    try:
        with open_maybe_gzip(path) as f:
            while chunk := f.read(1 << 16):
                text = decoder.decode(chunk)
                if offset is not None and seen + len(text) > offset:
                    text = text[: offset - seen]
                newlines = text.count("\n")
                if newlines:
                    line += newlines
                    column = len(text) - text.rfind("\n")
                else:
                    column += len(text)
                seen += len(text)
                if offset is not None and seen >= offset:
                    break
    except (OSError, EOFError, zlib.error):
        return None, None
    return line, column


def _json_error(path, error: Exception) -> ImportFileError:
    if isinstance(error, EOFError | gzip.BadGzipFile | zlib.error):
        return ImportFileError(
            f"The gzip compression is damaged or cut short: {error}",
            code="bad_gzip",
            params={"detail": str(error)},
        )
    if isinstance(error, OSError):
        detail = str(error.strerror or error)
        return ImportFileError(
            f"The file cannot be read: {detail}", code="unreadable", params={"detail": detail}
        )
    message = str(error)
    if message[:2] in ("b'", 'b"'):
        message = message[2:]
    message = message.replace("\\n", "\n").split("\n")[0].strip().rstrip(".")
    line, column = _where(path)
    if "premature EOF" in message or "Incomplete JSON" in message:
        return ImportFileError(
            "The file ends in the middle of the JSON (cut short in downloading?)",
            code="truncated", line=line, column=column,
        )  # fmt: skip
    return ImportFileError(
        f"The file is not valid JSON ({message})",
        code="bad_json",
        params={"detail": message},
        line=line,
        column=column,
    )


_READ_ERRORS = (ijson.JSONError, OSError, EOFError, zlib.error)


class _Shape:
    """What the first pass learns: the version, the site, the commenters."""

    def __init__(self):
        self.version = None
        self.domain = ""
        self.has_comments = False
        self.commenters: dict[str, tuple[str, str, str, str]] = {}


def _survey(path) -> _Shape:
    """The first pass, on ijson's basic events: its prefixed events would build a
    string as long as the nesting for every event, which a hostile file makes
    quadratic; the path is kept here instead, and the nesting is bounded."""
    shape = _Shape()
    builder = None
    keys: list = []  # where the parser is: a map's current key, "item" in a list
    with open_maybe_gzip(path) as f:
        if not f.read(1):
            raise ImportFileError("The file is empty", code="empty")
        f.seek(0)
        for event, value in ijson.basic_parse(f):
            if event == "map_key":
                keys[-1] = value
                if builder is not None:
                    builder.event(event, value)
                continue
            closing = event in ("end_map", "end_array")
            if closing:
                keys.pop()
            if builder is not None:
                builder.event(event, value)
                if closing and keys == ["commenters", "item"]:
                    _commenter(shape, builder.value)
                    builder = None
            elif not keys and not closing:
                if event != "start_map":
                    kind = "a list" if event == "start_array" else f"a single {event}"
                    raise ImportFileError(
                        f"The file's JSON is {kind}; a Commento export is an object with "
                        '"version", "comments" and "commenters"',
                        code="wrong_format",
                        params={"format": "Commento"},
                    )
            elif keys == ["version"]:
                shape.version = value
            elif keys in (["comments"], ["commenters"]) and not closing:
                if event != "start_array":
                    raise ImportFileError(
                        f'"{keys[0]}" is not a list in this file',
                        code="bad_value",
                        params={"field": keys[0]},
                    )
                shape.has_comments = shape.has_comments or keys == ["comments"]
            elif keys == ["commenters", "item"] and not closing:
                if event != "start_map":
                    raise ImportFileError(
                        'An entry of "commenters" is not an object',
                        code="bad_value",
                        params={"field": "commenters"},
                    )
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
            elif keys == ["comments", "item", "domain"] and event == "string":
                shape.domain = shape.domain or value
            if event == "start_map":
                keys.append(None)
            elif event == "start_array":
                keys.append("item")
            if len(keys) > MAX_DEPTH:
                raise ImportFileError(
                    f"The JSON nests deeper than {MAX_DEPTH} levels; a Commento export has 3",
                    code="too_deep",
                )
    if shape.version is None or not shape.has_comments:
        raise ImportFileError(
            'This JSON is not a Commento export: it has no "version" and "comments" list',
            code="wrong_format",
            params={"format": "Commento"},
        )
    if shape.version != 1:
        raise ImportFileError(
            f"This is version {shape.version!r} of Commento's export; version 1 is read",
            code="version",
            params={"format": "Commento", "version": repr(shape.version)},
        )
    return shape


def _text(obj: dict, key: str, where: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ImportFileError(
            f'"{key}" of {where} is not a string: {value!r:.60}',
            code="bad_value",
            params={"field": key, "value": f"{value!r:.60}"},
        )
    return "" if value == _UNDEFINED else value


def _commenter(shape: _Shape, item: dict) -> None:
    where = f"commenter number {len(shape.commenters) + 1}"
    hex_ = _text(item, "commenterHex", where)
    if hex_ and hex_ not in shape.commenters:
        provider = _text(item, "provider", where)
        shape.commenters[hex_] = (
            _text(item, "name", where).strip(),
            _text(item, "email", where).strip(),
            _text(item, "link", where).strip(),
            # "sso:<domain>" is the site's own single sign-on; "anon", a named guest.
            "sso" if provider.startswith("sso:") else _PROVIDERS.get(provider, ""),
        )


def _date(value: str, ref: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ImportFileError(
            f"Comment {ref} has an unreadable date: {value!r:.40}",
            code="bad_date",
            params={"value": f"{value!r:.40}"},
        ) from None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read(path) -> Iterator:
    try:
        shape = _survey(path)
    except _READ_ERRORS as error:
        raise _json_error(path, error) from None
    yield Source(shape.domain or "commento")
    try:
        with open_maybe_gzip(path) as f:
            yield from _comments(ijson.items(f, "comments.item"), shape)
    except _READ_ERRORS as error:
        raise _json_error(path, error) from None


def _comments(items, shape: _Shape) -> Iterator:
    threads: set[str] = set()
    for number, item in enumerate(items, start=1):
        where = f"comment number {number}"
        if not isinstance(item, dict):
            raise ImportFileError(
                f"The {where} is not an object",
                code="bad_value",
                params={"field": "comments", "value": f"{item!r:.40}"},
            )

        def text(key, item=item, where=where):
            return _text(item, key, where)

        ref = text("commentHex")
        if not ref:
            raise ImportFileError(
                f"The {where} has no commentHex", code="missing", params={"field": "commentHex"}
            )
        commenter, markdown = text("commenterHex"), text("markdown")
        if item.get("deleted") is True or (markdown == "[deleted]" and commenter == "anonymous"):
            yield Skipped("deleted in Commento")
            continue
        state = text("state") or "approved"
        if state not in _STATUS:
            yield Skipped(f"unknown Commento state {state!r}")
            continue
        if not markdown.strip():
            yield Skipped("no text")
            continue
        page = text("url")
        if page not in threads:
            threads.add(page)
            domain = text("domain") or shape.domain
            yield ThreadRecord(ref=page, url=f"https://{domain}{page}" if domain else page)
        name, email, link, provider = shape.commenters.get(commenter, ("", "", "", ""))
        parent = text("parentHex")
        yield CommentRecord(
            ref=ref,
            thread_ref=page,
            parent_ref=None if parent in ("", "root") else parent,
            body=markdown,
            body_format="markdown",
            created=_date(text("creationDate"), ref),
            status=_STATUS[state],
            name=name,
            email=email,
            url=link,
            provider=provider,
        )
