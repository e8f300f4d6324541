"""Sample memory and CPU of a server's process tree from /proc until SIGTERM.

Adapted from shared/bench/isso/procstat.py (the Isso baseline's sampler; same
method: walk ROOT_PID and its descendants every interval, read VmRSS/VmHWM and
utime+stime), extended to keep the numbers per process, so that the table can
show the peak RSS of each process (a gunicorn worker, the master) and not only
the tree's sum, and to count the processes seen (a worker restarted by
gunicorn's --max-requests shows up as an extra pid).

    python bench/procstat.py ROOT_PID[,ROOT_PID...] OUT.json [interval_s]

Writes on SIGTERM/SIGINT:
  peak_rss_total_kb   max over samples of the summed VmRSS of the tree
  peak_rss_proc_kb    max VmHWM/VmRSS of any single process seen
  procs               per pid: name, peak_rss_kb (max of VmRSS samples and VmHWM), cpu_s
  cpu_s               CPU seconds the tree used while sampled (pids that appear
                      later count from 0)
  pids_seen           how many distinct pids were seen
  machine_busy_s      CPU seconds the whole machine was busy while sampled
                      (minus cpu_s: what wrk and everything else used)
"""

import json
import os
import signal
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(x) for x in fh.read().split())
    except OSError:
        pass
    return out


def tree(roots: list[int]) -> list[int]:
    pids, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children(pid))
    return pids


def status(pid: int) -> dict | None:
    out: dict = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0])
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
            out["ticks"] = int(fields[11]) + int(fields[12])  # utime + stime
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = [a.decode(errors="replace") for a in fh.read().split(b"\0") if a]
        out["name"] = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(argv))[
            :80
        ]
    except (OSError, ValueError, IndexError):
        return None
    return out


def machine_busy() -> int:
    with open("/proc/stat") as fh:
        values = [int(x) for x in fh.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values[:8]) - idle


def main() -> None:
    roots, out = [int(pid) for pid in sys.argv[1].split(",")], sys.argv[2]
    interval = float(sys.argv[3]) if len(sys.argv) > 3 else 0.2
    stop: list[int] = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    peak_total = samples = 0
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    procs: dict[int, dict] = {}
    started = time.time()
    busy0 = machine_busy()
    while not stop:
        total = 0
        for pid in tree(roots):
            st = status(pid)
            if not st:
                continue
            rss = st.get("VmRSS", 0)
            total += rss
            info = procs.setdefault(pid, {"name": st["name"], "peak_rss_kb": 0})
            info["peak_rss_kb"] = max(info["peak_rss_kb"], rss, st.get("VmHWM", 0))
            if pid not in first:  # alive at the start: from now; started later: from 0
                first[pid] = st["ticks"] if samples == 0 else 0
            last[pid] = st["ticks"]
        peak_total = max(peak_total, total)
        samples += 1
        if not any(os.path.exists(f"/proc/{root}") for root in roots):
            break
        time.sleep(interval)
    for pid, info in procs.items():
        info["cpu_s"] = round((last[pid] - first.get(pid, 0)) / TICK, 2)
    cpu = sum(last[p] - first.get(p, 0) for p in last) / TICK
    busy = (machine_busy() - busy0) / TICK
    with open(out, "w") as fh:
        json.dump(
            {
                "peak_rss_total_kb": peak_total,
                "peak_rss_proc_kb": max((i["peak_rss_kb"] for i in procs.values()), default=0),
                "procs": {str(pid): info for pid, info in procs.items()},
                "cpu_s": round(cpu, 2),
                "pids_seen": len(procs),
                "machine_busy_s": round(busy, 2),
                "samples": samples,
                "elapsed_s": round(time.time() - started, 2),
            },
            fh,
        )


if __name__ == "__main__":
    main()
