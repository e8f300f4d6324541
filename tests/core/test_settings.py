"""Settings come from the environment; the generated secret key stays private."""

import os
import stat
import subprocess
import sys


def run_settings(tmp_path, code: str, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MEYDAN_", "DATABASE_URL"))}
    environ.update({"MEYDAN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "meydan.settings"})
    environ.update(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"from django.conf import settings as s; {code}"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_secret_key_generated_once_with_owner_only_permissions(tmp_path):
    first = run_settings(tmp_path, "print(s.SECRET_KEY)")
    second = run_settings(tmp_path, "print(s.SECRET_KEY)")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout and len(first.stdout.strip()) >= 50
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_secret_key_from_environment(tmp_path):
    out = run_settings(tmp_path, "print(s.SECRET_KEY)", MEYDAN_SECRET_KEY="from-env")
    assert out.stdout.strip() == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_defaults_are_production_safe(tmp_path):
    out = run_settings(
        tmp_path,
        "print(s.DEBUG, s.ALLOWED_HOSTS, s.DATABASES['default']['ENGINE'],"
        " s.DATABASES['default']['OPTIONS']['init_command'])",
    )
    assert out.stdout.startswith("False ['127.0.0.1', 'localhost', '[::1]']")
    assert "sqlite3" in out.stdout and "journal_mode=WAL" in out.stdout


def test_database_url_selects_postgresql(tmp_path):
    out = run_settings(
        tmp_path,
        "print(s.DATABASES['default']['ENGINE'])",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/test",
    )
    assert out.stdout.strip() == "django.db.backends.postgresql"


def test_bad_values_fail_with_a_clear_message(tmp_path):
    out = run_settings(tmp_path, "s.DEBUG", MEYDAN_DEBUG="maybe")
    assert out.returncode != 0 and "MEYDAN_DEBUG must be a boolean" in out.stderr
    out = run_settings(tmp_path, "s.DEBUG", MEYDAN_MAX_DEPTH="deep")
    assert "MEYDAN_MAX_DEPTH must be a whole number" in out.stderr
