"""A throw-away Meydan for the in-process benches (post_concurrency, vote_concurrency,
audit_chain): Django set up in this process on a scratch database that is removed at
the end. SQLite (WAL, as shipped) in a temporary MEYDAN_VAR_DIR, or, with
DATABASE_URL=postgres://…, a new database created beside the one named there (and
dropped afterwards, even when the bench fails)."""

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SITE = "bench"
ORIGIN = "http://127.0.0.1:8081"


def scratch_postgres(url: str, name: str) -> tuple[str, callable]:
    """A new, empty database on the server of `url`; returns its URL and a dropper."""
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


@contextlib.contextmanager
def scratch_meydan(bench: str, **settings: str):
    """Run the body against a scratch Meydan named after `bench` (e.g. "vote-concurrency"),
    with the env-var `settings` on top of the benches' common ones. The caller then
    calls django.setup() and migrates."""
    var = Path(tempfile.mkdtemp(prefix=f"meydan-{bench}-"))
    drop = None
    if os.environ.get("DATABASE_URL"):
        name = f"meydan_{bench.replace('-', '_')}_{os.getpid()}"
        os.environ["DATABASE_URL"], drop = scratch_postgres(os.environ["DATABASE_URL"], name)
    os.environ.update(
        MEYDAN_VAR_DIR=str(var),
        MEYDAN_SECRET_KEY="meydan-bench-not-a-secret",  # noqa: S106 - a scratch key
        MEYDAN_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE="meydan.settings",
        MEYDAN_LOG_LEVEL="WARNING",
        **settings,
    )
    try:
        yield var
    finally:
        from django.db import connections

        connections.close_all()
        if drop is not None:
            drop()
        shutil.rmtree(var, ignore_errors=True)
