"""A full disk under SQLite, through `meydan serve`: posts answer 503 with Retry-After
and a JSON error (never a 500), reads go on, and nothing acknowledged is lost.

"Full" is SQLite's own: PRAGMA max_page_count, set on every connection by a settings
module that wraps Meydan's, makes a write that needs a new page fail with "database
or disk is full", exactly as a full filesystem does (bench/drills/disk_full.py fills
a real one)."""

import json
import os
import sqlite3
import subprocess
import urllib.request

import pytest

from tests.core.test_serve import MEYDAN, free_port, get, serving

pytestmark = pytest.mark.slow

SITE, ARTICLE = "caspian-ledger", "/baku-opposition-rally/"


def post(base, n):
    body = f"Comment {n} on the rally: " + "the turnout figures do not add up. " * 12 + "End."
    data = {"site": SITE, "url": ARTICLE, "body": body, "name": "Reader", "email": "r@example.net"}
    request = urllib.request.Request(  # noqa: S310 - loopback only
        base + "/api/v1/comments",
        data=json.dumps(data).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status, response.headers, json.loads(response.read()), body
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read(), body


@pytest.fixture(scope="module")
def full_soon(tmp_path_factory):
    var = tmp_path_factory.mktemp("disk-full-var")
    port = free_port()
    db = var / "meydan.sqlite3"
    env = {
        **os.environ,
        "MEYDAN_VAR_DIR": str(var),
        "MEYDAN_DEBUG": "0",
        "MEYDAN_ALLOWED_HOSTS": "127.0.0.1",
        "MEYDAN_MIN_FORM_SECONDS": "off",
        "MEYDAN_RATELIMIT_COMMENTS": "off",
        "MEYDAN_RATELIMIT_SITE_COMMENTS": "off",
        "MEYDAN_POW": "0",  # a program posts, not a browser: its comments would wait, unread
        "DATABASE_URL": "",  # its own SQLite file, whatever the suite runs on
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    for command in (["migrate", "-v0"], ["meydan_demo", "--domain", f"127.0.0.1:{port}"]):
        subprocess.run([MEYDAN, *command], env=env, check=True, capture_output=True)  # noqa: S603
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    con.close()
    package = var / "fullsettings"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(
        "from meydan.settings import *  # noqa: F403\n"
        "DATABASES['default']['OPTIONS']['init_command'] += "  # noqa: F405
        f"' PRAGMA max_page_count={pages + 12};'\n"
    )
    env["DJANGO_SETTINGS_MODULE"] = "fullsettings.settings"
    env["PYTHONPATH"] = os.pathsep.join([str(var), env.get("PYTHONPATH", "")])
    with serving(env, var, port) as (base, process, log):
        yield base, process, log, db


def test_a_full_database_answers_503_and_keeps_what_it_acknowledged(full_soon):
    base, process, log, db = full_soon
    assert process.poll() is None, log.read_text()
    acknowledged, failures = {}, []
    for n in range(300):
        status, headers, data, body = post(base, n)
        if status in (201, 202):
            acknowledged[data["comment"]["id"]] = body
        else:
            failures.append((status, headers, data))
            if len(failures) == 3:
                break
    assert acknowledged, "the cap left no room for a single comment"
    assert failures, "the database never filled up"
    for status, headers, data in failures:
        assert status == 503, data
        assert headers["Retry-After"] == "10"
        assert json.loads(data)["error"]["code"] == "unavailable"

    # Reading goes on: the thread through the API, the article page.
    status, _, body = get(f"{base}/api/v1/threads?site={SITE}&url={ARTICLE}")
    assert status == 200 and json.loads(body)["count"] >= len(acknowledged)
    assert get(base + ARTICLE)[0] == 200

    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = dict(con.execute("SELECT id, body FROM comments_comment").fetchall())
    finally:
        con.close()
    assert {cid: stored.get(cid) for cid in acknowledged} == acknowledged
    assert process.poll() is None
    assert "Traceback" not in log.read_text()
