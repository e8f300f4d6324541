"""Meydan's own JSON (docs/interchange-format.md), read as a stream with ijson: a
thread's fields, then its comments one at a time, so a file of any size reads in
flat memory."""

from collections.abc import Iterator
from datetime import datetime

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
        raise ImportFileError(f"{where}: the date {value!r} is not ISO 8601") from None
    if parsed.tzinfo is None:
        raise ImportFileError(f"{where}: the date {value!r} has no time zone")
    return parsed


def _comment(data, thread_ref: str) -> CommentRecord:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise ImportFileError(f"A comment of thread {thread_ref!r} has no string id")
    where = f"Comment {data['id']!r}"
    status = data.get("status", "approved")
    if status not in STATUSES:
        raise ImportFileError(f"{where}: unknown status {status!r}")
    body = data.get("body")
    if not isinstance(body, str):
        raise ImportFileError(f"{where}: the body must be a string")
    author = data.get("author") or {}
    if not isinstance(author, dict):
        raise ImportFileError(f"{where}: author must be an object")
    created = _date(data.get("created"), where)
    if created is None:
        raise ImportFileError(f"{where}: no creation date")
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
    )


def read(path) -> Iterator:
    with open(path, "rb") as f:
        events = ijson.parse(f)
        thread: dict = {}
        builder = None
        announced = False
        try:
            for prefix, event, value in events:
                if len(prefix) > MAX_PREFIX:
                    raise ImportFileError("The file nests deeper than a Meydan export does")
                if builder is not None:
                    if prefix == "threads.item.comments.item" and event == "end_map":
                        yield _comment(builder.value, thread["key"])
                        builder = None
                    else:
                        builder.event(event, value)
                    continue
                if prefix == "format" and value != FORMAT_TAG:
                    raise ImportFileError(f"This is not a Meydan export (format {value!r})")
                if prefix == "version" and value != VERSION:
                    raise ImportFileError(f"Version {value} of the format is not one this reads")
                if prefix == "source" and event == "string":
                    yield Source(value)
                    announced = True
                elif prefix == "threads.item" and event == "start_map":
                    thread = {}
                elif prefix.startswith("threads.item.") and prefix.count(".") == 2:
                    if event in ("string", "boolean", "null"):
                        thread[prefix.rsplit(".", 1)[1]] = value
                    elif prefix == "threads.item.comments" and event == "start_array":
                        if not announced:
                            raise ImportFileError("The export names no source before its threads")
                        if not isinstance(thread.get("key"), str):
                            raise ImportFileError("A thread has no key before its comments")
                        yield ThreadRecord(
                            ref=thread["key"],
                            url=thread.get("url") or thread["key"],
                            title=thread.get("title") or "",
                            is_open=thread.get("open"),
                        )
                elif prefix == "threads.item.comments.item" and event == "start_map":
                    builder = ObjectBuilder()
                    builder.event(event, value)
        except ijson.JSONError as error:
            raise ImportFileError(f"The file is not valid JSON: {error}") from None
        except ijson.IncompleteJSONError as error:  # pragma: no cover - a JSONError
            raise ImportFileError(f"The file ends too soon: {error}") from None
