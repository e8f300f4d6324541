"""Isso's database (the comments.db its [general] dbpath names), an SQLite file: Isso
has no export, the database is the backup (isso/db/threads.py, isso/db/comments.py).

    threads(id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256))
    comments(tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER,
             created FLOAT NOT NULL, modified FLOAT, mode INTEGER, remote_addr VARCHAR,
             text VARCHAR NOT NULL, author VARCHAR, email VARCHAR, website VARCHAR,
             likes, dislikes, voters BLOB, notification)

`uri` is the page's path as the embed sent it; `created`/`modified` are Unix times
(UTC); `mode` is 1 accepted, 2 waiting for moderation, 4 deleted (a placeholder
kept, its text, author and website emptied, because it has replies). `text` is
the Markdown the reader wrote; author, email and website were HTML-escaped on the
way in (views/comments.py) and are unescaped here. `remote_addr` is already
anonymised by Isso (the last IPv4 octet, the last 80 bits of IPv6, zeroed).

Isso keeps replies one level deep: a reply to a reply is stored under the
top-level comment (Comments.add). Isso has no accounts, so no provider; no spam
state either (its guard refuses, it does not keep).

The file is opened read-only, with the schema untrusted (no functions from views,
triggers or generated columns), and read with cursors, a row at a time.
"""

import hashlib
import html
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from meydan.interchange.records import (
    CommentRecord,
    ImportFileError,
    Skipped,
    Source,
    ThreadRecord,
)

NAME = "isso"
_MAGIC = b"SQLite format 3\x00"
_STATUS = {1: "approved", 2: "pending"}
_DELETED = 4
_COLUMNS = {
    "threads": {"id", "uri", "title"},
    "comments": {"tid", "id", "parent", "created", "modified", "mode", "remote_addr", "text",
                 "author", "email", "website"},
}  # fmt: skip


def _has_magic(path) -> bool:
    with open(path, "rb") as f:
        return f.read(len(_MAGIC)) == _MAGIC


def _connect(path) -> sqlite3.Connection:
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    connection = sqlite3.connect(uri, uri=True)
    # Nothing in the file may run functions with side effects, and nothing is written.
    connection.execute("PRAGMA trusted_schema = OFF")
    connection.execute("PRAGMA query_only = ON")
    return connection


def _tables(connection) -> dict[str, str]:
    rows = connection.execute(
        "SELECT name, type FROM sqlite_master WHERE name IN ('threads', 'comments', 'preferences')"
    )
    return {name: kind for name, kind in rows}


def sniff(path) -> bool:
    try:
        if not _has_magic(path):
            return False
        connection = _connect(path)
        try:
            tables = _tables(connection)
        finally:
            connection.close()
    except (OSError, sqlite3.Error):
        return False
    return tables.get("threads") == "table" and tables.get("comments") == "table"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _time(value, comment_id, what: str) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            pass
    raise ImportFileError(
        f"Comment {comment_id} has no readable {what} time ({value!r})",
        code="bad_date",
        params={"value": repr(value)},
    )


def _source(connection, tables) -> Source:
    """Isso names no site. Its session key, made once when the database is created,
    identifies this installation; it is a secret, so only a digest of it is used."""
    if tables.get("preferences") == "table":
        try:
            row = connection.execute(
                "SELECT value FROM preferences WHERE key = 'session-key'"
            ).fetchone()
        except sqlite3.Error:
            row = None
        if row and row[0]:
            digest = hashlib.sha256(b"meydan isso source:" + _text(row[0]).encode()).hexdigest()
            return Source(f"isso-{digest[:16]}")
    return Source("isso")


def _check_schema(connection) -> dict[str, str]:
    tables = _tables(connection)
    missing = [name for name in ("threads", "comments") if tables.get(name) != "table"]
    if missing:
        raise ImportFileError(
            "This SQLite database is not an Isso comments database: it has no "
            + " and no ".join(f"{name!r} table" for name in missing),
            code="wrong_format",
            params={"format": "Isso"},
        )
    for table, needed in _COLUMNS.items():
        columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        absent = sorted(needed - columns)
        if absent:
            raise ImportFileError(
                f"The {table!r} table is not Isso's: it has no column {', '.join(absent)}",
                code="wrong_format",
                params={"format": "Isso"},
            )
    return tables


def read(path) -> Iterator:
    try:
        if not _has_magic(path):
            raise ImportFileError(
                "This is not an SQLite database, so not an Isso comments database "
                "(Isso's backup is its comments.db file)",
                code="wrong_format",
                params={"format": "Isso"},
            )
        connection = _connect(path)
    except OSError as error:
        detail = str(error.strerror or error)
        raise ImportFileError(
            f"The file cannot be read: {detail}", code="unreadable", params={"detail": detail}
        ) from None
    except sqlite3.Error as error:
        raise ImportFileError(
            f"The SQLite database cannot be opened: {error}",
            code="bad_sqlite",
            params={"detail": str(error)},
        ) from None
    try:
        yield from _read(connection)
    except sqlite3.Error as error:
        raise ImportFileError(
            f"The SQLite database is damaged or unreadable: {error}",
            code="bad_sqlite",
            params={"detail": str(error)},
        ) from None
    finally:
        connection.close()


def _read(connection) -> Iterator:
    tables = _check_schema(connection)
    yield _source(connection, tables)

    threads: set[int] = set()
    for thread_id, uri, title in connection.execute(
        "SELECT id, uri, title FROM threads ORDER BY id"
    ):
        threads.add(thread_id)
        yield ThreadRecord(ref=str(thread_id), url=_text(uri), title=_text(title).strip())

    rows = connection.execute(
        "SELECT id, tid, parent, created, modified, mode, remote_addr, text, author, email,"
        " website FROM comments ORDER BY id"
    )
    for cid, tid, parent, created, modified, mode, addr, text, author, email, website in rows:
        if mode == _DELETED:
            yield Skipped("deleted in Isso (an empty placeholder kept for its replies)")
            continue
        if mode not in _STATUS:
            yield Skipped(f"unknown Isso mode {mode!r}")
            continue
        if tid not in threads:
            yield Skipped("its thread is not in the database")
            continue
        body = _text(text)
        if not body.strip():
            yield Skipped("no text")
            continue
        ip = _text(addr).strip()
        yield CommentRecord(
            ref=str(cid),
            thread_ref=str(tid),
            parent_ref=None if parent in (None, 0, "") else str(parent),
            body=body,
            body_format="markdown",
            created=_time(created, cid, "creation"),
            edited=None if modified is None else _time(modified, cid, "modification"),
            status=_STATUS[mode],
            name=html.unescape(_text(author)).strip(),
            email=html.unescape(_text(email)).strip(),
            url=html.unescape(_text(website)).strip(),
            ip="" if ip == "0.0.0.0" else ip,  # noqa: S104 - Isso's "no address"
        )
