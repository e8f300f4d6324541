"""meydan.core.deferred: a deferred module runs on its first attribute read, once, even
when many threads read it at the same moment."""

import sys
import threading

from meydan.core import deferred

PROBE = """
import time
RUNS = globals().get("RUNS", 0) + 1  # 2 if its code ran twice in the same module
time.sleep(0.05)
VALUE = 42
"""


def test_a_deferred_module_runs_once_on_first_use(tmp_path, monkeypatch):
    (tmp_path / "meydan_deferred_probe.py").write_text(PROBE)
    monkeypatch.syspath_prepend(str(tmp_path))
    deferred.defer("meydan_deferred_probe")
    try:
        import meydan_deferred_probe as probe

        assert not deferred.loaded("meydan_deferred_probe")
        seen = []
        readers = [threading.Thread(target=lambda: seen.append(probe.VALUE)) for _ in range(8)]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join()
        assert seen == [42] * 8 and probe.RUNS == 1
        assert deferred.loaded("meydan_deferred_probe") and type(probe) is type(sys)
    finally:
        sys.modules.pop("meydan_deferred_probe", None)
