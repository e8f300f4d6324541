"""How many Python threads `meydan serve` gives each granian worker."""

import pytest
from django.core.management import CommandError, call_command

from meydan.core import metricsdir
from meydan.core.management.commands import serve

# Only the engine's name is read (no connection is made): see use_engine.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


class Started(Exception):
    pass


@pytest.fixture
def granian_argv(monkeypatch, tmp_path, settings):
    """The command line `meydan serve` would hand over to granian."""
    settings.VAR_DIR = tmp_path
    monkeypatch.setenv(metricsdir.ENV, str(tmp_path / "metrics"))
    seen = {}

    def execv(path, argv):
        seen["argv"] = argv
        raise Started

    monkeypatch.setattr(serve.os, "execv", execv)

    def run(*args):
        with pytest.raises(Started):
            call_command("serve", "--no-collectstatic", *args)
        argv = seen["argv"]
        return int(argv[argv.index("--blocking-threads") + 1])

    return run


def use_engine(settings, engine):
    settings.DATABASES = {**settings.DATABASES}
    settings.DATABASES["default"] = {**settings.DATABASES["default"], "ENGINE": engine}


def test_one_thread_on_sqlite(granian_argv, settings, monkeypatch):
    monkeypatch.delenv("MEYDAN_THREADS", raising=False)
    use_engine(settings, "django.db.backends.sqlite3")
    assert granian_argv() == 1


def test_two_threads_on_postgresql(granian_argv, settings, monkeypatch):
    """A worker there waits on the network for every query: a second thread works
    meanwhile."""
    monkeypatch.delenv("MEYDAN_THREADS", raising=False)
    use_engine(settings, "django.db.backends.postgresql")
    assert granian_argv() == 2


def test_the_operator_decides(granian_argv, settings, monkeypatch):
    use_engine(settings, "django.db.backends.postgresql")
    monkeypatch.setenv("MEYDAN_THREADS", "4")
    assert granian_argv() == 4
    assert granian_argv("--threads", "1") == 1


@pytest.mark.parametrize("value", ["two", "0", "-1", "1.5"])
def test_a_bad_thread_count_is_named(granian_argv, monkeypatch, value):
    monkeypatch.setenv("MEYDAN_THREADS", value)
    with pytest.raises(CommandError, match="MEYDAN_THREADS must be a whole number"):
        call_command("serve", "--no-collectstatic")


@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_bad_threads_option_is_named(granian_argv, value):
    with pytest.raises(CommandError, match="--threads must be 1 or more"):
        call_command("serve", "--no-collectstatic", "--threads", value)
