"""Build isso.db, a small Isso comments database, next to this file.

The tables are made with the statements Isso 0.13 runs (isso/db/threads.py,
comments.py, preferences.py and the trigger in isso/db/__init__.py, user_version 5),
and the rows are what Isso writes: replies one level deep (a reply to a reply is
stored under the top-level comment), author/email/website HTML-escaped, addresses
anonymised, times as Unix floats, a deleted comment with replies kept as an empty
mode-4 placeholder.

    .venv/bin/python tests/interchange/samples/make_isso_db.py
"""

import hashlib
import sqlite3
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE / "isso.db"

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS preferences (    key VARCHAR PRIMARY KEY, value VARCHAR );",
    "CREATE TABLE IF NOT EXISTS threads (     id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE,"
    " title VARCHAR(256))",
    """
            CREATE TABLE IF NOT EXISTS comments (
                tid REFERENCES threads(id),
                id INTEGER PRIMARY KEY,
                parent INTEGER,
                created FLOAT NOT NULL,
                modified FLOAT,
                mode INTEGER,
                remote_addr VARCHAR,
                text VARCHAR NOT NULL,
                author VARCHAR,
                email VARCHAR,
                website VARCHAR,
                likes INTEGER DEFAULT 0,
                dislikes INTEGER DEFAULT 0,
                voters BLOB NOT NULL,
                notification INTEGER DEFAULT 0
            );
        """,
    "PRAGMA user_version = 5",
    "CREATE TRIGGER IF NOT EXISTS remove_stale_threads AFTER DELETE ON comments BEGIN"
    "     DELETE FROM threads WHERE id NOT IN (SELECT tid FROM comments); END",
]

THREADS = [
    (1, "/2024/05/siyasi-mehbuslar/", "Siyasi məhbuslar haqqında"),
    (2, "/ru/2024/06/svoboda-pressy/", "Свобода прессы — 2024"),
]

# tid, id, parent, created, modified, mode, remote_addr, text, author, email, website,
# likes, dislikes, notification
COMMENTS = [
    (1, 1, None, 1715162400.25, None, 1, "192.0.2.0",
     "**Azadlıq siyasi məhbuslara!**\n\nBax: [Amnesty hesabatı]"
     "(https://www.amnesty.org/en/location/europe-and-central-asia/azerbaijan/)",
     "Aysel Məmmədova", "aysel@example.az", "https://aysel.example.az/", 3, 0, 1),
    (1, 2, 1, 1715166000.5, 1715169600.75, 1, "2001:0db8:85a3:0000:0000:0000:0000:0000",
     "> Azadlıq siyasi məhbuslara!\n\nTamamilə razıyam 👍", "Rəşad &amp; dostları", None,
     None, 1, 0, 0),
    # A reply to comment 2: Isso stores it under comment 1.
    (1, 3, 1, 1715173200.0, None, 2, "198.51.100.0", "Bəs bu barədə rəsmi mövqe nədir?",
     None, None, None, 0, 0, 0),
    # Deleted after it was replied to: emptied, kept for comment 5.
    (1, 4, None, 1715180400.125, None, 4, "203.0.113.0", "", None, "gone@example.org",
     None, 0, 0, 0),
    (1, 5, 4, 1715184000.0, None, 1, "192.0.2.0", "Bu şərh niyə silindi?", "Elvin",
     "elvin@example.az", None, 0, 1, 0),
    (2, 6, None, 1717236000.0, None, 1, "198.51.100.0",
     "Свобода слова — это *основа* демократии. 🗞️", "Иван Петров", "ivan@example.ru",
     "https://example.ru/?a=1&amp;b=2", 2, 0, 0),
    (2, 7, 6, 1717239600.0, None, 2, "203.0.113.0", "Согласна, но кто это проверит?",
     "Мария", "maria@example.ru", None, 0, 0, 0),
    # Migrated by `isso import` from WordPress, which had no address: "0.0.0.0".
    (2, 8, 6, 1717243200.0, None, 1, "0.0.0.0", "Old comment from WordPress.",  # noqa: S104
     "Guest &lt;3", None, None, 0, 0, 0),
]  # fmt: skip


def voters(address: str) -> bytes:
    """A 256-byte Bloom filter with the author's address in it, as Isso keeps (the
    reader ignores it; its bits here are only plausible)."""
    bits = bytearray(256)
    for i in range(11):
        n = int.from_bytes(hashlib.sha256(f"{i}:{address}".encode()).digest()[:4], "big") % 2048
        bits[n // 8] |= 1 << (n % 8)
    return bytes(bits)


def build(target: Path = TARGET) -> Path:
    target.unlink(missing_ok=True)
    connection = sqlite3.connect(target)
    with connection:
        for statement in SCHEMA:
            connection.execute(statement)
        connection.execute(
            "INSERT INTO preferences (key, value) VALUES (?, ?)",
            ("session-key", "5f2b0c1e9a7d4c3b8e6f1a2d3c4b5a69788796a5b4c3d2e1"),
        )
        connection.executemany("INSERT INTO threads (id, uri, title) VALUES (?, ?, ?)", THREADS)
        for row in COMMENTS:
            *head, likes, dislikes, notification = row
            connection.execute(
                "INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr,"
                " text, author, email, website, likes, dislikes, voters, notification)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*head, likes, dislikes, voters(row[6]), notification),
            )
    connection.close()
    return target


if __name__ == "__main__":
    print(build())  # noqa: T201
