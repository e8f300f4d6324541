"""What the outage drills and the soak share: a private PostgreSQL and Redis (never
the machine's own: other work uses those), `meydan serve` and `meydan worker` on
them, and a load of readers and posters that records every answer. The few generic
pieces (ports, percentiles) come from common.py, the other drills' helpers.

Everything listens on 127.0.0.1 only, lives in a throw-away directory, and is
stopped when the drill ends (also on Ctrl-C or an error).
"""

import contextlib
import glob
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from common import MEYDAN, ROOT, free_port, percentile  # noqa: E402, F401 - re-exported

BIN = Path(sys.executable).parent
SITE_ORIGIN = "https://drill.example.org"


def say(message: str) -> None:
    print(message, flush=True)


# --- PostgreSQL ---------------------------------------------------------------------


class PrivatePostgres:
    """A PostgreSQL cluster of our own: initdb into a temporary directory, on a free
    port, trust authentication on loopback. stop() and start() are the drill."""

    def __init__(self, root: Path):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins:
            raise SystemExit("PostgreSQL is not installed (/usr/lib/postgresql/*/bin)")
        self.bin = Path(bins[-1])
        self.root = root / "pg"
        self.data = self.root / "data"
        self.port = free_port()
        self.root.mkdir()
        # initdb refuses to run as root: the cluster belongs to the postgres user.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.root, "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "meydan")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/meydan"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(  # noqa: S603 - our own command line
            [*self.as_user, str(self.bin / tool), *args],
            check=True,
            capture_output=True,
            cwd="/",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=60"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()

    def query(self, sql: str) -> str:
        out = subprocess.run(  # noqa: S603
            [
                str(self.bin / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                "meydan",
                "-At",
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()


# --- Redis ----------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of our own on a free port. It keeps its data in an append-only
    file, as a production Redis does, so a stop and start keeps what was in it (the
    task queue, and cache entries: see the Redis drill)."""

    def __init__(self, root: Path):
        self.dir = root / "redis"
        self.dir.mkdir()
        self.port = free_port()
        self.process = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.dir / "redis.log", "ab")  # noqa: SIM115 - kept by the process
        self.process = subprocess.Popen(  # noqa: S603
            [  # noqa: S607 - redis-server from PATH
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--protected-mode",
                "yes",
            ],
            stdout=log,
            stderr=log,
        )
        for _ in range(100):
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s,
            ):
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        raise SystemExit(f"redis-server did not start; see {self.dir}/redis.log")

    def stop(self) -> None:
        """SHUTDOWN (the AOF is written), as `systemctl stop redis` does."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self.process = None

    def close(self) -> None:
        self.stop()


# --- Meydan ------------------------------------------------------------------------


def manage(env: dict, *args: str, check: bool = True) -> str:
    out = subprocess.run(  # noqa: S603
        [MEYDAN, *args], env=env, cwd=ROOT, check=check, capture_output=True, text=True
    )
    return out.stdout


class Meydan:
    """`meydan serve` (and optionally `meydan worker`) on a throw-away var dir."""

    def __init__(self, root: Path, extra_env: dict, workers: int = 2):
        self.var = root / "var"
        self.var.mkdir()
        self.mail_dir = root / "mail"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "MEYDAN_VAR_DIR": str(self.var),
            "MEYDAN_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "MEYDAN_ACCESS_LOG": "0",
            "MEYDAN_EMAIL_URL": f"file://{self.mail_dir}",
            "MEYDAN_MAIL_RETRY_SECONDS": "2",
            "MEYDAN_PUBLIC_URL": self.base,
            # No speed limits: the drills post faster than any reader.
            "MEYDAN_RATELIMIT_COMMENTS": "off",
            "MEYDAN_RATELIMIT_SITE_COMMENTS": "off",
            "MEYDAN_RATELIMIT_CONFIRMATIONS": "off",
            "MEYDAN_MIN_FORM_SECONDS": "off",
            "MEYDAN_POW": "0",  # the drills' posts are a program's, not a browser's
            **extra_env,
        }
        self.workers = workers
        self.server = None
        self.worker = None
        self._logs = []

    def setup(self) -> str:
        """Migrate and register the drill's site; returns its key (slug)."""
        manage(self.env, "migrate", "-v0")
        manage(self.env, "site", "add", "--name", "Drill News", "--origin", SITE_ORIGIN)
        return (
            manage(
                self.env,
                "shell",
                "-c",
                "from meydan.sites.models import Site; print(Site.objects.get().slug)",
            )
            .strip()
            .splitlines()[-1]
        )

    def _spawn(self, name: str, *args: str):
        log = open(self.var / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
        self._logs.append(log)
        return subprocess.Popen(  # noqa: S603
            [MEYDAN, *args], env=self.env, cwd=ROOT, stdout=log, stderr=log
        )

    def log(self, name: str) -> str:
        path = self.var / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start_server(self) -> None:
        self.server = self._spawn(
            "server", "serve", "--port", str(self.port), "--workers", str(self.workers)
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1)  # noqa: S310
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"the server did not start; see {self.var}/server.log")

    def start_worker(self) -> None:
        self.worker = self._spawn("worker", "worker", "-v", "1")

    def stop(self) -> None:
        for process in (self.worker, self.server):
            if process is None or process.poll() is not None:
                continue
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self._logs:
            log.close()

    def processes(self) -> dict[str, int]:
        """name -> pid of the granian main process, its workers, and the worker."""
        found = {}
        if self.server is not None and self.server.poll() is None:
            found["granian main"] = self.server.pid
            children = sorted(child_pids(self.server.pid))
            for n, pid in enumerate(children, 1):
                found[f"granian worker {n}"] = pid
        if self.worker is not None and self.worker.poll() is None:
            found["meydan worker"] = self.worker.pid
            for n, pid in enumerate(sorted(child_pids(self.worker.pid)), 1):
                found[f"meydan worker child {n}"] = pid
        return found


def child_pids(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@contextlib.contextmanager
def workspace(keep: bool = False):
    root = Path(tempfile.mkdtemp(prefix="meydan-drill-"))
    os.chmod(root, 0o755)  # noqa: S103 - the postgres user must reach its own directory inside
    try:
        yield root
    finally:
        if keep:
            say(f"(kept {root})")
        else:
            shutil.rmtree(root, ignore_errors=True)


# --- HTTP --------------------------------------------------------------------------


@dataclass
class Answer:
    status: int  # 0: no answer (connection refused, reset, timeout)
    seconds: float
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    error: str = ""

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class Client:
    """One keep-alive connection, as one reader's browser holds; a new one after an
    error. Every request is bounded by `timeout` seconds."""

    def __init__(self, base: str, timeout: float = 15.0):
        self.host, self.port = base.removeprefix("http://").split(":")
        self.timeout = timeout
        self.conn = None

    def request(self, method: str, path: str, body=None, headers=None) -> Answer:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Origin": SITE_ORIGIN, **(headers or {})}
        if data is not None:
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    self.host, int(self.port), timeout=self.timeout
                )
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                return Answer(
                    response.status,
                    time.monotonic() - started,
                    {k.lower(): v for k, v in response.getheaders()},
                    payload,
                )
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                # A kept-alive connection the server closed: try once on a new one.
                self.conn.close()
                self.conn = None
                if attempt == 2 or method == "POST":
                    return Answer(0, time.monotonic() - started, error=type(error).__name__)
            except OSError as error:
                self.conn.close()
                self.conn = None
                return Answer(0, time.monotonic() - started, error=type(error).__name__)
        raise AssertionError("unreachable")


# --- Recording ---------------------------------------------------------------------


class Recorder:
    """Every answer by (second since start, kind): statuses and latencies."""

    def __init__(self):
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        self.rows: list[tuple[float, str, int, float]] = []
        self.problems: list[str] = []

    def add(self, kind: str, answer: Answer, problem: str = "") -> None:
        with self.lock:
            self.rows.append((time.monotonic() - self.t0, kind, answer.status, answer.seconds))
            if problem and len(self.problems) < 50:
                self.problems.append(f"{time.monotonic() - self.t0:6.1f}s {kind}: {problem}")

    def now(self) -> float:
        return time.monotonic() - self.t0

    def per_second(self, kinds) -> list[dict]:
        table: dict[int, dict] = defaultdict(
            lambda: {k: {"statuses": defaultdict(int), "max": 0.0} for k in kinds}
        )
        with self.lock:
            rows = list(self.rows)
        for t, kind, status, seconds in rows:
            cell = table[int(t)][kind]
            cell["statuses"][status] += 1
            cell["max"] = max(cell["max"], seconds)
        return [dict(second=s, **table[s]) for s in sorted(table)]

    def window(self, start: float, end: float, kind: str | None = None):
        with self.lock:
            return [r for r in self.rows if start <= r[0] < end and (kind is None or r[1] == kind)]


def statuses_text(statuses: dict) -> str:
    return " ".join(f"{s}×{n}" for s, n in sorted(statuses.items())) or "-"


def check_answer(kind: str, answer: Answer, *, allow_503: bool) -> str:
    """'' when the answer is one the drill accepts, else what is wrong with it."""
    if b"Traceback" in answer.body:
        return f"{answer.status} with a traceback"
    if answer.status == 0:
        return f"no answer ({answer.error}) after {answer.seconds:.1f} s"
    if answer.status == 503 and allow_503:
        if "retry-after" not in answer.headers:
            return "503 without Retry-After"
        ctype = answer.headers.get("content-type", "")
        if kind == "page":
            if "text/html" not in ctype:
                return f"503 page as {ctype}"
        else:
            body = answer.json() or {}
            if body.get("error", {}).get("code") != "unavailable":
                return f"503 without the JSON error: {answer.body[:120]!r}"
        return ""
    if answer.status >= 500:
        return f"{answer.status}: {answer.body[:200]!r}"
    return ""
