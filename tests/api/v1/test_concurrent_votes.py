"""32 readers up-voting one comment at once: the count is exact, replays count nothing
(bench/vote_concurrency.py, in its own process with real threads: on a SQLite file in
WAL mode as shipped, and on PostgreSQL when DATABASE_URL names one)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[3] / "bench" / "vote_concurrency.py"


def test_32_concurrent_voters_on_one_comment_are_counted_exactly():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEYDAN_")}
    result = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(SCRIPT), "--voters", "32", "--replays", "2"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "vote_count 17, Vote rows 17" in result.stdout
    assert "count exact: yes" in result.stdout
