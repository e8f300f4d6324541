"""The disk fills up: posting answers 503 (never 500), reading goes on, nothing
acknowledged is lost, and once there is room again posting works without a restart.

    .venv/bin/python bench/drills/disk_full.py [--quick]   (as root: it mounts a filesystem)

What it proves, on SQLite: when the filesystem under the database is full, a post
gets 503 with Retry-After and a JSON error (the transaction is rolled back, nothing
half-written); reads of existing threads still answer 200; PRAGMA integrity_check
stays ok and every comment acknowledged before is still there; and after space is
freed the same server process takes posts again.

How: a small filesystem made for the drill: tmpfs (8 MB), else a loop-mounted ext4
image, else (neither may be mounted here) SQLite's PRAGMA max_page_count as a
stand-in, set on every connection through a settings module wrapping Meydan's (then
"freeing space" needs a restart, so the recovery step is skipped). The output says
which one was used. Only the database lives there (DATABASE_URL=sqlite:////…); the
var dir with the collected static files and the metrics stays on the ordinary disk.
The demo content is created, `meydan serve --workers 2` started (loopback), a filler
file fills the filesystem to within --headroom bytes, and comments are posted until
posting has failed --failures times in a row. The filesystem is unmounted at the end.
"""

import argparse
import contextlib
import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    ARTICLE,
    NO_SPEED_LIMITS,
    SITE,
    Poster,
    Server,
    base_env,
    free_port,
    manage,
    wait_for,
)


def system(*argv: str) -> subprocess.CompletedProcess:
    """A system tool (mount, mkfs.ext4, umount), found on PATH, output captured."""
    tool = shutil.which(argv[0]) or argv[0]
    return subprocess.run(  # noqa: S603 - fixed tools, our own arguments
        [tool, *argv[1:]], capture_output=True, text=True, check=False
    )


@contextlib.contextmanager
def small_filesystem(size_mb: int):
    """Yields (kind, directory); kind None when nothing could be mounted. Unmounts
    and removes what it made."""
    mountpoint = tempfile.mkdtemp(prefix="meydan-diskfull-fs-")
    image = None
    kind = None
    try:
        done = system("mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", mountpoint)
        if done.returncode == 0:
            kind = f"tmpfs, {size_mb} MB"
        else:
            print(f"tmpfs could not be mounted ({done.stderr.strip()}); trying a loop ext4 image")
            fd, image = tempfile.mkstemp(prefix="meydan-diskfull-", suffix=".img")
            os.ftruncate(fd, size_mb * 1024 * 1024)
            os.close(fd)
            if (
                system("mkfs.ext4", "-q", "-F", image).returncode == 0
                and system("mount", "-o", "loop", image, mountpoint).returncode == 0
            ):
                kind = f"loop-mounted ext4 image, {size_mb} MB"
            else:
                print("a loop ext4 image could not be mounted either; using PRAGMA max_page_count")
        yield kind, mountpoint
    finally:
        if kind is not None:
            system("umount", mountpoint)
        with contextlib.suppress(OSError):
            os.rmdir(mountpoint)
        if image:
            with contextlib.suppress(OSError):
                os.unlink(image)


def fill(path: Path, headroom: int) -> int:
    """Write `path` until the filesystem is full, then give back `headroom` bytes.
    Returns the filler's size."""
    chunk = b"\0" * (256 * 1024)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    size = 0
    try:
        while True:
            try:
                written = os.write(fd, chunk)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                if len(chunk) == 4096:
                    break
                chunk = chunk[: len(chunk) // 2]
                continue
            size += written
        os.fsync(fd)
        size = max(0, size - headroom)
        os.ftruncate(fd, size)
    finally:
        os.close(fd)
    return size


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def sqlite_state(db: Path, ids: dict[int, str]) -> tuple[str, int]:
    """(integrity_check answer, how many of `ids` are missing)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        integrity = ", ".join(r[0] for r in con.execute("PRAGMA integrity_check").fetchall())
        stored = dict(con.execute("SELECT id, body FROM comments_comment").fetchall())
    finally:
        con.close()
    return integrity, sum(1 for cid, body in ids.items() if stored.get(cid) != body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=8)
    parser.add_argument("--headroom", type=int, default=512 * 1024, help="bytes left free")
    parser.add_argument("--failures", type=int, default=30, help="failed posts in a row")
    parser.add_argument("--max-posts", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="less headroom, fewer failures")
    args = parser.parse_args()
    if args.quick:
        args.headroom, args.failures = 128 * 1024, 10

    port = free_port()
    var = tempfile.mkdtemp(prefix="meydan-diskfull-")
    with small_filesystem(args.size_mb) as (kind, mountpoint):
        db = Path(mountpoint) / "meydan.sqlite3"
        env = base_env(var, **NO_SPEED_LIMITS, DATABASE_URL=f"sqlite:///{db}")
        if kind is None:
            kind = "PRAGMA max_page_count (no filesystem could be mounted)"
            env = max_page_count_env(env, var)
        manage(env, "migrate", "-v0")
        manage(env, "meydan_demo", "--domain", f"127.0.0.1:{port}")
        server = Server(env, port, workers=2)
        try:
            run(args, kind, server, port, db, Path(mountpoint))
        finally:
            server.stop()
    shutil.rmtree(var, ignore_errors=True)


def max_page_count_env(env: dict, var: str) -> dict:
    """A settings module that caps the database at its size now plus a little."""
    db = env["DATABASE_URL"].removeprefix("sqlite:///")
    package = Path(var) / "drillsettings"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(
        "from meydan.settings import *  # noqa\n"
        "import sqlite3\n"
        f"_pages = sqlite3.connect({db!r}).execute('PRAGMA page_count').fetchone()[0]\n"
        "DATABASES['default']['OPTIONS']['init_command'] += "
        "f' PRAGMA max_page_count={_pages + 40};'\n"
    )
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "drillsettings.settings",
        "PYTHONPATH": var + os.pathsep + env.get("PYTHONPATH", ""),
    }


def run(args, kind: str, server: Server, port: int, db: Path, mountpoint: Path) -> None:
    base = f"http://127.0.0.1:{port}"
    server.start()
    if wait_for(port, "/readyz", deadline_s=120) is None:
        raise SystemExit(f"the server did not become ready; see {server.log_path}")
    pid = server.process.pid
    client = Poster(port)
    acknowledged: dict[int, str] = {}
    n = 0

    def post() -> tuple[int | None, dict]:
        nonlocal n
        n += 1
        body = f"disk-full drill comment {n}: " + "the figures do not add up. " * 20 + "End."
        status, data = client.post(
            {
                "site": SITE, "url": ARTICLE if n % 2 else "/drill/disk-full/",
                "title": "Drill", "body": body,
                "name": "Drill", "email": "drill@example.net",
            }
        )  # fmt: skip
        if status in (201, 202):
            acknowledged[data["comment"]["id"]] = body
        return status, data

    # Two threads with comments, read again once the disk is full.
    for _ in range(4):
        post()
    before_fill = len(acknowledged)
    filler = mountpoint / "filler"
    filled = 0
    if kind.startswith(("tmpfs", "loop")):
        filled = fill(filler, args.headroom)
        usage = shutil.disk_usage(mountpoint)
        print(
            f"filesystem: {kind}; filler {filled / 1e6:.1f} MB, "
            f"{usage.free / 1024:.0f} KiB free, database + WAL "
            f"{sum(p.stat().st_size for p in mountpoint.glob('meydan.sqlite3*')) / 1e6:.1f} MB"
        )
    else:
        print(f"filesystem: {kind}")

    seen: Counter = Counter()
    failed_answers: list[tuple[int | None, dict]] = []
    in_a_row = 0
    posted_until_full = 0
    while in_a_row < args.failures and n < args.max_posts:
        status, data = post()
        seen[status] += 1
        if status in (201, 202):
            posted_until_full += 1
            in_a_row = 0
        else:
            failed_answers.append((status, data))
            in_a_row += 1
            time.sleep(0.05)
    retry_after = Counter(d.get("_retry_after") for s, d in failed_answers)
    codes = Counter(
        (d.get("error") or {}).get("code", "not JSON") if isinstance(d, dict) else "not JSON"
        for s, d in failed_answers
    )
    reads = Counter(
        get(url)
        for url in (
            f"{base}/api/v1/threads?site={SITE}&url={ARTICLE}",
            f"{base}/api/v1/threads?site={SITE}&url=/drill/disk-full/",
            f"{base}{ARTICLE}",
            f"{base}/healthz",
        )
        for _ in range(5)
    )
    integrity_full, missing_full = sqlite_state(db, acknowledged)

    print(f"posts before full:     {before_fill} before filling, {posted_until_full} after")
    print(f"statuses while full:   {dict(seen)}")
    print(f"failed posts:          Retry-After {dict(retry_after)}, error codes {dict(codes)}")
    print(f"reads while full:      {dict(reads)} (2 threads via the API, the article, /healthz)")
    print(
        f"integrity while full:  {integrity_full}; "
        f"acknowledged {len(acknowledged)}, missing {missing_full}"
    )
    five_hundreds = sum(v for k, v in seen.items() if k and k >= 500 and k != 503)
    ok = (
        five_hundreds == 0
        and bool(failed_answers)
        and all(s == 503 for s, _ in failed_answers)
        and set(retry_after) == {"10"}
        and set(codes) == {"unavailable"}
        and set(reads) == {200}
        and integrity_full == "ok"
        and missing_full == 0
    )

    if filled:
        filler.unlink()
        freed = time.monotonic()
        recovered = None
        tries = 0
        while time.monotonic() - freed < 60:
            tries += 1
            status, _data = post()
            if status in (201, 202):
                recovered = time.monotonic() - freed
                break
            time.sleep(0.05)
        after = Counter(post()[0] for _ in range(20))
        integrity_after, missing_after = sqlite_state(db, acknowledged)
        same = server.alive() and server.process.pid == pid
        print(
            f"recovery:              first post accepted {recovered:.2f} s after the filler was "
            f"deleted ({tries} tries), then {dict(after)}; same server process: {same}"
            if recovered is not None
            else "recovery:              FAILED: no post accepted within 60 s"
        )
        print(
            f"integrity after:       {integrity_after}; "
            f"acknowledged {len(acknowledged)}, missing {missing_after}"
        )
        ok = ok and recovered is not None and same and integrity_after == "ok" and not missing_after
    else:
        print("recovery:              skipped (max_page_count cannot be raised without a restart)")
    log = server.log_path.read_text(errors="replace")
    print(
        f"server log:            {log.count('Traceback')} tracebacks, "
        f"{log.count('database unavailable')} 'database unavailable' lines"
    )
    print("result:                " + ("OK" if ok else "FAILED"))
    if not ok:
        print(f"var dir kept: {server.log_path.parent}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
