"""`meydan backup` and `meydan restore` as an operator runs them: against real
database files (SQLite in a scratch MEYDAN_VAR_DIR, PostgreSQL in scratch databases),
never the in-memory test database.

The key test takes a backup while several threads keep posting, restores it into an
empty database, and checks that every comment acknowledged before the backup began is
there, that the copy is consistent (each thread's counters match its rows) and that
the restored site serves. The others check the refusals: an existing PATH, a target
that holds comments, a backup of the other engine or of no known format, a damaged
file; each leaves everything as it was."""

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import require_tool

pytestmark = pytest.mark.slow

MEYDAN = str(Path(sys.executable).with_name("meydan"))
ARTICLE = "/baku-opposition-rally/"
SITE = "caspian-ledger"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def meydan_env(var: Path, database_url: str = "", **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEYDAN_", "DATABASE_"))}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(MEYDAN_VAR_DIR=str(var), DATABASE_URL=database_url, MEYDAN_DEBUG="0", **extra)
    return env


def meydan(env: dict, *args, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(  # noqa: S603 - our own command
        [MEYDAN, *args], env=env, capture_output=True, text=True, timeout=300
    )
    if check:
        assert result.returncode == 0, f"meydan {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


def seed(env: dict, domain: str = "127.0.0.1:8000") -> None:
    meydan(env, "migrate", "-v0")
    meydan(env, "meydan_demo", "--domain", domain)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A seeded SQLite installation and a backup of it: (var, env, backup file)."""
    var = tmp_path_factory.mktemp("backup-source")
    env = meydan_env(var)
    seed(env)
    path = var.parent / "made.sqlite3"
    meydan(env, "backup", str(path))
    return var, env, path


# --- PostgreSQL scratch databases ------------------------------------------------------


def _admin_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    return url


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def _postgres_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect(_with_database(_admin_url(), "postgres"), connect_timeout=2).close()
    except Exception:  # noqa: BLE001 - any failure means: not available here
        return False
    return True


@pytest.fixture
def scratch_databases():
    """make(suffix) -> the URL of a freshly created, empty database; all dropped after."""
    require_tool(_postgres_reachable(), "PostgreSQL is not reachable (127.0.0.1:5432)")
    require_tool(bool(shutil.which("pg_dump")), "pg_dump is not installed (postgresql-client)")
    require_tool(bool(shutil.which("pg_restore")), "pg_restore is not installed")
    import psycopg

    admin = _with_database(_admin_url(), "postgres")
    made = []

    def make(suffix: str) -> str:
        name = f"meydan_backup_test_{os.getpid()}_{suffix}"
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            db.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return _with_database(_admin_url(), name)

    yield make
    with psycopg.connect(admin, autocommit=True) as db:
        for name in made:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_query(url: str, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url) as db:
        return db.execute(sql).fetchall()


# --- The backup under writes ---------------------------------------------------------------

POSTER = r"""
import os, sys, threading, time
import django
django.setup()
from django.db import connection
from meydan.comments import services
from meydan.comments.models import Thread

stop, workers = sys.argv[1], int(sys.argv[2])
lock = threading.Lock()

def post(worker):
    thread = Thread.objects.select_related("site").get(key="/baku-opposition-rally/")
    n = 0
    try:
        while not os.path.exists(stop):
            n += 1
            result = services.comment_post(
                thread=thread,
                author=services.Author(name=f"Poster {worker}", email=f"p{worker}@example.org"),
                body=f"Posted while a backup ran: {worker}.{n}",
                channel="command",
                moderate=False,
            )
            # Acknowledged: comment_post has committed.
            with lock:
                print(result.comment.pk, f"{time.time():.6f}", flush=True)
    finally:
        connection.close()

threads = [threading.Thread(target=post, args=(i,)) for i in range(workers)]
for t in threads:
    t.start()
for t in threads:
    t.join()
"""


class Posters:
    """Threads posting comments through the service in another process, each printing
    the id and the time of every comment once it is committed."""

    def __init__(self, env: dict, scratch: Path, workers: int = 4):
        self.stop = scratch / "stop-posting"
        self.acks: list[tuple[int, float]] = []
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", POSTER, str(self.stop), str(workers)],
            env={**env, "DJANGO_SETTINGS_MODULE": "meydan.settings"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            pk, at = line.split()
            self.acks.append((int(pk), float(at)))

    def wait_for(self, count: int, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while len(self.acks) < count:
            assert self.process.poll() is None, self.process.stderr.read()
            assert time.monotonic() < deadline, f"only {len(self.acks)} comments posted"
            time.sleep(0.05)

    def finish(self):
        self.stop.touch()
        try:
            self.process.wait(timeout=60)
        finally:
            if self.process.poll() is None:
                self.process.kill()
        self.reader.join(timeout=10)
        assert self.process.returncode == 0, self.process.stderr.read()


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        return response.status, response.read()


def assert_serves(env: dict, port: int, expected_count: int, scratch: Path) -> None:
    """`meydan serve` on the restored database answers the article and its count."""
    log = open(scratch / "serve.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(  # noqa: S603 - our own command
        [MEYDAN, "serve", "--no-collectstatic", "--port", str(port), "--workers", "1"],
        env={**env, "MEYDAN_ALLOWED_HOSTS": "127.0.0.1"},
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                get(base + "/api/v1/me")
                break
            except OSError:
                assert process.poll() is None, (scratch / "serve.log").read_text()
                time.sleep(0.1)
        status, body = get(f"{base}/api/v1/counts?site={SITE}&url={ARTICLE}")
        assert status == 200 and json.loads(body)["counts"][ARTICLE] == expected_count
        status, body = get(base + ARTICLE)
        assert status == 200 and b"Thousands rally in Baku" in body
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        log.close()


def thread_consistency(rows: list[tuple]) -> None:
    """(last_seq, comment_count, max seq, approved rows) of the thread: the counters are
    written in the same transaction as each comment, so a torn copy would differ."""
    ((last_seq, comment_count, max_seq, approved),) = rows
    assert last_seq == max_seq
    assert comment_count == approved


CONSISTENCY_SQL = """
SELECT t.last_seq, t.comment_count, max(c.seq),
       sum(CASE WHEN c.status = 'approved' THEN 1 ELSE 0 END)
FROM comments_thread t JOIN comments_comment c ON c.thread_id = t.id
WHERE t.key = '/baku-opposition-rally/' GROUP BY t.last_seq, t.comment_count
"""


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_backup_taken_while_comments_are_posted_restores_every_acknowledged_one(
    engine, tmp_path, request
):
    port = free_port()
    source_var, target_var = tmp_path / "source", tmp_path / "target"
    if engine == "postgresql":
        make = request.getfixturevalue("scratch_databases")
        source_url, target_url = make("source"), make("target")
        path = tmp_path / "site.dump"
    else:
        source_url = target_url = ""
        path = tmp_path / "site.sqlite3"
    source = meydan_env(source_var, source_url)
    seed(source, domain=f"127.0.0.1:{port}")

    posters = Posters(source, tmp_path)
    try:
        posters.wait_for(40)
        started = time.time()
        backed_up = meydan(source, "backup", str(path))
        ended = time.time()
        posters.wait_for(len(posters.acks) + 20)  # and writes go on after it
    finally:
        posters.finish()
    before = {pk for pk, at in posters.acks if at < started}
    during = [pk for pk, at in posters.acks if started <= at <= ended]
    # The numbers, for whoever runs this with -s.
    print(f"\n{engine}: {backed_up.stdout.strip()}")  # noqa: T201
    print(  # noqa: T201
        f"{engine}: {len(before)} comments acknowledged before the backup, {len(during)} "
        f"while it ran ({ended - started:.2f} s), {len(posters.acks)} in all"
    )
    assert before and during, "the backup must run while comments are posted"
    assert not path.with_name(path.name + ".partial").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []

    target = meydan_env(target_var, target_url)
    restored = meydan(target, "restore", str(path))
    assert "Restored" in restored.stdout and "Migrations: up to date." in restored.stdout

    if engine == "sqlite":
        with sqlite3.connect(target_var / "meydan.sqlite3") as db:
            ids = {row[0] for row in db.execute("SELECT id FROM comments_comment")}
            consistency = db.execute(CONSISTENCY_SQL).fetchall()
        counted = re.search(r"Backed up ([\d,]+) comments", backed_up.stdout)[1]
        assert int(counted.replace(",", "")) == len(ids)
    else:
        ids = {row[0] for row in pg_query(target_url, "SELECT id FROM comments_comment")}
        consistency = pg_query(target_url, CONSISTENCY_SQL)
    assert before <= ids, f"missing after restore: {sorted(before - ids)[:10]}"
    assert ids <= {pk for pk, _ in posters.acks} | set(range(1, 9)), "only real comments"
    thread_consistency(consistency)

    assert meydan(target, "check").returncode == 0
    assert_serves(target, port, expected_count=len(ids), scratch=tmp_path)


# --- Refusals ------------------------------------------------------------------------------------


def test_backup_refuses_an_existing_path_unless_forced(made, tmp_path):
    _var, env, _backup = made
    path = tmp_path / "backup.sqlite3"
    path.write_bytes(b"an older backup")
    refused = meydan(env, "backup", str(path), check=False)
    assert refused.returncode == 1
    assert "already exists" in refused.stderr and "--force" in refused.stderr
    assert path.read_bytes() == b"an older backup"

    forced = meydan(env, "backup", str(path), "--force")
    assert "8 comments on 1 site" in forced.stdout and "integrity check passed" in forced.stdout
    assert path.read_bytes().startswith(b"SQLite format 3\x00")
    assert path.stat().st_mode & 0o077 == 0, "a backup is readable by its owner only"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.sqlite3"]


def test_backup_into_a_directory_names_the_file(made, tmp_path):
    _var, env, _backup = made
    meydan(env, "backup", str(tmp_path))
    (written,) = tmp_path.iterdir()
    assert re.fullmatch(r"meydan-\d{8}-\d{6}\.sqlite3", written.name)


def test_a_failed_backup_leaves_nothing_behind(tmp_path):
    env = meydan_env(tmp_path / "no-database")
    path = tmp_path / "out" / "backup.sqlite3"
    path.parent.mkdir()
    failed = meydan(env, "backup", str(path), check=False)
    assert failed.returncode == 1
    assert "There is no database at" in failed.stderr and "No backup was written" in failed.stderr
    assert list(path.parent.iterdir()) == []


def test_restore_refuses_a_database_that_holds_comments(made):
    var, env, backup = made
    before = digest(var / "meydan.sqlite3")
    refused = meydan(env, "restore", str(backup), check=False)
    assert refused.returncode == 1
    assert "is not empty: it holds 8 comments and 1 site" in refused.stderr
    assert "MEYDAN_VAR_DIR" in refused.stderr
    assert digest(var / "meydan.sqlite3") == before


def test_restore_refuses_a_backup_of_the_other_engine_or_of_no_known_format(made, tmp_path):
    _var, _env, backup = made
    sqlite_env = meydan_env(tmp_path / "empty")
    archive = tmp_path / "site.dump"
    archive.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(100))
    refused = meydan(sqlite_env, "restore", str(archive), check=False)
    assert refused.returncode == 1
    assert "is a PostgreSQL backup, but this Meydan uses SQLite" in refused.stderr
    assert "meydan export" in refused.stderr

    # Told before any connection is made: no server needs to listen on this port.
    postgres_env = meydan_env(tmp_path / "pg", f"postgres://nobody@127.0.0.1:{free_port()}/x")
    refused = meydan(postgres_env, "restore", str(backup), check=False)
    assert refused.returncode == 1
    assert "is an SQLite backup, but this Meydan uses PostgreSQL" in refused.stderr

    notes = tmp_path / "notes.txt"
    notes.write_text("not a backup")
    refused = meydan(sqlite_env, "restore", str(notes), check=False)
    assert refused.returncode == 1 and "is not a Meydan backup" in refused.stderr
    assert not (tmp_path / "empty" / "meydan.sqlite3").exists()


@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_restore_refuses_a_damaged_backup_and_changes_nothing(made, tmp_path, damage):
    _var, _env, backup = made
    data = bytearray(backup.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:  # pages in the middle overwritten
        middle = len(data) // 2
        data[middle : middle + 16384] = os.urandom(16384)
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(bytes(data))
    env = meydan_env(tmp_path / "target")
    refused = meydan(env, "restore", str(damaged), check=False)
    assert refused.returncode == 1, refused.stdout
    assert "is damaged" in refused.stderr and "Nothing was restored" in refused.stderr
    assert not (tmp_path / "target" / "meydan.sqlite3").exists()


def test_restore_says_when_migrations_are_pending(made, tmp_path):
    _var, _env, backup = made
    older = tmp_path / "older.sqlite3"
    shutil.copy(backup, older)
    with sqlite3.connect(older) as db:  # as if made before comments' last migration
        db.execute(
            "DELETE FROM django_migrations WHERE id = "
            "(SELECT max(id) FROM django_migrations WHERE app = 'comments')"
        )
    db.close()
    restored = meydan(meydan_env(tmp_path / "target"), "restore", str(older))
    assert "1 migrations are pending" in restored.stdout
    assert "meydan migrate" in restored.stdout


def test_postgresql_restore_refuses_a_damaged_archive_and_a_database_in_use(
    scratch_databases, tmp_path
):
    source_url, target_url = scratch_databases("source"), scratch_databases("target")
    source = meydan_env(tmp_path / "source", source_url)
    seed(source)
    path = tmp_path / "site.dump"
    backed_up = meydan(source, "backup", str(path))
    assert "8 comments on 1 site" in backed_up.stdout

    refused = meydan(source, "restore", str(path), check=False)
    assert refused.returncode == 1 and "is not empty: it holds 8 comments" in refused.stderr
    assert "createdb" in refused.stderr

    truncated = tmp_path / "truncated.dump"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    target = meydan_env(tmp_path / "target", target_url)
    refused = meydan(target, "restore", str(truncated), check=False)
    assert refused.returncode == 1
    assert "is damaged or incomplete" in refused.stderr and "Nothing was restored" in refused.stderr
    tables = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
    assert pg_query(target_url, tables) == [(0,)]

    meydan(target, "migrate", "-v0")  # tables, but no site and no comment
    refused = meydan(target, "restore", str(path), check=False)
    assert refused.returncode == 1 and "pg_restore needs an empty one" in refused.stderr
