"""Latency of every list route at 50,000 keywords, filtered and unfiltered, on the local stack.

Run from the repository root::

    .venv/bin/python bench/api_latency.py [--keywords 50000] [--repeat 30] [--json]

Builds one account on the local stack (moto on 127.0.0.1, tables from template.yaml): 50,000
keywords imported through ``shared.services.keywords.create_keywords`` in chunks of 5,000 over five
sectors, 300 clusters holding 15,000 of them (status ``mapped``), 20 archived and 500 pending
keywords, and ideas, writer tasks, articles and jobs with mixed statuses, written with the repo's
batch helpers. Then it calls each list route ``--repeat`` times through the API Lambda's real
handler (the in-process API Gateway proxy events the tests use) and prints, per route: p50 and p99
wall time, the DynamoDB requests of one call (Queries, and all requests), and the items DynamoDB
read for it (``ScannedCount`` of its Queries, counted on pynamodb's one botocore client).

Target: every filtered list under 1 s p99 at 50,000 keywords (PASS/FAIL per filtered route). For
contrast it also times, once, what a filtered list did before every filter was an index: a Query
of the account's whole keyword partition with a filter (``status = "bogus"``).

moto answers every Query by walking the whole table in Python, so absolute figures here grow with
the table (all accounts); the items read per request are what DynamoDB itself would read and bill.
moto keeps the 100,000+ rows as Python objects in this process: after building them the bench
moves them out of the garbage collector's reach (``gc.freeze()``), else a full collection of the
mock's heap (~2 s at 50,000 keywords) lands in random requests; the GC pauses during the
measurement are printed too.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

CHUNK = 5000
SECTORS = 5
CLUSTERS = 300
PER_CLUSTER = 50
TARGET_P99_S = 1.0


class Meter:
    """DynamoDB requests and the items their Queries read, since the last ``reset``."""

    def __init__(self) -> None:
        self.requests = 0
        self.queries = 0
        self.scanned = 0

    def reset(self) -> None:
        self.requests = self.queries = self.scanned = 0

    def after_call(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.requests += 1
        if model.name == "Query":
            self.queries += 1
            self.scanned += int(parsed.get("ScannedCount", 0))


class GcPauses:
    """How often the garbage collector ran and its longest pause."""

    def __init__(self) -> None:
        self.count = 0
        self.longest = 0.0
        self._started = 0.0

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count += 1
            self.longest = max(self.longest, time.perf_counter() - self._started)


def build(account_id: str, keywords: int) -> dict[str, Any]:
    """The account's plan; returns the ids the routes filter on."""
    from shared.db.models import Cluster, Content, ContentIdea, Job, Keyword, Sector, Site, WriterTask
    from shared.db.repo import query_account, save_all
    from shared.services.keywords import create_keywords

    Site(account_id, 1, name="Bench site").save()
    save_all([Sector(account_id, s, site_id=1, name=f"Sector {s}") for s in range(1, SECTORS + 1)])
    per_sector = keywords // SECTORS
    started = time.perf_counter()
    for sector in range(1, SECTORS + 1):
        for start in range(0, per_sector, CHUNK):
            rows = [
                {"keyword": f"bench keyword {sector} {n}", "volume": 10 + n % 900, "difficulty": n % 100}
                for n in range(start, min(start + CHUNK, per_sector))
            ]
            create_keywords(account_id, rows, site_id=1, sector_id=sector)
    print(f"imported {keywords:,} keywords in {time.perf_counter() - started:.1f} s", flush=True)

    started = time.perf_counter()
    clusters = [
        Cluster(
            account_id,
            c,
            name=f"Cluster {c}",
            name_ref=f"{account_id}#1#{1 + c % SECTORS}#cluster {c}",
            site_id=1,
            sector_id=1 + c % SECTORS,
            status="active",
            has_ideas=c <= 100,
        )
        for c in range(1, CLUSTERS + 1)
    ]
    by_sector: dict[int, list[Any]] = {}
    for row in query_account(Keyword, account_id):
        by_sector.setdefault(int(row.sector_id), []).append(row)
    changed: list[Any] = []
    per_cluster = min(PER_CLUSTER, keywords * 3 // 10 // CLUSTERS)
    for cluster in clusters:
        members = by_sector[int(cluster.sector_id)]
        cluster.keywords_count = per_cluster
        for _ in range(per_cluster):
            row = members.pop()
            row.cluster_id, row.status = int(cluster.id), "mapped"
            changed.append(row)
    rest = [row for rows in by_sector.values() for row in rows]
    for n, row in enumerate(rest[:520]):
        row.status = "archived" if n < 20 else "pending"
        changed.append(row)
    ideas = [
        ContentIdea(account_id, i, idea_title=f"Idea {i}", keyword_cluster_id=1 + i % 100, status=s)
        for i, s in ((i, ("new", "scheduled", "published")[i % 3]) for i in range(1, 601))
    ]
    tasks = [
        WriterTask(account_id, t, title=f"Task {t}", cluster_id=1 + t % 100, status=s)
        for t, s in ((t, ("queued", "completed", "completed", "failed")[t % 4]) for t in range(1, 401))
    ]
    content = [
        Content(
            account_id, t, title=f"Article {t}", cluster_id=1 + t % 100, status=("draft", "review")[t % 2]
        )
        for t in range(1, 301)
    ]
    functions = ("auto_cluster", "generate_ideas", "generate_content")
    statuses = ("completed", "completed", "failed", "running")
    jobs = [
        Job(
            account_id,
            f"bench-job-{j:04d}",
            function_name=functions[j % 3],
            status=statuses[j % 4],
            created_at=f"2026-11-{1 + j % 28:02d}T{j % 24:02d}:{j % 60:02d}:00.000Z",
        )
        for j in range(300)
    ]
    save_all([*clusters, *changed, *ideas, *tasks, *content, *jobs])
    print(f"wrote clusters, {len(changed):,} keyword updates and the writer rows in "
          f"{time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip
    return {"sector": 2, "cluster": 7}


def routes(ids: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    sector, cluster = str(ids["sector"]), str(ids["cluster"])
    return [
        ("/v1/planner/keywords/", {}),
        ("/v1/planner/keywords/", {"limit": "500"}),
        ("/v1/planner/keywords/", {"status": "archived"}),
        ("/v1/planner/keywords/", {"status": "bogus"}),
        ("/v1/planner/keywords/", {"status": "active"}),
        ("/v1/planner/keywords/", {"status": "mapped", "limit": "500"}),
        ("/v1/planner/keywords/", {"sector_id": sector}),
        ("/v1/planner/keywords/", {"sector_id": sector, "status": "pending"}),
        ("/v1/planner/keywords/", {"cluster_id": cluster}),
        ("/v1/planner/keywords/", {"cluster_id": cluster, "status": "mapped"}),
        ("/v1/planner/keywords/", {"cluster_id": cluster, "status": "archived"}),
        ("/v1/planner/clusters/", {}),
        ("/v1/planner/clusters/", {"status": "active"}),
        ("/v1/planner/clusters/", {"sector_id": sector}),
        ("/v1/planner/clusters/", {"sector_id": sector, "status": "active"}),
        ("/v1/planner/ideas/", {}),
        ("/v1/planner/ideas/", {"status": "published"}),
        ("/v1/planner/ideas/", {"cluster_id": cluster}),
        ("/v1/planner/ideas/", {"cluster_id": cluster, "status": "new"}),
        ("/v1/writer/tasks/", {}),
        ("/v1/writer/tasks/", {"status": "failed"}),
        ("/v1/writer/tasks/", {"cluster_id": cluster}),
        ("/v1/writer/tasks/", {"cluster_id": cluster, "status": "queued"}),
        ("/v1/writer/content/", {}),
        ("/v1/writer/content/", {"status": "review"}),
        ("/v1/writer/content/", {"cluster_id": cluster}),
        ("/v1/writer/content/", {"cluster_id": cluster, "status": "draft"}),
        ("/v1/jobs/", {}),
        ("/v1/jobs/", {"function": "generate_ideas"}),
        ("/v1/jobs/", {"status": "failed"}),
        ("/v1/jobs/", {"function": "generate_content", "status": "running"}),
    ]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def measure(key: str, repeat: int, ids: dict[str, Any], meter: Meter) -> list[dict[str, Any]]:
    from local_stack.apigw import call_api, proxy_event

    headers = {"authorization": f"Bearer {key}"}
    rows = []
    for path, query in routes(ids):
        times: list[float] = []
        for _ in range(repeat):
            meter.reset()
            started = time.perf_counter()
            response = call_api(proxy_event("GET", path, None, headers, query))
            times.append(time.perf_counter() - started)
        body = json.loads(response["body"])
        label = path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        filtered = any(k not in ("limit", "after") for k in query)
        rows.append(
            {
                "route": f"GET {label}",
                "filtered": filtered,
                "status": response["statusCode"],
                "results": len(body.get("results") or []),
                "p50_ms": round(1000 * statistics.median(times), 1),
                "p99_ms": round(1000 * _percentile(times, 0.99), 1),
                "queries": meter.queries,
                "requests": meter.requests,
                "items_read": meter.scanned,
                "pass": (not filtered) or _percentile(times, 0.99) < TARGET_P99_S,
            }
        )
    return rows


def baseline(account_id: str) -> dict[str, Any]:
    """What a filtered list did before: the account's whole keyword partition, then a filter."""
    from shared.db.models import Keyword
    from shared.db.repo import query_account

    started = time.perf_counter()
    found = sum(1 for _ in query_account(Keyword, account_id, filter_condition=Keyword.status == "bogus"))
    return {"seconds": round(time.perf_counter() - started, 2), "found": found}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keywords", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()

    from local_stack.stack import LocalStack

    stack = LocalStack(stack_name="igny8-bench-api", fast_retries=True).start()
    try:
        from shared.db.base import connection
        from shared.services.accounts import create_account, create_api_key

        account = create_account("API latency bench", credits=1_000_000)
        key = create_api_key(account.account_id)
        ids = build(account.account_id, args.keywords)
        gc.collect()
        gc.freeze()
        pauses = GcPauses()
        gc.callbacks.append(pauses.on_gc)
        meter = Meter()
        connection().client.meta.events.register("after-call.dynamodb", meter.after_call)
        rows = measure(key, args.repeat, ids, meter)
        gc.callbacks.remove(pauses.on_gc)
        meter.reset()
        before = baseline(account.account_id)
        before.update(queries=meter.queries, items_read=meter.scanned)
    finally:
        stack.stop()

    print(f"\n{args.keywords:,} keywords, {args.repeat} calls per route (p99 target for filtered: < 1 s)")
    print(f"{'route':<66} {'p50 ms':>7} {'p99 ms':>7} {'queries':>7} {'reqs':>5} {'read':>6} {'rows':>5}")
    for row in rows:
        verdict = ("PASS" if row["pass"] else "FAIL") if row["filtered"] else ""
        print(
            f"{row['route']:<66} {row['p50_ms']:>7} {row['p99_ms']:>7} {row['queries']:>7} "
            f"{row['requests']:>5} {row['items_read']:>6} {row['results']:>5}  {row['status']} {verdict}"
        )
    print(f"\nGC during the calls: {pauses.count} collections, longest {1000 * pauses.longest:.1f} ms")
    print(
        f"\nbefore (one Query of the whole keyword partition, filtered): {before['seconds']} s, "
        f"{before['queries']} requests, {before['items_read']:,} items read, {before['found']} found"
    )
    if args.json:
        print(json.dumps({"routes": rows, "before": before}, indent=2))
    failed = [r["route"] for r in rows if not r["pass"]]
    print("PASS: every filtered list under 1 s p99" if not failed else f"FAIL: {', '.join(failed)}")
    return 0 if not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
