"""`meydan serve` whose database cannot be reached (a PostgreSQL address where nothing
listens): it starts, says it is alive but not ready, and answers every reader with a
503 and Retry-After at once — JSON on the API, a page elsewhere — never a 500."""

import json
import os
import time

import pytest

from tests.core.test_serve import free_port, get, serving

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def unreachable(tmp_path_factory):
    var = tmp_path_factory.mktemp("outage-var")
    port = free_port()
    env = {
        **os.environ,
        "MEYDAN_VAR_DIR": str(var),
        "MEYDAN_DEBUG": "0",
        "MEYDAN_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/meydan",  # nobody there
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    with serving(env, var, port) as served:
        yield served


def timed_get(url):
    started = time.monotonic()
    answer = get(url)
    return (*answer, time.monotonic() - started)


def test_alive_but_not_ready(unreachable):
    base, process, log = unreachable
    assert process.poll() is None, log.read_text()
    status, _, body, _ = timed_get(base + "/healthz")
    assert status == 200
    status, headers, body, seconds = timed_get(base + "/readyz")
    assert status == 503 and headers["Retry-After"]
    assert json.loads(body)["checks"]["database"] == "unavailable"
    assert seconds < 5


def test_the_api_answers_503_json(unreachable):
    base, _process, _log = unreachable
    status, headers, body, seconds = timed_get(
        base + "/api/v1/threads?site=caspian-ledger&url=/baku-opposition-rally/"
    )
    assert status == 503, body
    assert headers["Retry-After"] == "10"
    assert json.loads(body)["error"]["code"] == "unavailable"
    assert seconds < 5


def test_pages_answer_503_html(unreachable):
    base, _process, log = unreachable
    status, headers, body, seconds = timed_get(base + "/")
    assert status == 503
    assert headers["Content-Type"].startswith("text/html")
    assert b"Back in a moment" in body and b"Traceback" not in body
    assert seconds < 5
    assert "Traceback" not in log.read_text()
