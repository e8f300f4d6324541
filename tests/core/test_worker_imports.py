"""What a serving worker of the default layout (SQLite, local-memory cache, no live
stream) loads: not redis-py, which only the Redis cache, the live stream and the RQ
queue need (about 8 MB of each worker's memory against `make bench`'s RSS target), and
not fido2 and cryptography, which only a passkey ceremony needs (about 12 MB: allauth
imports them at start-up, meydan/core/deferred.py runs that import on first use). A
fresh interpreter imports meydan.wsgi as `meydan serve`'s workers do, every view module
included, then runs `then`."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1
# cryptography's Rust core, not its package (redis-py imports that to see if it is there)
WATCHED = ("cryptography.hazmat.bindings._rust", "fido2", "redis", "rq")
PROBE = """
import sys
from django.urls import get_resolver
from meydan.wsgi import application
get_resolver().resolve("/")  # the whole URLconf, allauth's included
WATCHED = {watched}
{then}
print(" ".join(sorted(name for name in WATCHED if name in sys.modules)))
"""


def loaded_after_wsgi(tmp_path, then: str = "", **env) -> list[str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MEYDAN_") and key != "DATABASE_URL"
    }
    clean |= {"DJANGO_SETTINGS_MODULE": "meydan.settings", "MEYDAN_VAR_DIR": str(tmp_path)}
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", PROBE.format(then=then, watched=WATCHED)],
        env=clean | env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.split()


def test_the_default_layout_serves_without_redis(tmp_path):
    assert loaded_after_wsgi(tmp_path, "from django.core.cache import cache; cache.get('k')") == []


def test_the_redis_cache_loads_it_when_first_used(tmp_path):
    use = "from django.core.cache import cache; cache.get('k')"
    assert loaded_after_wsgi(tmp_path, MEYDAN_CACHE_URL=DEAD_REDIS) == []
    assert loaded_after_wsgi(tmp_path, use, MEYDAN_CACHE_URL=DEAD_REDIS) == ["redis"]


def test_the_live_stream_loads_it_when_a_count_is_published(tmp_path):
    publish = "from meydan.live.publish import count_publish; count_publish(1, 'k', 1, 1)"
    assert loaded_after_wsgi(tmp_path, MEYDAN_LIVE_REDIS_URL=DEAD_REDIS) == []
    assert loaded_after_wsgi(tmp_path, publish, MEYDAN_LIVE_REDIS_URL=DEAD_REDIS) == ["redis"]


def test_passkeys_load_fido2_when_a_ceremony_uses_it(tmp_path):
    ceremony = "from allauth.mfa.webauthn.internal import auth; auth.Fido2Server"
    assert loaded_after_wsgi(tmp_path) == []
    assert loaded_after_wsgi(tmp_path, ceremony) == [WATCHED[0], "fido2"]
