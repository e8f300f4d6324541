"""The scale benchmark's bulk loader (bench/scale_pg.py) writes the rows that
comments.services.comment_post writes: every column, for the same reply trees."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from meydan.comments import services
from tests.conftest import require_tool

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "scale_pg.py"


def _scale():
    spec = importlib.util.spec_from_file_location("scale_pg", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scale():
    return _scale()


@pytest.fixture
def workload(scale, site):
    site.require_name_email = False  # as the loader sets it: some authors give no email
    site.save()
    return scale.Workload(site)


def test_plans_follow_the_shared_workload(scale):
    plans = list(scale.plans(2000))
    assert all(len(plan) == scale.PER_THREAD and plan[0][0] is None for plan in plans)
    depth: dict[tuple[int, int], int] = {}
    top = 0
    for t, plan in enumerate(plans):
        for idx, (parent, _author, _text) in enumerate(plan):
            assert parent is None or parent < idx
            depth[t, idx] = 1 if parent is None else depth[t, parent] + 1
            top += parent is None
    assert max(depth.values()) == 3
    # comment 0 is always top-level, then p = 1/3: (1 + 9/3) / 10 = 40 %
    assert 0.37 < top / len(depth) < 0.43


def test_bulk_rows_equal_the_service_rows(
    scale, workload, site, django_capture_on_commit_callbacks
):
    for n, plan in enumerate(scale.plans(5), start=1):
        bulk_thread = workload.thread_row(n, len(plan))
        bulk_comments = workload.comment_rows(n, plan)
        scale.check_columns(bulk_thread, bulk_comments[0])
        thread = services.thread_get_or_create(site=site, key=f"/probe-{n}")
        with django_capture_on_commit_callbacks(execute=True):
            workload.post(thread, plan, n)
        posted = scale.comparable(*scale.stored_rows(thread.pk))
        assert posted == scale.comparable(bulk_thread, bulk_comments)


def test_posts_answer_the_threads_loaded_comments(scale, workload):
    rng = scale.random.Random(1)
    bodies = [scale.post_body(workload, rng, 7, number)[0] for number in range(600)]
    loaded = range(6 * scale.PER_THREAD + 1, 7 * scale.PER_THREAD + 1)  # thread 7's ids
    replies = [body["parent"] for body in bodies if body["parent"] is not None]
    assert set(replies) <= set(loaded)
    assert 0.28 < 1 - len(replies) / len(bodies) < 0.39  # top-level with p 1/3
    assert all(body["url"] == "/article-7" for body in bodies)
    assert len({body["body"] for body in bodies}) == len(bodies)  # never a duplicate


def test_bodies_are_realistic(workload):
    sizes = [len(html) for _text, _body, html in workload.texts]
    assert 400 < sum(sizes) / len(sizes) < 600


def _postgres_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", connect_timeout=2).close()
    except Exception:  # noqa: BLE001 - any failure means: not available here
        return False
    return True


@pytest.mark.slow
def test_copy_load_round_trips_on_postgresql(scale):
    """Migrate a scratch database, COPY 50 threads in, and let the loader compare three
    of them, read back from PostgreSQL, with the same threads posted through the service."""
    require_tool(
        _postgres_reachable(), "PostgreSQL on 127.0.0.1:5432 (user postgres) not reachable"
    )
    try:
        result = subprocess.run(  # noqa: S603 - our own script
            [sys.executable, "-c", _LOAD_TEST],
            capture_output=True,
            text=True,
            cwd=SCRIPT.parents[1],
            timeout=300,
        )
    finally:
        scale.psql('DROP DATABASE IF EXISTS "meydan_scale_test" WITH (FORCE)')
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"verified_threads": 3' in result.stdout, result.stdout
    # The posts went through POST /api/v1/comments, were all stored, and were undone:
    # the child checks every table's row count is the loaded one again.
    assert '"statuses": {"201": 5}' in result.stdout, result.stdout
    assert '"deleted": 25' in result.stdout, result.stdout  # 20 warm-ups and 5 timed


_LOAD_TEST = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("scale_pg", "bench/scale_pg.py")
scale = importlib.util.module_from_spec(spec)
spec.loader.exec_module(scale)
scale.SIZES["test"] = 50
import json
print(json.dumps(scale.ensure_loaded("test", reload=True)))
env = scale.child_env(scale.db_name("test"), **scale.POST_ENV)
print(json.dumps(scale.run_child(env, "_post", "50", "5", "0")))
"""
