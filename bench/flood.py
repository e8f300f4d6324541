"""A spam flood against the comment API, with real readers posting in between.

    .venv/bin/python bench/flood.py [--spam 2000] [--seconds 60] [--ips 5]
    .venv/bin/python bench/flood.py --pool 200 --modes off,ignore,solve


Starts `meydan serve` (SQLite, all moderation checks on, default limits) behind one
trusted proxy (MEYDAN_TRUSTED_PROXIES=1), so each request's X-Forwarded-For stands
for its client address. Bots post spam-like comments (links, repeated pitches, a few
rotating names and emails) from a handful of IPs as fast as they can for the given
time; meanwhile real readers, each from their own address, post ordinary comments
at a human pace (and wait the form's minimum age). Prints what happened to the spam
(published / held / spam / refused, by reason) and checks that every real reader's
comment was stored and published.

--pool N: the bots rotate through N addresses (X-Forwarded-For), the pattern that
makes per-address rate limits useless. --modes runs the flood once per mode, each on
a fresh server, and prints one table (docs/bot-defence.md):
  off     no proof of work (MEYDAN_POW=0): the flood as before
  ignore  proof of work on; bots do not solve (post without `altcha`)
  solve   proof of work on; bots ask for a challenge and solve it at full speed in
          Python (the `altcha` package, threads of this process: about one core)
With the proof of work on, the real readers ask for a challenge and solve it too.
"""

import argparse
import base64
import json
import random
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import altcha

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import manage, meydan_server  # noqa: E402

SITE = "bench-news"
ORIGIN = "https://news.example.org"
PITCHES = [
    "Cheap watches and bags at {url} best price {n}",
    "Make $5000 a week from home!!! Click {url} now {n}",
    "Check out my channel {url} and subscribe {n} {url}/sub",
    "CRYPTO GIVEAWAY {url} send 1 BTC get 2 back {n}",
]
READER_TEXTS = [
    "The turnout figures in this report are the most careful I have seen.",
    "I was near the stadium too; police kept people far from the centre.",
    "Does anyone know whether the lawyers were allowed to visit Rasul Jafarov?",
    "Thank you for covering this before the Games; few outlets did.",
]


def post(base, body, ip, form_token, solution=None):
    extra = {"altcha": solution} if solution else {}
    data = json.dumps({**body, "form_token": form_token, **extra}).encode()
    headers = {"Content-Type": "application/json", "Origin": ORIGIN, "X-Forwarded-For": ip}
    # Our own loopback server (http only).
    request = urllib.request.Request(  # noqa: S310
        base + "/api/v1/comments", data=data, method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def form_token(base):
    with urllib.request.urlopen(f"{base}/api/v1/sites/{SITE}", timeout=10) as r:  # noqa: S310
        return json.loads(r.read())["form_token"]


def solve(base, url, ip) -> tuple[str, float]:
    """(the `altcha` payload for a challenge on `url`, CPU seconds spent solving)."""
    query = urlencode({"site": SITE, "url": url})
    request = urllib.request.Request(  # noqa: S310 - our own loopback server
        f"{base}/api/v1/challenge?{query}", headers={"X-Forwarded-For": ip}
    )
    with urllib.request.urlopen(request, timeout=30) as r:  # noqa: S310
        ch = json.loads(r.read())
    started = time.thread_time()
    found = altcha.solve_challenge_v1(ch["challenge"], ch["salt"], ch["algorithm"], ch["maxnumber"])
    spent = time.thread_time() - started
    payload = {
        "algorithm": ch["algorithm"], "challenge": ch["challenge"], "number": found.number,
        "salt": ch["salt"], "signature": ch["signature"],
    }  # fmt: skip
    return base64.b64encode(json.dumps(payload).encode()).decode(), spent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spam", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--ips", type=int, default=5)
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--pool", type=int, default=0, help="bots rotate through N addresses")
    parser.add_argument("--modes", default="off", help="off,ignore,solve (see above)")
    args = parser.parse_args()
    rows = [flood(args, mode) for mode in args.modes.split(",")]
    print()
    print("| proof of work | spam sent | published | held | spam | refused | solved by bots "
          "| bots' CPU per solve | real readers published |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(str(v) for v in row) + " |")
    if any(row[-1] != f"{args.readers} of {args.readers}" for row in rows):
        raise SystemExit("a real reader's comment was lost, held or refused")


MODES = {
    "off": "off",
    "ignore": "on, bots do not solve",
    "solve": "on, bots solve (Python)",
}


def flood(args, mode: str) -> list:
    rng = random.Random(20261126)
    pow_on = mode != "off"
    print(f"--- {MODES[mode]} ---")

    def setup(env):
        manage(env, "site", "add", "--name", "Bench News", "--origin", ORIGIN)

    env = {"MEYDAN_TRUSTED_PROXIES": "1", "MEYDAN_POW": "1" if pow_on else "0"}
    with meydan_server(env, setup=setup) as (base, _env):
        token = form_token(base)
        time.sleep(3.2)  # the form's minimum age: bots learn to wait too
        if args.pool:
            bot_ips = [f"198.18.{i // 250}.{i % 250 + 1}" for i in range(args.pool)]
        else:
            bot_ips = [f"203.0.113.{i + 10}" for i in range(args.ips)]
        solves: list[float] = []
        results: Counter = Counter()
        reasons: Counter = Counter()
        readers_ok: list[int] = []
        lock = threading.Lock()
        deadline = time.time() + args.seconds

        def bot(n):
            if time.time() > deadline:
                return
            url = f"https://spam-{rng.randrange(50)}.example/p{n}"
            body = {
                "site": SITE, "url": f"{ORIGIN}/story-{n % 7}/", "title": "Story",
                "body": rng.choice(PITCHES).format(url=url, n=n),
                "name": f"Winner{n % 9}", "email": f"promo{n % 13}@spam.example",
            }  # fmt: skip
            ip = bot_ips[n % len(bot_ips)] if args.pool else rng.choice(bot_ips)
            solution = None
            if mode == "solve":
                solution, spent = solve(base, body["url"], ip)
                with lock:
                    solves.append(spent)
            status, data = post(base, body, ip, token, solution)
            with lock:
                if status in (201, 202):
                    outcome = "published" if data.get("published") else data["comment"]["status"]
                    results[outcome] += 1
                else:
                    code = data.get("error", {}).get("code", str(status))
                    results[f"refused ({status})"] += 1
                    reasons[code] += 1

        def reader(i):
            time.sleep(rng.uniform(0, args.seconds * 0.8))
            body = {
                "site": SITE, "url": f"{ORIGIN}/story-{i % 7}/", "title": "Story",
                "body": f"{READER_TEXTS[i % len(READER_TEXTS)]} (reader {i})",
                "name": f"Reader {i}", "email": f"reader{i}@example.net",
            }  # fmt: skip
            token = form_token(base)  # the reader opens the form…
            time.sleep(rng.uniform(4, 8))  # …and takes a few seconds to write
            ip = f"198.51.100.{i + 1}"
            solution = solve(base, body["url"], ip)[0] if pow_on else None
            status, data = post(base, body, ip, token, solution)
            with lock:
                if status == 201 and data.get("published"):
                    readers_ok.append(i)
                else:
                    print(f"reader {i}: {status} {data}", file=sys.stderr)

        started = time.time()
        with ThreadPoolExecutor(max_workers=16 + args.readers) as pool:
            for i in range(args.readers):
                pool.submit(reader, i)
            list(pool.map(bot, range(args.spam)))
        elapsed = time.time() - started
        sent = sum(results.values())
        ips = args.pool or args.ips
        print(f"spam sent: {sent} in {elapsed:.1f} s from {ips} IPs ({sent / elapsed:.0f}/s)")
        for outcome in ("published", "pending", "spam"):
            print(f"  {outcome:<14} {results.get(outcome, 0)}")
        refused = sum(v for k, v in results.items() if k.startswith("refused"))
        print(f"  {'refused':<14} {refused}  " + ", ".join(f"{k}: {v}" for k, v in reasons.items()))
        print(f"real readers: {len(readers_ok)} of {args.readers} published")
        cpu = f"{sum(solves) / len(solves) * 1000:.0f} ms" if solves else "–"
        return [
            MODES[mode], f"{sent} ({sent / elapsed:.0f}/s)", results.get("published", 0),
            results.get("pending", 0), results.get("spam", 0), refused,
            len(solves) if mode == "solve" else "–", cpu,
            f"{len(readers_ok)} of {args.readers}",
        ]  # fmt: skip


if __name__ == "__main__":
    main()
