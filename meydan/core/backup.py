"""Backups: a consistent copy of the database while the site is written to, and a
restore into an empty database (`meydan backup`, `meydan restore`; docs/backups.md).

SQLite (the embedded default, in WAL mode): SQLite's online backup API copies the
live file page by page from one read transaction. In WAL mode that transaction is a
snapshot: writers go on committing to the WAL while it lasts and are never made to
wait, and the copy is the database as it was when the snapshot was taken. (Without
WAL, a step-wise copy starts again whenever another connection writes, so it is
copied in one step, during which writers wait up to their busy timeout.) The copy
is written to a temporary file beside the destination, switched to a rollback
journal (one self-contained file), checked with `PRAGMA integrity_check`, synced,
and only then renamed into place.

PostgreSQL: `pg_dump --format=custom` (its own consistent snapshot), to a temporary
file renamed into place once `pg_restore --list` can read it. The password goes in
PGPASSWORD, never on a command line.

A restore refuses a target that holds any site or comment, a backup of the other
engine, and a file that is damaged, before it changes anything. A PostgreSQL restore
runs in one transaction: all of it or nothing.
"""

import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
SQLITE_HEADER = b"SQLite format 3\x00"
PG_HEADER = b"PGDMP"  # pg_dump's custom format
PAGES_PER_STEP = 1024  # 4 MB at SQLite's default page size
PG_CLIENT_HINT = (
    "Install PostgreSQL's client tools, of the server's major version or newer "
    "(Debian and Ubuntu: apt install postgresql-client)."
)
ENGINES_HINT = (
    "A backup restores into the engine it was made from. To move a site between SQLite "
    "and PostgreSQL, use `meydan export --site KEY --format meydan` and `meydan import` "
    "(docs/importing.md)."
)


class BackupError(Exception):
    """What went wrong, for the operator; nothing is left half-written."""


@dataclass(frozen=True)
class Summary:
    path: Path
    size: int  # bytes
    comments: int | None  # None: not counted (not a Meydan database yet)
    sites: int | None
    seconds: float
    note: str = ""


def configured_engine() -> str:
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        return SQLITE
    if engine == "django.db.backends.postgresql":
        return POSTGRESQL
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {engine}.")


def sqlite_path() -> Path:
    return Path(settings.DATABASES["default"]["NAME"])


def detect_format(path: Path) -> str:
    """SQLITE or POSTGRESQL, from the file's first bytes."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError as error:
        raise BackupError(f"Cannot read {path}: {error.strerror}.") from None
    if head.startswith(SQLITE_HEADER):
        return SQLITE
    if head.startswith(PG_HEADER):
        return POSTGRESQL
    if head.startswith(b"--") or head.startswith(b"\n--"):
        raise BackupError(
            f"{path} looks like a plain SQL dump: restore it with psql into an empty "
            "database. `meydan restore` reads SQLite backups and pg_dump's custom format."
        )
    raise BackupError(
        f"{path} is not a Meydan backup: neither an SQLite database nor a pg_dump "
        "archive in custom format."
    )


def _table_names() -> tuple[str, str]:
    return (
        apps.get_model("comments", "Comment")._meta.db_table,
        apps.get_model("meydan_sites", "Site")._meta.db_table,
    )


def _sqlite_counts(db: sqlite3.Connection) -> tuple[int | None, int | None]:
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    counts = []
    for table in _table_names():
        if table in tables:
            counts.append(db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])  # noqa: S608 - our own table name
        else:
            counts.append(None)
    return counts[0], counts[1]


def _integrity(db: sqlite3.Connection) -> str:
    """'' when the database passes SQLite's integrity check, else what it found."""
    rows = [row[0] for row in db.execute("PRAGMA integrity_check")]
    return "" if rows == ["ok"] else "; ".join(rows[:5])


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _atomic_file(path: Path, *, force: bool) -> Iterator[Path]:
    """A temporary file beside `path`, renamed to `path` if the block succeeds and
    removed (with any SQLite journal beside it) if it does not."""
    if path.exists() and not force:
        raise BackupError(f"{path} already exists. Choose another name, or add --force.")
    if not path.parent.is_dir():
        raise BackupError(f"The directory {path.parent} does not exist.")
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    except OSError as error:
        raise BackupError(f"Cannot write in {path.parent}: {error.strerror}.") from None
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        _fsync(temporary)
        if path.exists() and not force:
            raise BackupError(f"{path} appeared while the backup was made; it was left alone.")
        os.replace(temporary, path)
        _fsync(path.parent)
    finally:
        for leftover in (
            temporary,
            *(Path(f"{name}{end}") for end in ("-journal", "-wal", "-shm")),
        ):
            leftover.unlink(missing_ok=True)


# --- SQLite -------------------------------------------------------------------------


def sqlite_backup(source: Path, destination: Path, *, force: bool = False) -> Summary:
    if not source.is_file():
        raise BackupError(
            f"There is no database at {source}. Is MEYDAN_VAR_DIR (or DATABASE_URL) the "
            "one the site runs with?"
        )
    started = time.monotonic()
    try:
        live = sqlite3.connect(f"{source.as_uri()}?mode=rw", uri=True, timeout=20)
    except sqlite3.Error as error:
        raise BackupError(f"Cannot open {source}: {error}") from None
    try:
        wal = live.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        if wal:
            # The snapshot: every page is read as of this first read.
            live.execute("BEGIN")
            live.execute("SELECT count(*) FROM sqlite_master").fetchone()
        with _atomic_file(destination, force=force) as temporary:
            copy = sqlite3.connect(temporary)
            try:
                live.backup(copy, pages=PAGES_PER_STEP if wal else -1)
                copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
                problems = _integrity(copy)
                if problems:
                    raise BackupError(f"The copy fails SQLite's integrity check: {problems}")
                comments, sites = _sqlite_counts(copy)
                if comments is None or sites is None:
                    raise BackupError(
                        f"The database at {source} has no Meydan tables: run `meydan migrate`, "
                        "or check MEYDAN_VAR_DIR and DATABASE_URL."
                    )
            finally:
                copy.close()
            size = temporary.stat().st_size
    except sqlite3.Error as error:
        raise BackupError(f"The backup of {source} failed: {error}") from None
    finally:
        live.close()
    return Summary(destination, size, comments, sites, time.monotonic() - started)


def _open_backup(path: Path) -> sqlite3.Connection:
    """The SQLite backup at `path`, read-only and left untouched, once it has passed
    the integrity check and holds Meydan's tables."""
    try:
        backup = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as error:
        raise BackupError(f"Cannot open {path}: {error}") from None
    try:
        problems = _integrity(backup)
        if problems:
            backup.close()
            raise BackupError(
                f"{path} is damaged: it fails SQLite's integrity check ({problems}). "
                "Nothing was restored."
            )
        comments, sites = _sqlite_counts(backup)
    except sqlite3.DatabaseError as error:
        backup.close()
        raise BackupError(
            f"{path} is damaged or incomplete (SQLite: {error}). Nothing was restored."
        ) from None
    if comments is None or sites is None:
        backup.close()
        raise BackupError(f"{path} is an SQLite database, but not a Meydan one.")
    return backup


def sqlite_target_counts(target: Path) -> tuple[int, int]:
    """(comments, sites) in the configured SQLite database; (0, 0) when there is none."""
    if not target.exists():
        return 0, 0
    try:
        db = sqlite3.connect(f"{target.as_uri()}?mode=ro", uri=True, timeout=20)
        try:
            comments, sites = _sqlite_counts(db)
        finally:
            db.close()
    except sqlite3.Error as error:
        raise BackupError(f"Cannot read the database at {target}: {error}") from None
    return comments or 0, sites or 0


def sqlite_restore(backup_path: Path, target: Path) -> Summary:
    started = time.monotonic()
    backup = _open_backup(backup_path)
    created = not target.exists()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if created:  # owner-only, like the secret key beside it
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        restored = sqlite3.connect(target, timeout=20)
        try:
            # One write transaction on the target, committed at the end: a failure
            # half-way leaves it as it was.
            backup.backup(restored, pages=PAGES_PER_STEP)
            comments, sites = _sqlite_counts(restored)
        finally:
            restored.close()
    except sqlite3.Error as error:
        if created:
            target.unlink(missing_ok=True)
        raise BackupError(
            f"Restoring into {target} failed: {error}. Nothing was restored."
        ) from None
    finally:
        backup.close()
    return Summary(target, target.stat().st_size, comments, sites, time.monotonic() - started)


# --- PostgreSQL -----------------------------------------------------------------------

# Connection options dj-database-url may put in OPTIONS, as libpq's conninfo keys.
_CONNINFO_OPTIONS = {
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslcrl",
    "connect_timeout",
    "options",
    "application_name",
    "target_session_attrs",
    "passfile",
    "service",
}


def _quote(value: str) -> str:
    escaped = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def pg_connection(db: dict | None = None) -> tuple[str, dict]:
    """(conninfo without the password, environment with PGPASSWORD) for libpq tools."""
    db = db or settings.DATABASES["default"]
    parts = {"dbname": db["NAME"], "host": db.get("HOST"), "port": db.get("PORT")}
    parts["user"] = db.get("USER")
    for key, value in (db.get("OPTIONS") or {}).items():
        if key in _CONNINFO_OPTIONS:
            parts[key] = value
    conninfo = " ".join(f"{key}={_quote(value)}" for key, value in parts.items() if value)
    env = {**os.environ}
    env.pop("PGPASSWORD", None)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return conninfo, env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed or not on PATH. {PG_CLIENT_HINT}")
    return path


def _run(argv: list[str], env: dict, what: str, then: str = "") -> None:
    """Run a libpq tool; BackupError with `what`, its own words and `then` if it fails."""
    result = subprocess.run(argv, env=env, capture_output=True, text=True)  # noqa: S603 - libpq tools, fixed arguments
    if result.returncode != 0:
        detail = (
            result.stderr.strip() or result.stdout.strip() or f"exit status {result.returncode}"
        )
        raise BackupError(f"{what}:\n{detail[-3000:]}" + (f"\n{then}" if then else ""))


def pg_counts() -> tuple[int | None, int | None]:
    existing = set(connection.introspection.table_names())
    counts = []
    with connection.cursor() as cursor:
        for table in _table_names():
            if table in existing:
                cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our own table name
                counts.append(cursor.fetchone()[0])
            else:
                counts.append(None)
    return counts[0], counts[1]


def pg_backup(destination: Path, *, force: bool = False) -> Summary:
    pg_dump = _pg_tool("pg_dump")
    pg_restore = _pg_tool("pg_restore")
    conninfo, env = pg_connection()
    started = time.monotonic()
    comments, sites = pg_counts()
    connection.close()
    with _atomic_file(destination, force=force) as temporary:
        _run(
            [
                pg_dump,
                "--format=custom",
                "--no-password",
                f"--file={temporary}",
                f"--dbname={conninfo}",
            ],
            env,
            "pg_dump failed",
        )
        _run([pg_restore, "--list", str(temporary)], env, "pg_restore cannot read the dump back")
        size = temporary.stat().st_size
    note = "counted as the dump began"
    return Summary(destination, size, comments, sites, time.monotonic() - started, note)


def pg_restore(backup_path: Path) -> Summary:
    pg_restore_exe = _pg_tool("pg_restore")
    conninfo, env = pg_connection()
    started = time.monotonic()
    _run(
        [pg_restore_exe, "--list", str(backup_path)],
        env,
        f"{backup_path} is damaged or incomplete (pg_restore cannot read it)",
        "Nothing was restored.",
    )
    connection.close()
    _run(
        [
            pg_restore_exe,
            "--no-owner",
            "--no-privileges",
            "--single-transaction",  # all or nothing
            "--exit-on-error",
            "--no-password",
            f"--dbname={conninfo}",
            str(backup_path),
        ],
        env,
        f"pg_restore of {backup_path} failed",
        "Nothing was restored: pg_restore ran in one transaction, which was rolled back.",
    )
    comments, sites = pg_counts()
    size = backup_path.stat().st_size
    return Summary(backup_path, size, comments, sites, time.monotonic() - started)


def pg_target_tables() -> list[str]:
    return sorted(connection.introspection.table_names())


def default_name(engine: str) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return f"meydan-{stamp}.{'sqlite3' if engine == SQLITE else 'dump'}"
