"""A spam flood against the comment API, with real readers posting in between.

    .venv/bin/python bench/flood.py [--spam 2000] [--seconds 60] [--ips 5]

Starts `meydan serve` (SQLite, all moderation checks on, default limits) behind one
trusted proxy (MEYDAN_TRUSTED_PROXIES=1), so each request's X-Forwarded-For stands
for its client address. Bots post spam-like comments (links, repeated pitches, a few
rotating names and emails) from a handful of IPs as fast as they can for the given
time; meanwhile real readers, each from their own address, post ordinary comments
at a human pace (and wait the form's minimum age). Prints what happened to the spam
(published / held / spam / refused, by reason) and checks that every real reader's
comment was stored and published.
"""

import argparse
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


def post(base, body, ip, form_token):
    data = json.dumps({**body, "form_token": form_token}).encode()
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spam", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--ips", type=int, default=5)
    parser.add_argument("--readers", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(20261126)

    def setup(env):
        manage(env, "site", "add", "--name", "Bench News", "--origin", ORIGIN)

    env = {"MEYDAN_TRUSTED_PROXIES": "1"}
    with meydan_server(env, setup=setup) as (base, _env):
        token = form_token(base)
        time.sleep(3.2)  # the form's minimum age: bots learn to wait too
        bot_ips = [f"203.0.113.{i + 10}" for i in range(args.ips)]
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
            status, data = post(base, body, rng.choice(bot_ips), token)
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
            status, data = post(base, body, f"198.51.100.{i + 1}", token)
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
        print(f"spam sent: {sent} in {elapsed:.1f} s from {args.ips} IPs ({sent / elapsed:.0f}/s)")
        for outcome in ("published", "pending", "spam"):
            print(f"  {outcome:<14} {results.get(outcome, 0)}")
        refused = sum(v for k, v in results.items() if k.startswith("refused"))
        print(f"  {'refused':<14} {refused}  " + ", ".join(f"{k}: {v}" for k, v in reasons.items()))
        print(f"real readers: {len(readers_ok)} of {args.readers} published")
        if len(readers_ok) != args.readers:
            raise SystemExit("a real reader's comment was lost or refused")


if __name__ == "__main__":
    main()
