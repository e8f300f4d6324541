"""`meydan serve`'s start-up (meydan/core/startup.py): the system checks and
collectstatic run the first time, are skipped while nothing changed, run again after
a static file or a MEYDAN_ setting changed, and a failed check leaves no stamp (so the
next start checks again). The two child processes are replaced by a fake here."""

import os
import subprocess
from pathlib import Path

import pytest

from meydan.core import startup


class FakeRun:
    """Stands for subprocess.run of `meydan collectstatic` and `meydan check`."""

    def __init__(self, static_root: Path):
        self.static_root = static_root
        self.calls: list[str] = []
        self.fail: str | None = None  # the command that fails

    def __call__(self, argv, env=None, check=False):
        command = argv[3]
        self.calls.append(command)
        if command == self.fail:
            return subprocess.CompletedProcess(argv, 1)
        if command == "collectstatic":
            assert env["MEYDAN_COLLECTING_STATIC"] == "1"
            (self.static_root / "staticfiles.json").write_text("{}")
        return subprocess.CompletedProcess(argv, 0)


@pytest.fixture
def prepared(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path / "var"
    settings.STATIC_ROOT = tmp_path / "var" / "static"
    settings.STATIC_ROOT.mkdir(parents=True)
    extra = tmp_path / "extra-static"
    extra.mkdir()
    (extra / "site.css").write_text("body { color: black }")
    settings.STATICFILES_DIRS = [extra]
    fake = FakeRun(settings.STATIC_ROOT)
    monkeypatch.setattr(startup.subprocess, "run", fake)
    monkeypatch.delenv("MEYDAN_DRILL_SETTING", raising=False)
    return fake, settings.VAR_DIR / startup.STAMP_NAME, extra / "site.css"


def test_runs_the_first_time_and_skips_when_nothing_changed(prepared):
    fake, stamp, _css = prepared
    assert startup.prepare() is True
    assert fake.calls == ["collectstatic", "check"]
    assert stamp.exists()
    assert startup.prepare() is False
    assert startup.prepare() is False
    assert fake.calls == ["collectstatic", "check"]


def test_force_runs_them_anyway(prepared):
    fake, _stamp, _css = prepared
    startup.prepare()
    assert startup.prepare(force=True) is True
    assert fake.calls == ["collectstatic", "check"] * 2


def test_a_touched_static_file_runs_them_again(prepared):
    fake, _stamp, css = prepared
    startup.prepare()
    stat = css.stat()
    os.utime(css, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert startup.prepare() is True
    assert startup.prepare() is False
    assert fake.calls == ["collectstatic", "check"] * 2


def test_a_changed_setting_runs_them_again(prepared, monkeypatch):
    fake, _stamp, _css = prepared
    startup.prepare()
    monkeypatch.setenv("MEYDAN_DRILL_SETTING", "1")
    assert startup.prepare() is True
    assert startup.prepare() is False
    monkeypatch.setenv("MEYDAN_DRILL_SETTING", "2")
    assert startup.prepare() is True
    assert len(fake.calls) == 6


def test_collected_files_gone_runs_them_again(prepared, settings):
    fake, _stamp, _css = prepared
    startup.prepare()
    (settings.STATIC_ROOT / "staticfiles.json").unlink()
    assert startup.prepare() is True


@pytest.mark.parametrize("failing", ["check", "collectstatic"])
def test_a_failure_leaves_no_stamp(prepared, monkeypatch, failing):
    fake, stamp, _css = prepared
    startup.prepare()
    assert stamp.exists()
    monkeypatch.setenv("MEYDAN_DRILL_SETTING", "broken")
    fake.fail = failing
    with pytest.raises(SystemExit) as raised:
        startup.prepare()
    assert raised.value.code == 1
    assert not stamp.exists()
    # Fixed (or not): the next start checks again rather than trusting an old pass.
    fake.fail = None
    fake.calls.clear()
    assert startup.prepare() is True
    assert fake.calls == ["collectstatic", "check"]
    assert stamp.exists()


def test_a_failed_first_start_leaves_no_stamp(prepared):
    fake, stamp, _css = prepared
    fake.fail = "check"
    with pytest.raises(SystemExit):
        startup.prepare()
    assert not stamp.exists()
    with pytest.raises(SystemExit):
        startup.prepare()
    assert fake.calls == ["collectstatic", "check"] * 2
