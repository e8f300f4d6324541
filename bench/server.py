"""Start Meydan the way the README tells operators to (`meydan serve`), in a
throw-away var directory, for the scripts in bench/."""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEYDAN = str(Path(sys.executable).with_name("meydan"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, *args: str) -> str:
    out = subprocess.run(  # noqa: S603 - our own command
        [MEYDAN, *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return out.stdout


@contextlib.contextmanager
def meydan_server(extra_env: dict | None = None, workers: int = 2, setup=None):
    """Yield (base_url, env) for a fresh SQLite Meydan served by gunicorn."""
    var = tempfile.mkdtemp(prefix="meydan-bench-")
    port = free_port()
    env = {
        **os.environ,
        "MEYDAN_VAR_DIR": var,
        "MEYDAN_ACCESS_LOG": "off",  # a boolean since serve learned it
        "MEYDAN_ALLOWED_HOSTS": "127.0.0.1,localhost",
        **(extra_env or {}),
    }
    manage(env, "migrate", "-v0")
    if setup is not None:
        setup(env)
    log = open(Path(var) / "server.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(  # noqa: S603
        [MEYDAN, "serve", "--port", str(port), "--workers", str(workers)],
        env=env, cwd=ROOT, stdout=log, stderr=log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/api/v1/me", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit(f"the server did not start; see {var}/server.log")
        yield base, env
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
