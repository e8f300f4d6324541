"""What `meydan serve` does before granian starts: the system checks and collecting
static files, only when something they depend on changed since the last start.

Collecting (and compressing) the static files took 5-7 s of every start, and loading
Django for the system checks another second or two, while after a crash nothing has
changed: a supervisor's restart should be back in well under two seconds. So the
server's parent process does not load Django at all (meydan/cli.py), and here takes a
fingerprint of what the checks and the collected files depend on:

- every file of the `meydan` package (code, templates, static files): an upgrade or
  an edit;
- the static folders of the other installed apps (an upgraded Django or allauth);
- the environment's MEYDAN_*, DJANGO_* and DATABASE_URL values, and the size and
  time of any file they name (the privacy text, a key file).

Sizes and modification times, not contents: a few hundred stat calls, a few
milliseconds. The fingerprint of the last start that passed the checks and collected
the files is kept in the var dir (not under static/, which is served); when it
matches and the collected manifest is there, both steps are skipped.
"""

import hashlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

STAMP_NAME = "serve-prepared.sha256"
_ENV_PREFIXES = ("MEYDAN_", "DJANGO_")
_ENV_NAMES = ("DATABASE_URL",)


def _package_dir(dotted: str) -> Path | None:
    """The folder of an INSTALLED_APPS entry (a package, or an AppConfig path in
    one), found without importing the app."""
    parts = dotted.split(".")
    while parts:
        try:
            spec = importlib.util.find_spec(".".join(parts))
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.submodule_search_locations:
            return Path(next(iter(spec.submodule_search_locations)))
        parts.pop()
    return None


def _add_tree(digest, root: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(name for name in dirnames if name != "__pycache__")
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())


def fingerprint(installed_apps: list[str], static_dirs: list) -> str:
    import meydan

    digest = hashlib.sha256()
    digest.update(sys.version.encode())
    meydan_dir = Path(meydan.__file__).parent
    _add_tree(digest, meydan_dir)
    for app in installed_apps:
        folder = _package_dir(app)
        if folder is not None and meydan_dir not in folder.parents and folder != meydan_dir:
            _add_tree(digest, folder / "static")
    for folder in static_dirs:
        _add_tree(digest, Path(folder[1] if isinstance(folder, tuple) else folder))
    for name in sorted(os.environ):
        if name.startswith(_ENV_PREFIXES) or name in _ENV_NAMES:
            value = os.environ[name]
            digest.update(f"{name}={value}\n".encode())
            if value.startswith("/") and os.path.isfile(value):
                stat = os.stat(value)
                digest.update(f"{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def prepare(*, force: bool = False, stdout=None) -> bool:
    """Run the system checks and collect static files unless nothing changed since
    the last time they passed. Returns whether they ran. Raises SystemExit with the
    checks' or collectstatic's message when either fails, as `meydan serve` did."""
    from django.conf import settings

    stamp = Path(settings.VAR_DIR) / STAMP_NAME
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    current = fingerprint(list(settings.INSTALLED_APPS), list(settings.STATICFILES_DIRS))
    if not force and manifest.exists() and stamp.exists() and stamp.read_text() == current:
        return False
    if stamp.exists():
        stamp.unlink()
    # Child processes: they load Django (this one stays without it). Collecting first,
    # with settings that pick the manifest storage it writes; then the checks, with
    # the settings the server's workers will have (the manifest is there by then).
    collecting = {**os.environ, "MEYDAN_COLLECTING_STATIC": "1"}
    for command, env in (
        (["collectstatic", "--noinput", "-v0"], collecting),
        (["check"], os.environ),
    ):
        done = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
            [sys.executable, "-m", "meydan.cli", *command], env=env, check=False
        )
        if done.returncode:
            raise SystemExit(done.returncode)
    stamp.write_text(current)
    return True
