"""Remark42's backup (`remark42 backup`, the admin export, the daily automatic
backups: backend/app/migrator/native.go), gzip-compressed as Remark42 writes it
(`backup-<site>-<date>.gz`, `userbackup-<site>-<ts>.gz`) or not: one JSON value a
line. The first line is the meta record,

    {"version":1,"users":[{"id","blocked":{"status","until"},"verified",
                           "details":{"user_id","email"}}, …],
     "posts":[{"url","read_only"}, …]}

then every comment of the site, a page's comments together, oldest first
(store/comment.go):

    {"id","pid" ("" at the top),"text" (HTML, sanitised),"orig" (the Markdown the
     reader wrote; absent in imported comments),"user":{"name","id","picture","ip"
     (an HMAC of the address, not the address),"admin","block",…},
     "locator":{"site","url"},"score","vote","controversy","time" (RFC 3339 with
     the server's offset),"edit":{"time","summary"},"pin","delete","imported",
     "title"}

A deleted comment keeps its place with empty text ("delete":true). Remark42 has no
moderation queue: everything else is published; a blocked user's comments stay up,
marked, and are noted here. A user id is "<provider>_<sha1>" ("github_…",
"google_…", "email_…", "anonymous_…" for guests); ids from comments Remark42 itself
imported (Disqus, WordPress, Commento) are not accounts.
"""

import gzip
import json
import re
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime

from meydan.interchange.readers import open_maybe_gzip
from meydan.interchange.records import (
    CommentRecord,
    ImportFileError,
    Skipped,
    Source,
    ThreadRecord,
)

NAME = "remark42"
_HEAD = re.compile(rb'\A\s*\{\s*"version"\s*:\s*\d+\s*,\s*"(users|posts)"\s*:')
_PROVIDER = re.compile(r"\A([a-z][a-z0-9]*)_[0-9a-zA-Z]")
_GUESTS = {"anonymous"}
# A line longer than this is not a comment (Remark42 caps a comment at a few KB;
# the meta line grows with the users, ~150 bytes each).
MAX_LINE = 64 * 1024 * 1024


def sniff(path) -> bool:
    try:
        with open_maybe_gzip(path) as f:
            head = f.read(4096)
    except (OSError, EOFError, zlib.error):
        return False
    return bool(_HEAD.match(head))


def _lines(f) -> Iterator[tuple[int, object]]:
    """(line number, decoded JSON value) for each non-blank line."""
    number = 0
    while True:
        try:
            raw = f.readline(MAX_LINE + 1)
        except (EOFError, gzip.BadGzipFile, zlib.error) as error:
            raise ImportFileError(
                f"The gzip compression is damaged or cut short: {error}",
                code="bad_gzip",
                params={"detail": str(error)},
                line=number + 1,
            ) from None
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE:
            raise ImportFileError(
                f"A line is longer than {MAX_LINE // (1024 * 1024)} MiB; a Remark42 "
                "backup has one comment a line",
                code="line_too_long",
                params={"mib": MAX_LINE // (1024 * 1024)},
                line=number,
            )
        if not raw.strip():
            continue
        try:
            yield number, json.loads(raw)
        except UnicodeDecodeError:
            raise ImportFileError(
                "A line is not UTF-8 text", code="not_utf8", line=number
            ) from None
        except json.JSONDecodeError as error:
            cut = not raw.endswith(b"\n")
            hint = " (the file may be cut short)" if cut else ""
            detail = error.msg.removesuffix(" at").lower()
            raise ImportFileError(
                f"A line is not valid JSON: {detail}{hint}",
                code="truncated" if cut else "bad_json",
                params={"detail": detail},
                line=number,
                column=error.colno,
            ) from None
        except RecursionError:
            raise ImportFileError("A line nests too deeply", code="too_deep", line=number) from None


def _str(obj, key: str, number: int, *, required: bool = False) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    if value is None:
        if required:
            raise ImportFileError(
                f'A comment has no "{key}"', code="missing", params={"field": key}, line=number
            )
        return ""
    if not isinstance(value, str):
        raise ImportFileError(
            f'A comment\'s "{key}" is not a string',
            code="bad_value",
            params={"field": key, "value": f"{value!r:.40}"},
            line=number,
        )
    return value


def _date(value: str, number: int, what: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ImportFileError(
            f"A comment's {what} is not a readable date: {value!r:.40}",
            code="bad_date",
            params={"value": f"{value!r:.40}"},
            line=number,
        ) from None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _meta(number: int, value) -> tuple[dict[str, str], set[str], set[str]]:
    """Users' addresses by id, the blocked users and the read-only pages, from the
    meta line."""
    if not isinstance(value, dict) or "version" not in value:
        raise ImportFileError(
            "This is not a Remark42 backup: its first line is not the meta record "
            '({"version":…,"users":…,"posts":…})',
            code="wrong_format",
            params={"format": "Remark42"},
            line=number,
        )
    if value["version"] not in (0, 1):
        raise ImportFileError(
            f"This is version {value['version']!r} of Remark42's backup; 0 and 1 are read",
            code="version",
            params={"format": "Remark42", "version": repr(value["version"])},
            line=number,
        )
    users, posts = value.get("users") or [], value.get("posts") or []
    if not isinstance(users, list) or not isinstance(posts, list):
        raise ImportFileError(
            'The meta record\'s "users" or "posts" is not a list',
            code="bad_value",
            params={"field": "users, posts"},
            line=number,
        )
    emails: dict[str, str] = {}
    blocked: set[str] = set()
    for user in users:
        if not isinstance(user, dict):
            continue
        details, block = user.get("details"), user.get("blocked")
        if isinstance(details, dict) and isinstance(details.get("email"), str):
            emails[str(user.get("id"))] = details["email"].strip()
        if isinstance(block, dict) and block.get("status") is True:
            blocked.add(str(user.get("id")))
    closed = {
        post["url"]
        for post in posts
        if isinstance(post, dict)
        and post.get("read_only") is True
        and isinstance(post.get("url"), str)
    }
    return emails, blocked, closed


def _provider(user_id: str, imported: bool) -> str:
    if imported:
        return ""
    found = _PROVIDER.match(user_id)
    if not found or found.group(1) in _GUESTS:
        return ""
    return found.group(1)


def read(path) -> Iterator:
    try:
        f = open_maybe_gzip(path)
    except OSError as error:
        detail = str(error.strerror or error)
        raise ImportFileError(
            f"The file cannot be read: {detail}", code="unreadable", params={"detail": detail}
        ) from None
    with f:
        lines = _lines(f)
        first = next(lines, None)
        if first is None:
            raise ImportFileError("The file is empty", code="empty")
        emails, blocked, closed = _meta(*first)
        announced = False
        threads: set[str] = set()
        for number, value in lines:
            if not isinstance(value, dict):
                raise ImportFileError(
                    "A line is not a comment (a JSON object)",
                    code="bad_value",
                    params={"field": "comment", "value": f"{value!r:.40}"},
                    line=number,
                )
            locator = value.get("locator")
            user = value.get("user")
            if not isinstance(locator, dict) or not isinstance(user, dict):
                raise ImportFileError(
                    'A comment has no "locator" or "user"',
                    code="missing",
                    params={"field": "locator, user"},
                    line=number,
                )
            if not announced:
                yield Source(_str(locator, "site", number) or "remark42")
                announced = True
            ref = _str(value, "id", number, required=True)
            created = _date(_str(value, "time", number, required=True), number, "time")
            if value.get("delete") is True:
                yield Skipped("deleted in Remark42")
                continue
            orig, text = _str(value, "orig", number), _str(value, "text", number)
            body, body_format = (orig, "markdown") if orig.strip() else (text, "html")
            if not body.strip():
                yield Skipped("no text")
                continue
            url = _str(locator, "url", number, required=True)
            if url not in threads:
                threads.add(url)
                yield ThreadRecord(
                    ref=url,
                    url=url,
                    title=_str(value, "title", number).strip(),
                    is_open=False if url in closed else None,
                )
            edit = value.get("edit")
            edited = None
            if isinstance(edit, dict) and edit.get("time"):
                edited = _date(_str(edit, "time", number), number, "edit time")
            user_id = _str(user, "id", number)
            parent = _str(value, "pid", number)
            yield CommentRecord(
                ref=ref,
                thread_ref=url,
                parent_ref=parent or None,
                body=body,
                body_format=body_format,
                created=created,
                edited=edited,
                status="approved",
                name=_str(user, "name", number).strip(),
                email=emails.get(user_id, ""),
                provider=_provider(user_id, value.get("imported") is True),
                notes=["author blocked in Remark42"]
                if user.get("block") is True or user_id in blocked
                else [],
            )
        if not announced:
            yield Source("remark42")
