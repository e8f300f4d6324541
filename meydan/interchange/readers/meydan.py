"""Meydan's own JSON (docs/interchange-format.md), read as a stream with ijson: a
thread's fields, then its comments one at a time, so a file of any size reads in
flat memory.

Version 1 grew optional members (a comment's `votes` and `pick`, a thread's
`pinned`); a file written before them reads as having no votes, picks or pin.

ijson does not say where in the file an event is, so a refused comment or thread
is found again by its id (or key) to name its line: one more pass, only on refusal."""

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import ijson
from ijson.common import ObjectBuilder

from meydan.interchange.records import (
    STATUSES,
    CommentRecord,
    ImportFileError,
    Source,
    ThreadRecord,
)

NAME = "meydan"
FORMAT_TAG = "meydan-comments"
VERSION = 1
# A comment's fields sit at "threads.item.comments.item.author.name": anything much
# deeper is not this format (and a hostile nest would make ijson build ever longer
# prefixes).
MAX_PREFIX = 80
# Up-votes are counted in a 32-bit column on every database.
MAX_VOTES = 2**31 - 1
EXAMPLE_PICK = '{"at": "2026-12-03T09:31:02.000000Z"}'


def sniff(path) -> bool:
    with open(path, "rb") as f:
        head = f.read(4096)
    return b'"format": "meydan-comments"' in head or b'"format":"meydan-comments"' in head


def _date(value, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ImportFileError(
            f"{where}: the date {value!r} is not ISO 8601",
            code="bad_date",
            params={"value": repr(value)},
        ) from None
    if parsed.tzinfo is None:
        raise ImportFileError(
            f"{where}: the date {value!r} has no time zone",
            code="bad_date",
            params={"value": repr(value)},
        )
    return parsed


def _shown(value) -> str:
    """A value as the file has it, short: for messages."""
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)[:40]


def _votes(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ImportFileError(
            f'{where}: "votes" must be a whole number, not {_shown(value)}',
            code="bad_value",
            params={"field": "votes", "value": _shown(value)},
        )
    if value < 0:
        raise ImportFileError(
            f'{where}: "votes" cannot be negative ({value})',
            code="bad_value",
            params={"field": "votes", "value": str(value)},
        )
    if value > MAX_VOTES:
        raise ImportFileError(
            f'{where}: "votes" is too large ({value})',
            code="bad_value",
            params={"field": "votes", "value": str(value)},
        )
    return value


def _pick(value, where: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ImportFileError(
            f'{where}: "pick" must be null or an object such as {EXAMPLE_PICK}, '
            f"not {_shown(value)}",
            code="bad_value",
            params={"field": "pick", "value": _shown(value)},
        )
    at = value.get("at")
    if not isinstance(at, str):
        raise ImportFileError(
            f'{where}: "pick" needs "at", the date it was picked',
            code="missing",
            params={"field": "pick.at"},
        )
    return _date(at, f'{where}: "pick"')


def _line_of(path, member: str, value: str) -> int | None:
    """The line of the first `"member": "value"` in the file (where a comment with
    that id, or a thread with that key, starts); None if it is not found as written
    by json.dumps (a file laid out in other ways still gets its message)."""
    needles = [
        f'"{member}":{space}{json.dumps(value, ensure_ascii=ascii)}'.encode()
        for space in ("", " ")
        for ascii in (False, True)
    ]
    overlap = max(map(len, needles)) - 1
    line, carry = 1, b""
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            data = carry + chunk
            hits = [at for at in (data.find(needle) for needle in needles) if at >= 0]
            if hits:
                return line + data.count(b"\n", 0, min(hits))
            keep = max(0, len(data) - overlap)
            line += data.count(b"\n", 0, keep)
            carry = data[keep:]
    return None


def _located(error: ImportFileError, path, member: str, value) -> ImportFileError:
    if error.line is not None or not isinstance(value, str):
        return error
    return error.located(_line_of(path, member, value))


def _comment(data, thread_ref: str) -> CommentRecord:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise ImportFileError(
            f"A comment of thread {thread_ref!r} has no string id",
            code="missing",
            params={"field": "id"},
        )
    where = f"Comment {data['id']!r}"
    status = data.get("status", "approved")
    if status not in STATUSES:
        raise ImportFileError(
            f"{where}: unknown status {status!r}",
            code="bad_value",
            params={"field": "status", "value": _shown(status)},
        )
    body = data.get("body")
    if not isinstance(body, str):
        raise ImportFileError(
            f"{where}: the body must be a string",
            code="bad_value",
            params={"field": "body", "value": _shown(body)},
        )
    author = data.get("author") or {}
    if not isinstance(author, dict):
        raise ImportFileError(
            f"{where}: author must be an object",
            code="bad_value",
            params={"field": "author", "value": _shown(author)},
        )
    created = _date(data.get("created"), where)
    if created is None:
        raise ImportFileError(
            f"{where}: no creation date", code="missing", params={"field": "created"}
        )
    return CommentRecord(
        ref=data["id"],
        thread_ref=thread_ref,
        parent_ref=data.get("parent"),
        body=body,
        body_format="markdown",
        created=created,
        edited=_date(data.get("edited"), where),
        status=status,
        name=str(author.get("name", "")),
        email=str(author.get("email", "")),
        url=str(author.get("website", "")),
        provider=str(author.get("provider", "")),
        reason=str(data.get("reason", "")),
        votes=_votes(data["votes"], where) if "votes" in data else 0,
        picked_at=_pick(data.get("pick"), where),
    )


def read(path) -> Iterator:
    with open(path, "rb") as f:
        events = ijson.parse(f)
        thread: dict = {}
        in_comments = False
        builder = None
        announced = False
        try:
            for prefix, event, value in events:
                if len(prefix) > MAX_PREFIX:
                    raise ImportFileError(
                        "The file nests deeper than a Meydan export does", code="too_deep"
                    )
                if builder is not None:
                    if prefix == "threads.item.comments.item" and event == "end_map":
                        try:
                            record = _comment(builder.value, thread["key"])
                        except ImportFileError as error:
                            ref = (
                                builder.value.get("id") if isinstance(builder.value, dict) else None
                            )
                            raise _located(error, path, "id", ref) from None
                        yield record
                        builder = None
                    else:
                        builder.event(event, value)
                    continue
                if prefix == "format" and value != FORMAT_TAG:
                    raise ImportFileError(
                        f"This is not a Meydan export (format {value!r})",
                        code="wrong_format",
                        params={"format": "Meydan"},
                    )
                if prefix == "version" and value != VERSION:
                    raise ImportFileError(
                        f"Version {value} of the format is not one this reads",
                        code="version",
                        params={"format": "Meydan", "version": str(value)},
                    )
                if prefix == "source" and event == "string":
                    yield Source(value)
                    announced = True
                elif prefix == "threads.item" and event == "start_map":
                    thread = {}
                    in_comments = False
                elif prefix == "threads.item.pinned":
                    _check_pinned(thread, event, value, in_comments, path)
                elif prefix.startswith("threads.item.") and prefix.count(".") == 2:
                    if event in ("string", "boolean", "null"):
                        thread[prefix.rsplit(".", 1)[1]] = value
                    elif prefix == "threads.item.comments" and event == "start_array":
                        if not announced:
                            raise ImportFileError(
                                "The export names no source before its threads",
                                code="missing",
                                params={"field": "source"},
                            )
                        if not isinstance(thread.get("key"), str):
                            raise ImportFileError(
                                "A thread has no key before its comments",
                                code="missing",
                                params={"field": "key"},
                            )
                        in_comments = True
                        yield ThreadRecord(
                            ref=thread["key"],
                            url=thread.get("url") or thread["key"],
                            title=thread.get("title") or "",
                            is_open=thread.get("open"),
                            pinned_ref=thread.get("pinned"),
                        )
                elif prefix == "threads.item.comments.item" and event == "start_map":
                    builder = ObjectBuilder()
                    builder.event(event, value)
        except ijson.JSONError as error:
            raise ImportFileError(
                f"The file is not valid JSON: {error}",
                code="bad_json",
                params={"detail": str(error)},
            ) from None
        except ijson.IncompleteJSONError as error:  # pragma: no cover - a JSONError
            raise ImportFileError(
                f"The file ends too soon: {error}", code="truncated", params={"detail": str(error)}
            ) from None


def _check_pinned(thread: dict, event: str, value, in_comments: bool, path) -> None:
    """A thread's "pinned": a comment's id or null, before the thread's comments."""
    key = thread.get("key")
    where = f"Thread {key!r}" if isinstance(key, str) else "A thread"
    if in_comments:
        problem = '"pinned" must come before the thread\'s comments'
        code, params = "misplaced", {"field": "pinned"}
    elif event == "string" or event == "null":
        thread["pinned"] = value
        return
    else:
        shown = {"start_map": "an object", "start_array": "a list"}.get(event, _shown(value))
        problem = f'"pinned" must be a comment\'s id (a string) or null, not {shown}'
        code, params = "bad_value", {"field": "pinned", "value": shown}
    raise _located(
        ImportFileError(f"{where}: {problem}", code=code, params=params), path, "key", key
    )
