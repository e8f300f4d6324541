"""32 readers posting at once lose and duplicate nothing (bench/post_concurrency.py,
in its own process: on a SQLite file in WAL mode as shipped, and on PostgreSQL when
DATABASE_URL names one)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[3] / "bench" / "post_concurrency.py"


def test_32_concurrent_posters_lose_and_duplicate_nothing():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEYDAN_")}
    result = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(SCRIPT), "--posters", "32", "--each", "10"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lost or duplicated writes: none" in result.stdout
