"""A real OpenID Connect Provider on loopback for sign-in tests (tests/oidc/provider.js).

The provider is the npm package ``oidc-provider`` (pinned in tests/oidc/package.json) run by
Node.js. Use it from any test module:

    (tests/conftest.py registers this module as a plugin, so the fixture is everywhere)

    def test_sign_in(oidc_provider_factory, live_server):
        idp = oidc_provider_factory([f"{live_server.url}/accounts/oidc/oidc/login/callback/"])
        idp.issuer, idp.client_id, idp.secret, idp.allauth_app()  # ...

or, outside fixtures, ``with start_oidc_provider([...]) as idp: ...``.

Any login id signs in with any password (see the comment at the top of provider.js for the
login and consent form fields). For login id ``L`` the claims are ``sub=L``,
``name=ACCOUNT_NAME``, ``email=L@example.org``, ``email_verified=True`` and
``picture=<issuer>/picture.png``. ``npm ci`` runs lazily the first time a provider starts when
tests/oidc/node_modules is missing or stale; without node/npm the test is skipped (or fails
under MEYDAN_REQUIRE_ALL=1).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

OIDC_DIR = Path(__file__).resolve().parent / "oidc"
ACCOUNT_NAME = "Leyla Q. Reader"
STARTUP_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0
NPM_TIMEOUT = 300


@dataclass
class OIDCProvider:
    """A running provider.js process and the one client registered with it."""

    issuer: str
    port: int
    client_id: str
    secret: str
    redirect_uris: list[str]
    skip_consent: bool
    log_path: Path
    process: subprocess.Popen = field(repr=False)

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def picture_url(self) -> str:
        return f"{self.issuer}/picture.png"

    @staticmethod
    def email_for(login: str) -> str:
        return f"{login}@example.org"

    def discovery(self) -> dict:
        with urllib.request.urlopen(self.discovery_url, timeout=5) as response:  # noqa: S310
            return json.load(response)

    def allauth_app(self, provider_id: str = "oidc", name: str = "Test OpenID") -> dict:
        """An entry for SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"] (as in settings)."""
        return {
            "provider_id": provider_id,
            "name": name,
            "client_id": self.client_id,
            "secret": self.secret,
            "settings": {"server_url": self.issuer, "oauth_pkce_enabled": True},
        }

    def output(self) -> str:
        """Everything provider.js printed so far (stdout and stderr)."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


def _require_node() -> None:
    if shutil.which("node") and shutil.which("npm"):
        return
    # Imported only when needed: tests.conftest imports Django models.
    from tests.conftest import require_tool

    require_tool(
        False,
        "Node.js is not installed (apt-get install nodejs npm) - needed for the OIDC provider",
    )


def _node_modules_current() -> bool:
    """True when node_modules holds the oidc-provider version that package.json pins."""
    wanted = json.loads((OIDC_DIR / "package.json").read_text())["dependencies"]["oidc-provider"]
    installed = OIDC_DIR / "node_modules" / "oidc-provider" / "package.json"
    try:
        return json.loads(installed.read_text())["version"] == wanted
    except (FileNotFoundError, ValueError, KeyError):
        return False


def ensure_node_modules() -> None:
    """Run ``npm ci`` in tests/oidc when needed, serialised across processes by a file lock."""
    _require_node()
    if _node_modules_current():
        return
    digest = hashlib.sha256(str(OIDC_DIR).encode()).hexdigest()[:16]
    lock_path = Path(tempfile.gettempdir()) / f"meydan-oidc-npm-{digest}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if _node_modules_current():  # another process installed it while we waited
                return
            result = subprocess.run(  # noqa: S603
                [shutil.which("npm") or "npm", "ci", "--no-audit", "--no-fund"],
                cwd=OIDC_DIR,
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT,
                check=False,
            )
            if result.returncode != 0 or not _node_modules_current():
                pytest.fail(
                    f"`npm ci` in {OIDC_DIR} failed (exit {result.returncode}):\n"
                    f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
                )
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


def _wait_ready(idp: OIDCProvider, deadline: float) -> bool:
    """Poll discovery until it answers 200; False if the process died first."""
    while time.monotonic() < deadline:
        if idp.process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(idp.discovery_url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    return False


@contextlib.contextmanager
def start_oidc_provider(
    redirect_uris: Sequence[str],
    *,
    client_id: str = "meydan-test-client",
    secret: str | None = None,
    skip_consent: bool = False,
    coop: str = "",
    startup_timeout: float = STARTUP_TIMEOUT,
) -> Iterator[OIDCProvider]:
    """Start tests/oidc/provider.js on a free loopback port; stop it (SIGTERM, then kill) after.

    ``redirect_uris`` are fixed for the life of the process (the client is registered at start).
    With ``skip_consent`` the consent page never shows: the client is granted openid, profile
    and email as soon as the user has signed in. ``coop`` is a Cross-Origin-Opener-Policy the
    provider sends on every page (a popup that visits it loses its opener, as with Google).
    """
    if not redirect_uris:
        raise ValueError("start_oidc_provider needs at least one redirect URI")
    if any("," in uri for uri in redirect_uris):
        raise ValueError("redirect URIs must not contain commas")
    ensure_node_modules()
    secret = secret or secrets.token_urlsafe(24)
    node = shutil.which("node") or "node"
    log_dir = Path(tempfile.mkdtemp(prefix="meydan-oidc-"))
    failures = []
    for attempt in range(3):  # a free port can be taken between probing and listening
        port = _free_port()
        log_path = log_dir / f"provider-{attempt}.log"
        env = {
            **os.environ,
            "OIDC_PORT": str(port),
            "OIDC_CLIENT_ID": client_id,
            "OIDC_CLIENT_SECRET": secret,
            "OIDC_REDIRECT_URIS": ",".join(redirect_uris),
            "OIDC_SKIP_CONSENT": "1" if skip_consent else "0",
            "OIDC_COOP": coop,
        }
        with open(log_path, "ab") as log:
            process = subprocess.Popen(  # noqa: S603
                [node, "provider.js"],
                cwd=OIDC_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        idp = OIDCProvider(
            issuer=f"http://127.0.0.1:{port}",
            port=port,
            client_id=client_id,
            secret=secret,
            redirect_uris=list(redirect_uris),
            skip_consent=skip_consent,
            log_path=log_path,
            process=process,
        )
        try:
            ready = _wait_ready(idp, time.monotonic() + startup_timeout)
        except BaseException:
            _stop(process)
            raise
        if ready:
            break
        # Still running but silent until the deadline (seen once in CI, on a loaded
        # machine, with nothing in its output): start another on a fresh port, as for
        # a port taken meanwhile. A provider that exited with any other error is a
        # real failure, not retried.
        hung = process.poll() is None
        _stop(process)
        failures.append(f"--- attempt {attempt + 1} (port {port}) ---\n{idp.output()[-3000:]}")
        if not hung and "EADDRINUSE" not in idp.output():
            break
    if not ready:
        shutil.rmtree(log_dir, ignore_errors=True)
        pytest.fail(
            f"the OIDC provider did not answer {idp.discovery_url} within {startup_timeout:.0f} s"
            "\n" + "\n".join(failures)
        )
    try:
        yield idp
    finally:
        _stop(idp.process)
        shutil.rmtree(log_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def oidc_provider_factory() -> Iterator[Callable[..., OIDCProvider]]:
    """``factory(redirect_uris, *, skip_consent=False, client_id=..., coop="") -> OIDCProvider``.

    Providers start on first use and stop at the end of the session; the same arguments return
    the same running provider.
    """
    with contextlib.ExitStack() as stack:
        running: dict[tuple, OIDCProvider] = {}

        def factory(
            redirect_uris: Sequence[str],
            *,
            skip_consent: bool = False,
            client_id: str = "meydan-test-client",
            coop: str = "",
        ) -> OIDCProvider:
            key = (tuple(redirect_uris), skip_consent, client_id, coop)
            if key not in running:
                running[key] = stack.enter_context(
                    start_oidc_provider(
                        redirect_uris, skip_consent=skip_consent, client_id=client_id, coop=coop
                    )
                )
            return running[key]

        yield factory
