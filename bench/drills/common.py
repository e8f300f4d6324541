"""What the drills share: `meydan serve` in its own process group (so the whole server,
granian's parent and its workers, can be killed at once, as a power cut or an OOM
killer would), waiting for an address to answer, posting through the API on a
keep-alive connection, and a small PostgreSQL scratch database.

Loopback only: every server here listens on 127.0.0.1.
"""

import contextlib
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MEYDAN = str(Path(sys.executable).with_name("meydan"))
SITE = "caspian-ledger"  # the demo site (`meydan meydan_demo`)
ARTICLE = "/baku-opposition-rally/"  # the demo article, a page Meydan serves itself
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

# Posting as fast as the drill can: no form age, no speed limits, no proof of work
# (a browser's job; without it every drill comment would wait for a moderator).
NO_SPEED_LIMITS = {
    "MEYDAN_RATELIMIT_COMMENTS": "off",
    "MEYDAN_RATELIMIT_SITE_COMMENTS": "off",
    "MEYDAN_MIN_FORM_SECONDS": "off",
    "MEYDAN_POW": "0",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(var_dir: str, **extra: str) -> dict:
    env = {
        **os.environ,
        "MEYDAN_VAR_DIR": var_dir,
        "MEYDAN_ACCESS_LOG": "0",
        "MEYDAN_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MEYDAN_LOG_LEVEL": "WARNING",
        "DATABASE_URL": "",
        **extra,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own command
        [MEYDAN, *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return done.stdout


def fresh_var_dir(prefix: str, port: int, env_extra: dict | None = None) -> tuple[str, dict]:
    """A new var dir with the schema and the demo site (domain 127.0.0.1:port)."""
    var = tempfile.mkdtemp(prefix=prefix)
    env = base_env(var, **(env_extra or {}))
    manage(env, "migrate", "-v0")
    manage(env, "meydan_demo", "--domain", f"127.0.0.1:{port}")
    return var, env


class Server:
    """`meydan serve` started in a new session: its pid is the process group of
    granian's parent (serve execs granian) and every worker."""

    def __init__(self, env: dict, port: int, workers: int = 2, log: Path | None = None):
        self.env, self.port, self.workers = env, port, workers
        self.log_path = log or Path(env["MEYDAN_VAR_DIR"]) / "server.log"
        self.process: subprocess.Popen | None = None
        self.started = 0.0

    def start(self) -> float:
        """Start it; returns time.monotonic() just before the exec."""
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it
        argv = [MEYDAN, "serve", "--port", str(self.port), "--workers", str(self.workers)]
        self.started = time.monotonic()
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            argv, env=self.env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True
        )
        log.close()
        return self.started

    def kill(self) -> None:
        """SIGKILL to the whole process group, then reap."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        # Workers are reparented, not our children: wait until the group is empty.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.01)
        self.process = None

    def stop(self) -> None:
        """A clean stop (SIGTERM to granian), SIGKILL if it does not go."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def get_status(port: int, path: str, timeout: float = 2.0) -> int | None:
    """The status of GET path, or None when nothing answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": f"127.0.0.1:{port}"})
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def wait_for(port: int, path: str, deadline_s: float = 60.0, every: float = 0.01) -> float | None:
    """Poll until GET path answers 200; returns time.monotonic() then, or None."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if get_status(port, path) == 200:
            return time.monotonic()
        time.sleep(every)
    return None


class Poster:
    """POST /api/v1/comments on one keep-alive connection."""

    def __init__(self, port: int, timeout: float = 30.0):
        self.port, self.timeout = port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def post(self, payload: dict) -> tuple[int | None, dict]:
        """(status, JSON body). Status 0: nothing listens (the request was never
        sent); None: the connection failed after sending, before an answer (the
        comment may or may not be stored)."""
        data = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "Host": f"127.0.0.1:{self.port}"}
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.connect()
            except OSError:
                self.close()
                return 0, {}
        try:
            self.conn.request("POST", "/api/v1/comments", body=data, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
            retry_after = response.getheader("Retry-After")
        except (OSError, http.client.HTTPException):
            self.close()
            return None, {}
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"_raw": raw[:200].decode(errors="replace")}
        if retry_after is not None:
            body["_retry_after"] = retry_after
        if response.will_close:
            self.close()
        return response.status, body

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


@contextlib.contextmanager
def pg_scratch_database(name: str):
    """A new PostgreSQL database on 127.0.0.1:5432 (trust auth), dropped afterwards.
    Yields its DATABASE_URL."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
