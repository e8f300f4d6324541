"""Where the processes of one machine add up their metrics (prometheus_client's
multiprocess mode), decided before anything imports prometheus_client.

prometheus_client picks per-process files or plain memory once, when it is first
imported, from PROMETHEUS_MULTIPROC_DIR. `meydan serve` (granian's worker processes)
and `meydan worker` therefore set it in `meydan.cli.main`, before Django loads: the
operator's value if set, else MEYDAN_VAR_DIR/metrics/. Other commands, tests and
`runserver` leave it unset and count in their own memory.

No Django and no prometheus_client here: this runs before either is imported.
"""

import os
import re
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"
COMMANDS = ("serve", "worker")  # the long-running processes whose metrics are scraped
_PID_FILE = re.compile(r"^[a-z_]+_(\d+)\.db$")  # counter_123.db, gauge_livesum_123.db


def use_shared_dir(var_dir: Path) -> Path:
    """Set PROMETHEUS_MULTIPROC_DIR (unless the operator did) and make the directory."""
    path = Path(os.environ.get(ENV) or var_dir / "metrics")
    path.mkdir(parents=True, exist_ok=True)
    os.environ[ENV] = str(path)
    return path


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: not ours to judge
    return True


def clear_stale(path: Path, *, also: int | None = None) -> int:
    """Delete the files of processes that are gone (and of `also`, the caller, which
    is about to become another program). A worker started before the server keeps
    its files. Returns how many were deleted."""
    removed = 0
    for entry in path.iterdir():
        match = _PID_FILE.match(entry.name)
        if match is None:
            continue
        pid = int(match.group(1))
        if pid == also or not _running(pid):
            entry.unlink(missing_ok=True)
            removed += 1
    return removed
