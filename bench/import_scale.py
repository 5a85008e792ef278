"""``POST /v1/planner/keywords/import/`` at scale: 1k / 10k / 50k / 100k-row Semrush files.

Run from the repository root::

    .venv/bin/python bench/import_scale.py [--sizes 1000,10000,50000,100000] [--profile]

One local stack (moto on 127.0.0.1, tables from template.yaml); per size a fresh account and a
Semrush Keyword Magic file with its default columns (``Keyword, Intent, Volume, Keyword
Difficulty, CPC (USD)``; the optional Trend and SERP-features columns make a row ~3x larger,
see the printed bytes per row). Each file is sent in parts of at most the route's row limit
(``MAX_IMPORT_ROWS``, each part with the header row, as ``igny8 import`` sends it) through the real API handler
(``local_stack.apigw.call_api``: the API Lambda's handler in process) as ``text/csv``, which API
Gateway delivers as text. Printed per size: body bytes, the proxy event's size (the Lambda request
payload: body JSON-escaped plus headers) of the largest part, bytes per row, total seconds, rows created, DynamoDB requests by
operation (a botocore ``before-parameter-build.dynamodb`` hook on pynamodb's one client), each
against its target: event <= 6 MB (Lambda's request payload limit), seconds <= 29 (API Gateway's
integration timeout) for the slowest part. ``--profile`` prints the top
cumulative functions of the largest size (cProfile), to see where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

MAX_BODY = 6 * 1024 * 1024
MAX_SECONDS = 29.0
INTENTS = ("Informational", "Commercial", "Transactional", "Navigational", "Commercial, Transactional")
MODIFIERS = [
    "best", "cheap", "how to use", "buy", "reviews", "near me", "vs", "for beginners", "diy", "2024",
    "top rated", "alternatives", "price", "how to clean", "replacement", "used", "mini", "pro", "kit",
    "guide", "ideas", "small", "large", "electric", "manual", "portable", "for kids", "organic", "set",
]  # fmt: skip
NOUNS = [
    "coffee grinder", "frying pan", "water bottle", "desk lamp", "yoga mat", "backpack", "cutting board",
    "tea kettle", "garden hose", "rain jacket", "air fryer", "stand mixer", "office chair", "bike helmet",
    "running shoes", "tent", "sleeping bag", "dog bed", "cat tree", "bookshelf", "standing desk",
    "espresso machine", "blender", "toaster", "rice cooker", "knife set", "wok", "dutch oven", "grill",
]  # fmt: skip


def semrush_file(rows: int, seed: int = 7) -> bytes:
    """A Semrush Keyword Magic export of ``rows`` distinct keywords (default columns)."""
    rng = random.Random(seed)
    lines = ["Keyword,Intent,Volume,Keyword Difficulty,CPC (USD)"]
    for i in range(rows):
        modifier, noun = MODIFIERS[i % len(MODIFIERS)], NOUNS[(i // len(MODIFIERS)) % len(NOUNS)]
        keyword = f"{modifier} {noun} {i // (len(MODIFIERS) * len(NOUNS))}"
        intent = INTENTS[rng.randrange(len(INTENTS))]
        intent = f'"{intent}"' if "," in intent else intent
        volume = rng.choice((10, 20, 30, 50, 70, 90, 110, 140, 170, 210, 260, 320, 390, 480, 590, 720, 880))
        lines.append(f"{keyword},{intent},{volume},{rng.randrange(101)},{rng.randrange(1, 500) / 100:.2f}")
    return ("\n".join(lines) + "\n").encode()


class Meter:
    """DynamoDB requests by operation (all threads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()

    def on_call(self, model: Any, **_: Any) -> None:
        with self.lock:
            self.requests[model.name] += 1


def run(sizes: list[int], profile: bool) -> int:
    from local_stack.apigw import call_api, proxy_event
    from local_stack.stack import LocalStack
    from shared.db.base import connection
    from shared.keyword_files.parts import split_export
    from shared.services.accounts import create_account, create_api_key
    from shared.services.keyword_import import MAX_IMPORT_ROWS

    stack = LocalStack(stack_name="igny8-import-bench", fast_retries=True).start()
    failures = 0
    try:
        meter = Meter()
        connection().client.meta.events.register("before-parameter-build.dynamodb", meter.on_call)
        print(f"{'rows':>7} {'bytes':>9} {'parts':>5} {'B/row':>5} {'seconds':>8} {'created':>8} "
              f"{'DynamoDB requests':<44} checks")  # fmt: skip
        for n in sizes:
            account = create_account(f"Import bench {n}", credits=1000)
            key = create_api_key(account.account_id)
            data = semrush_file(n)
            # A file over one request's row limit goes in parts, each with the header row, as
            # ``igny8 import`` sends it (and as the route's 413 says).
            parts = split_export(data, max_bytes=MAX_BODY - 64 * 1024, max_rows=MAX_IMPORT_ROWS)
            meter.requests.clear()
            profiler = cProfile.Profile() if profile and n == max(sizes) else None
            created_total, statuses, slowest, largest = 0, [], 0.0, 0
            started = time.perf_counter()
            for part in parts:
                event = proxy_event(
                    "POST", "/v1/planner/keywords/import/", None, {"authorization": f"Bearer {key}"}
                )
                event["headers"]["content-type"] = "text/csv"
                event["multiValueHeaders"]["content-type"] = ["text/csv"]
                event["body"] = part.data.decode("utf-8")
                event["isBase64Encoded"] = False
                largest = max(largest, len(json.dumps(event)))
                began = time.perf_counter()
                if profiler:
                    profiler.enable()
                response = call_api(event)
                if profiler:
                    profiler.disable()
                slowest = max(slowest, time.perf_counter() - began)
                statuses.append(int(response["statusCode"]))
                body = json.loads(response["body"])
                created_total += int(body.get("created") or 0) if statuses[-1] == 201 else 0
            seconds = time.perf_counter() - started
            requests = dict(sorted(meter.requests.items(), key=lambda kv: -kv[1]))
            total = sum(requests.values())
            shown = f"{total:,} = " + ", ".join(f"{op} {count:,}" for op, count in requests.items())
            checks = [
                ("created all", set(statuses) == {201} and created_total == n),
                (f"largest event <= 6 MB ({largest / MAX_BODY:.0%})", largest <= MAX_BODY),
                (f"slowest request <= {MAX_SECONDS:.0f} s ({slowest:.1f})", slowest <= MAX_SECONDS),
            ]
            failures += sum(not ok for _, ok in checks)
            print(
                f"{n:>7,} {len(data):>9,} {len(parts):>5} {len(data) / n:>5.1f} {seconds:>8.2f} "
                f"{created_total:>8,} {shown:<44} "
                + "; ".join(f"{'PASS' if ok else 'FAIL'} {label}" for label, ok in checks),
                flush=True,
            )
            if profiler:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
                print(out.getvalue())
    finally:
        stack.wait_idle(timeout=30)
        stack.stop()
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,50000,100000", help="comma-separated row counts")
    parser.add_argument("--profile", action="store_true", help="cProfile the largest size")
    args = parser.parse_args()
    return run([int(s) for s in args.sizes.split(",")], args.profile)


if __name__ == "__main__":
    raise SystemExit(main())
