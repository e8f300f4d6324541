"""How long a reader's browser takes to solve the proof of work, and what it costs
the server (moderation/checks/pow_challenge.py; docs/bot-defence.md).

    .venv/bin/python bench/pow_solve.py [--runs 15] [--difficulties 50000,200000,800000]

1. Server: CPU time (process time, one core) to issue a challenge (challenge_issue,
   flood counters included) and to verify and spend a solution, in µs, with the
   local-memory cache (Redis adds its round trips).
2. Reader: headless Chromium loads Meydan's pow.js on a loopback page and solves
   challenges made by the server's code at each difficulty (a random secret number,
   as readers get them): median and 90th percentile wall time, and hashes per
   second. Also the bytes the reader downloads for it (pow.js, gzip).

Prints a Markdown table; bench/results/pow.md keeps the last run.
"""

import argparse
import gzip
import http.server
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meydan.settings")
os.environ.setdefault("MEYDAN_VAR_DIR", tempfile.mkdtemp(prefix="meydan-bench-pow-"))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402

from meydan.moderation.checks import pow_challenge  # noqa: E402

POW_JS = ROOT / "meydan" / "embed" / "static" / "embed" / "pow.js"
PAGE = b"""<!doctype html><meta charset="utf-8"><title>pow</title>
<script src="/pow.js"></script>"""


def server_cost(runs: int) -> tuple[float, float]:
    """(µs CPU per issue, µs CPU per verify + spend)."""
    settings.MEYDAN_POW_DIFFICULTY = 1000  # solving is not what is measured here
    issued = []
    started = time.process_time()
    for i in range(runs):
        # A site of its own each time, so that no issue is priced by a flood.
        issued.append(
            pow_challenge.challenge_issue(
                site_key=f"bench{i}", page_key="/p/", ip=f"10.0.{i % 250}.{i // 250}"
            )
        )
    issue_us = (time.process_time() - started) / runs * 1e6
    import altcha

    payloads = []
    for ch in issued:
        found = altcha.solve_challenge_v1(
            ch["challenge"], ch["salt"], ch["algorithm"], ch["maxnumber"]
        )
        import base64
        import json

        payloads.append(base64.b64encode(json.dumps({
            "algorithm": ch["algorithm"], "challenge": ch["challenge"], "number": found.number,
            "salt": ch["salt"], "signature": ch["signature"]}).encode()).decode())  # fmt: skip
    started = time.process_time()
    for i, payload in enumerate(payloads):
        checked = pow_challenge.challenge_verify(payload, site_key=f"bench{i}", page_key="/p/")
        if not (checked.ok and pow_challenge.payload_spend(checked)):
            raise SystemExit(f"a good solution was refused: {checked}")
    verify_us = (time.process_time() - started) / runs * 1e6
    return issue_us, verify_us


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the standard library's name
        body, kind = (POW_JS.read_bytes(), "text/javascript") if self.path == "/pow.js" else (
            PAGE, "text/html")  # fmt: skip
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def browser_times(difficulties: list[int], runs: int) -> dict[int, list[float]]:
    from playwright.sync_api import sync_playwright

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    out: dict[int, list[float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.goto(url)
        page.wait_for_function("() => window.meydanPow")
        for difficulty in difficulties:
            settings.MEYDAN_POW_DIFFICULTY = difficulty
            settings.MEYDAN_POW_MAX_DIFFICULTY = max(difficulty, settings.MEYDAN_POW_MAX_DIFFICULTY)
            times = []
            for _ in range(runs):
                cache.clear()
                ch = pow_challenge.challenge_issue(site_key="bench", page_key="/p/", ip="10.0.0.1")
                if ch["maxnumber"] != difficulty:
                    raise SystemExit(f"issued {ch['maxnumber']}, not {difficulty}")
                ms = page.evaluate(
                    """async (ch) => { const t = performance.now();
                       const p = await window.meydanPow.solve(ch);
                       if (!p) throw new Error("no solution");
                       return performance.now() - t; }""",
                    ch,
                )
                times.append(ms / 1000)
            out[difficulty] = times
        browser.close()
    server.shutdown()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--server-runs", type=int, default=2000)
    parser.add_argument("--difficulties", default="50000,200000,800000")
    args = parser.parse_args()
    difficulties = [int(d) for d in args.difficulties.split(",")]

    issue_us, verify_us = server_cost(args.server_runs)
    raw = POW_JS.read_bytes()
    print(f"pow.js: {len(raw):,} bytes, {len(gzip.compress(raw, 9, mtime=0)):,} bytes gzip")
    print(f"server CPU per challenge: issue {issue_us:.0f} µs, verify + spend {verify_us:.0f} µs")
    print()
    print("| max number (difficulty) | median solve | p90 | hashes/s (median) | runs |")
    print("|---:|---:|---:|---:|---:|")
    for difficulty, times in browser_times(difficulties, args.runs).items():
        times.sort()
        median = statistics.median(times)
        p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
        # On average the secret number is at max/2: that many hashes.
        rate = difficulty / 2 / median if median else 0
        print(f"| {difficulty:,} | {median:.2f} s | {p90:.2f} s | {rate:,.0f} | {len(times)} |")


if __name__ == "__main__":
    main()
