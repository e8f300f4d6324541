"""deploy/systemd: the units parse (`systemd-analyze verify`) and are hardened."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SYSTEMD = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
UNITS = ("meydan.service", "meydan-worker.service", "meydan-live.service")
MEYDAN = str(Path(sys.executable).with_name("meydan"))


def directives(unit: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (SYSTEMD / unit).read_text().splitlines():
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


@pytest.mark.parametrize("unit", UNITS)
def test_the_unit_runs_meydan_as_its_own_user_hardened(unit):
    d = directives(unit)
    command = {"meydan.service": "serve", "meydan-live.service": "live"}.get(unit, "worker")
    assert d["ExecStart"][0].startswith(f"/opt/meydan/.venv/bin/meydan {command}")
    assert d["User"] == ["meydan"] and d["Group"] == ["meydan"]
    assert d["Restart"] == ["on-failure"]
    assert d["EnvironmentFile"] == ["/etc/meydan/meydan.env"]
    assert "MEYDAN_VAR_DIR=/var/lib/meydan" in d["Environment"][0]
    assert d["ReadWritePaths"] == ["/var/lib/meydan"] and d["StateDirectory"] == ["meydan"]
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert d[key] == [value], key
    # Migrations run once per upgrade, by the operator (deploy/README.md).
    assert "ExecStartPre" not in d


def test_the_user_and_the_environment_example():
    assert "u meydan -" in (SYSTEMD / "meydan.sysusers").read_text()
    example = (SYSTEMD / "meydan.env.example").read_text()
    assert re.search(r"^DATABASE_URL=postgres://", example, re.M)
    assert re.search(r"^MEYDAN_CACHE_URL=redis://", example, re.M)
    assert re.search(r"^MEYDAN_TASKS_URL=redis://", example, re.M)
    assert re.search(r"^MEYDAN_SECRET_KEY=CHANGE-ME$", example, re.M)


def test_systemd_analyze_verifies_the_units(tmp_path):
    """In a copy whose ExecStart is this checkout's `meydan` (verify wants the binary)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd): not verified")
    for unit in UNITS:
        text = (SYSTEMD / unit).read_text().replace("/opt/meydan/.venv/bin/meydan", MEYDAN)
        (tmp_path / unit).write_text(text)
    paths = [str(tmp_path / unit) for unit in UNITS]
    result = subprocess.run(  # noqa: S603 - the system's systemd-analyze, our files
        [analyze, "verify", "--man=no", *paths], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    # verify exits 0 on a directive it ignores, with a line on standard error.
    assert result.stderr.strip() == "", result.stderr
    for unit in UNITS:
        security = subprocess.run(  # noqa: S603
            [analyze, "security", "--offline=yes", str(tmp_path / unit)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        level = re.search(r"Overall exposure level for \S+: ([\d.]+)", security.stdout)
        assert level, security.stdout + security.stderr
        assert float(level.group(1)) <= 2.0, security.stdout
