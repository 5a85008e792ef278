"""auto_cluster's semantic strategy at scale: 1,000 / 10,000 / 50,000 keywords on the local stack.

Run from the repository root::

    .venv/bin/python bench/cluster_scale.py [--sizes 1000,10000,50000]

Each size runs in a fresh child process with its own local stack (moto on 127.0.0.1, the real state
machine, the phase handlers in process) and the fake OpenAI server in process (``/v1/embeddings``
with the real limits, word-based vectors; chat answers naming every cluster id a naming prompt
lists). Keywords are "modifier + topic" texts over ~5% of n topics (a topic is two or three words
from word lists, so keywords of one topic share most of their words). The child:

1. imports the keywords through ``shared.services.keywords.create_keywords`` in chunks of 5,000
   into one site/sector;
2. runs ``auto_cluster {"sector_id": N}`` (auto -> semantic) through ``services.jobs.start_job`` and
   the real state machine;
3. prints wall time per stage and phase (measured around each in-process Lambda invocation), the
   clustering step's peak memory and CPU, DynamoDB requests per keyword by operation and part
   (a botocore ``before-parameter-build.dynamodb`` hook on pynamodb's one client), embedding and
   chat requests, Step Functions history events, the largest state and the largest DynamoDB item,
   each next to its target with PASS/FAIL.

Memory and CPU of the clustering step: the cluster stage's AI_CALL compute
(``shared.functions.auto_cluster.semantic.call_cluster``: read the rows and vectors, cluster,
pillars, write the result blob) runs in one thread of this process, so its CPU is that thread's
``time.thread_time`` delta (numpy's own BLAS threads excluded; the process CPU delta, which also
holds moto serving the step's reads in its server threads, is printed too), and its memory is the
growth of the process's resident set over the call (sampled every 20 ms: it includes what moto
allocates meanwhile, so it is an upper bound). ``--tracemalloc`` adds the tracemalloc peak of the
call (Python and numpy allocations of every thread) and of PREP (embed) and SAVE (cluster), at the
price of slower runs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

CHUNK = 5000
TOPIC_SHARE = 0.05
TARGETS = {
    "cluster_memory_mb": 3072,
    "cluster_cpu_s": 60,
    "state_bytes": 256 * 1024,
    "state_bytes_comfortable": 32 * 1024,
    "history_events": 25_000,
    "item_bytes": 400 * 1024,
    "item_bytes_comfortable": 300 * 1024,
    "ddb_per_keyword": 0.15,
}

# Topics: "<head> <product>" (and a third word for some), keywords: "<modifier> <topic>".
HEADS = [
    "espresso", "ceramic", "stainless", "bamboo", "cast iron", "copper", "glass", "electric", "titanium",
    "walnut", "marble", "leather", "wool", "linen", "silicone", "carbon", "granite", "oak", "velvet",
    "cotton", "vintage", "portable", "solar", "wireless", "organic", "vegan", "keto", "gluten free",
    "waterproof", "folding", "modular", "smart", "hydraulic", "cordless", "magnetic", "ergonomic",
    "mechanical", "acoustic", "infrared", "ultrasonic", "memory foam", "heated", "insulated", "nonstick",
    "rustproof", "handmade", "recycled", "compact", "heavy duty", "kids", "outdoor", "industrial",
    "antique", "hybrid", "thermal", "digital", "analog", "rechargeable", "orthopedic", "adjustable",
]  # fmt: skip
PRODUCTS = [
    "coffee grinder", "frying pan", "water bottle", "desk lamp", "yoga mat", "backpack", "cutting board",
    "rice cooker", "kettle", "blender", "toaster", "mattress", "pillow", "blanket", "office chair",
    "standing desk", "bookshelf", "headphones", "speaker", "keyboard", "mouse", "monitor arm", "tent",
    "sleeping bag", "hiking boots", "running shoes", "rain jacket", "sunglasses", "wallet", "watch strap",
    "phone case", "charger", "drill", "saw", "hammer", "wrench set", "garden hose", "lawn mower",
    "pressure washer", "grill", "smoker", "cooler", "dog bed", "cat tree", "bird feeder", "aquarium",
    "baby stroller", "car seat", "high chair", "crib", "bike helmet", "skateboard", "surfboard",
    "fishing rod", "telescope", "microscope", "sewing machine", "vacuum cleaner", "air purifier",
    "humidifier", "space heater", "ceiling fan", "doorbell", "thermostat", "light bulb", "shower head",
]  # fmt: skip
THIRD = ["pro", "mini", "xl", "lite", "max", "plus", "classic", "deluxe", "ultra", "eco"]
MODIFIERS = [
    "best", "cheap", "review", "price", "guide", "near me", "for beginners", "vs alternatives", "2025",
    "how to clean", "how to use", "problems", "buy", "sale", "comparison", "tips", "ideas", "kit", "set",
    "brands", "online", "deal", "top rated", "small", "large", "professional", "home", "travel", "used",
    "new", "quiet", "fast", "easy", "premium", "budget", "uk", "usa", "australia", "canada", "amazon",
    "walmart", "costco", "gift", "accessories", "replacement parts", "warranty", "repair", "manual",
    "reddit", "discount code",
]  # fmt: skip


# ====================================================================== keywords
def make_keywords(n: int) -> list[dict[str, Any]]:
    """n distinct keywords over about ``TOPIC_SHARE * n`` topics, deterministic."""
    topics_wanted = max(2, round(n * TOPIC_SHARE))
    pairs = [f"{h} {p}" for p, h in itertools.product(PRODUCTS, HEADS)]
    triples = [f"{h} {p} {t}" for t, p, h in itertools.product(THIRD, PRODUCTS, HEADS)]
    pool = pairs + triples
    step = 7919  # a prime: spreads the chosen topics over heads and products
    topics = [pool[(i * step) % len(pool)] for i in range(topics_wanted)]
    per_topic = -(-n // topics_wanted)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for t, topic in enumerate(topics):
        for m in range(per_topic):
            modifier = MODIFIERS[(t * 13 + m) % len(MODIFIERS)]
            text = f"{modifier} {topic}" if m % 3 else f"{topic} {modifier}"
            if m >= len(MODIFIERS):
                text = f"{text} {MODIFIERS[(t + m * 7) % len(MODIFIERS)]}"
            if text in seen:
                continue
            seen.add(text)
            rows.append(
                {
                    "keyword": text,
                    "volume": 10 + (t * 31 + m * 97) % 5000,
                    "difficulty": (t * 7 + m * 11) % 100,
                    "intent": ("Informational", "Commercial", "Transactional")[m % 3],
                }
            )
    rows = rows[:n]
    # Interleave topics as an export would list them (sorted by volume, not grouped by topic).
    rows.sort(key=lambda r: (-int(r["volume"]), r["keyword"]))
    return rows


# ====================================================================== measuring
def dynamo_size(value: dict[str, Any]) -> int:
    """DynamoDB's size of one attribute value (typed form ``{"S": ...}``)."""
    (kind, inner), *_ = value.items()
    if kind == "S":
        return len(str(inner).encode())
    if kind == "N":
        digits = str(inner).lstrip("-").replace(".", "").lstrip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(inner) if isinstance(inner, bytes | bytearray) else len(str(inner)) * 3 // 4
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + dynamo_size(v) for k, v in inner.items())
    if kind == "L":
        return 3 + sum(1 + dynamo_size(v) for v in inner)
    if kind in ("SS", "BS", "NS"):
        return sum(dynamo_size({kind[0]: v}) for v in inner)
    return 0


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + dynamo_size(value) for name, value in item.items())


class Meter:
    """Counts DynamoDB requests (by part and operation) and the largest item written."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.local = threading.local()
        self.enabled = True
        self.requests: Counter[tuple[str, str]] = Counter()
        self.largest_item = (0, "")
        self.invocations: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
        self.cluster: dict[str, float] = {}
        self.prefix = ""
        self.steps: dict[str, dict[str, float]] = {}

    def part(self) -> str:
        return getattr(self.local, "part", None) or "client"

    def on_call(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if not self.enabled:
            return
        operation = model.name
        puts: list[tuple[str, dict[str, Any]]] = []
        if operation == "PutItem":
            puts.append((params["TableName"], params["Item"]))
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                puts += [(table, r["PutRequest"]["Item"]) for r in requests if "PutRequest" in r]
        with self.lock:
            self.requests[(self.part(), operation)] += 1
            for table, item in puts:
                size = item_size(item)
                if size > self.largest_item[0]:
                    self.largest_item = (size, f"{table.removeprefix(self.prefix)} {_key_text(item)}")


def _key_text(item: dict[str, Any]) -> str:
    keys = [k for k in ("item", "task_id", "id", "keyword_norm", "job_ref") if k in item]
    return " ".join(f"{k}={next(iter(item[k].values()))}" for k in keys[:2])


class RssSampler:
    """The process's resident set size sampled every 20 ms: its growth over a step."""

    def __init__(self) -> None:
        self.base = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.base) / 2**20


# ====================================================================== one size
def run_size(n: int, out_path: str, trace_steps: bool = False) -> None:  # noqa: PLR0915 - a linear script
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "OPENAI_SECRET_NAME"):
        os.environ.pop(var, None)
    from local_stack import stack as stack_module
    from local_stack.stack import LocalStack
    from tests.fakes.openai_server import FakeOpenAIServer, FakeReply

    t_start = time.monotonic()
    stack = LocalStack(stack_name=f"igny8-scale-{n}", fast_retries=True).start()
    fake = FakeOpenAIServer()
    fake.record_requests = False
    chat = Counter[str]()

    def namer(request: Any) -> FakeReply:
        chat["requests"] += 1
        found = re.search(r"<<<CLUSTERS\n(.*)\nCLUSTERS>>>", request.prompt, re.DOTALL)
        clusters = json.loads(found.group(1)) if found else []
        names = [
            {"id": c["id"], "name": f"{c['keywords'][0]} guide", "description": "One page on it."}
            for c in clusters
        ]
        return FakeReply(content=json.dumps({"clusters": names}), prompt_tokens=400, completion_tokens=300)

    fake.responder = namer
    fake.start()
    os.environ.update(
        {
            "OPENAI_API_KEY": "sk-bench-fake-key-0123456789",
            "OPENAI_BASE_URL": fake.base_url,
            "AI_TIMEOUT_SECONDS": "60",
        }
    )
    from shared.config import reset_settings

    reset_settings()

    import shared.clustering as clustering
    import shared.functions.auto_cluster.semantic as semantic
    from local_stack.apigw import call_api, proxy_event
    from shared.db.base import connection
    from shared.db.models import Job, JobItem
    from shared.services.accounts import create_account, create_api_key
    from shared.services.jobs import start_job
    from shared.services.keywords import create_keywords

    meter = Meter()
    meter.prefix = f"{stack.stack_name}-"
    connection().client.meta.events.register("before-parameter-build.dynamodb", meter.on_call)

    # Every Lambda invocation: label its DynamoDB requests and time it.
    real_invoke = stack_module.invoke_handler
    stage_names = ("embed", "cluster", "name")

    def timed_invoke(function: Any, name: str, event: Any) -> tuple[str, bool]:
        stage = event.get("stage") if isinstance(event, dict) else None
        phase = function.logical_id.removesuffix("Function")
        label = f"{stage_names[stage] if isinstance(stage, int) and stage < 3 else '-'}/{phase}"
        if phase in ("Init", "Done"):
            label = f"-/{phase}"
        previous = getattr(meter.local, "part", None)
        meter.local.part = f"job {label}"
        started = time.monotonic()
        try:
            return real_invoke(function, name, event)
        finally:
            with meter.lock:
                stage_label, phase_label = label.split("/")
                meter.invocations[(stage_label, phase_label)].append((started, time.monotonic()))
            meter.local.part = previous

    stack_module.invoke_handler = timed_invoke

    real_call_cluster = semantic.call_cluster

    def measured_call_cluster(*args: Any, **kwargs: Any) -> Any:
        sampler = RssSampler().start()
        if trace_steps:
            tracemalloc.start()
        thread0, process0, wall0 = time.thread_time(), time.process_time(), time.monotonic()
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            return real_call_cluster(*args, **kwargs)
        finally:
            peak = tracemalloc.get_traced_memory()[1] if trace_steps else 0
            tracemalloc.stop()
            sampler.stop()
            meter.cluster.update(
                peak_mb=peak / 2**20,
                rss_growth_mb=sampler.growth_mb,
                thread_cpu_s=time.thread_time() - thread0,
                process_cpu_s=time.process_time() - process0,
                wall_s=time.monotonic() - wall0,
                rss_before_mb=rss0 / 1024,
                rss_after_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            )

    semantic.call_cluster = measured_call_cluster  # type: ignore[assignment]

    def peak_of(module: Any, name: str) -> None:
        """Record the tracemalloc peak and wall time of another heavy step (PREP, SAVE)."""
        real = getattr(module, name)

        def measured(*args: Any, **kwargs: Any) -> Any:
            tracemalloc.start()
            wall0 = time.monotonic()
            try:
                return real(*args, **kwargs)
            finally:
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                meter.steps[name] = {"peak_mb": peak / 2**20, "wall_s": time.monotonic() - wall0}

        setattr(module, name, measured)

    import shared.functions.auto_cluster.semantic_save as semantic_save

    if trace_steps:
        peak_of(semantic, "prepare_embed")
        peak_of(semantic_save, "save_clusters")
    real_cluster_vectors = clustering.cluster_vectors

    def measured_cluster_vectors(*args: Any, **kwargs: Any) -> Any:
        thread0, wall0 = time.thread_time(), time.monotonic()
        try:
            return real_cluster_vectors(*args, **kwargs)
        finally:
            meter.cluster.update(
                algorithm_thread_cpu_s=time.thread_time() - thread0, algorithm_wall_s=time.monotonic() - wall0
            )

    clustering.cluster_vectors = measured_cluster_vectors  # type: ignore[attr-defined]

    meter.local.part = "setup"
    account = create_account("Scale bench", credits=100_000_000)
    key = create_api_key(account.account_id)

    def api(method: str, path: str, body: Any) -> dict[str, Any]:
        response = call_api(proxy_event(method, path, body, {"authorization": f"Bearer {key}"}))
        assert int(response["statusCode"]) < 300, response
        return dict(json.loads(response["body"]))

    site = api("POST", "/v1/planner/sites/", {"name": "Scale site"})
    sector = api("POST", "/v1/planner/sectors/", {"name": "Scale sector", "site_id": site["id"]})
    setup_s = time.monotonic() - t_start

    rows = make_keywords(n)
    meter.local.part = "import"
    t0 = time.monotonic()
    created = 0
    for start in range(0, len(rows), CHUNK):
        created += len(
            create_keywords(
                account.account_id, rows[start : start + CHUNK], int(site["id"]), int(sector["id"])
            ).created
        )
    import_s = time.monotonic() - t0
    assert created == n, f"imported {created} of {n}"

    meter.local.part = "api start_job"
    t0 = time.monotonic()
    job = start_job(account.account_id, "auto_cluster", {"sector_id": int(sector["id"])})
    start_s = time.monotonic() - t0
    meter.local.part = "client"
    execution = stack.wait_for_execution(job.execution_arn, timeout=3 * 3600)
    job_s = time.monotonic() - t0
    meter.enabled = False

    stored = Job.get(account.account_id, job.task_id)
    result = dict(stored.result or {})
    sfn = stack.client("stepfunctions")
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=job.execution_arn):
        events += page["events"]
    entered = [
        len(e["stateEnteredEventDetails"].get("input") or "")
        for e in events
        if "stateEnteredEventDetails" in e
    ]
    payloads = [
        len(str(details.get(field) or ""))
        for e in events
        for key_name, details in e.items()
        if key_name.endswith("EventDetails") and isinstance(details, dict)
        for field in ("input", "output", "parameters")
    ]
    # Final sizes of the job's own rows (they grow by UpdateItem, which the hook cannot size).
    job_row = item_size(stored.serialize())
    ref = f"{account.account_id}#{job.task_id}"
    item_rows = sorted(((item_size(i.serialize()), i.item) for i in JobItem.query(ref)), reverse=True)

    figures = {
        "n": n,
        "status": stored.status,
        "execution": execution["status"],
        "error": stored.error,
        "setup_s": setup_s,
        "import_s": import_s,
        "start_job_s": start_s,
        "job_s": job_s,
        "invocations": {"/".join(k): v for k, v in meter.invocations.items()},
        "cluster": meter.cluster,
        "steps": meter.steps,
        "requests": {f"{p}|{o}": c for (p, o), c in meter.requests.items()},
        "embedding": dict(fake.embedding_stats),
        "chat_requests": chat["requests"],
        "history_events": len(events),
        "largest_state_entered": max(entered, default=0),
        "largest_event_payload": max(payloads, default=0),
        "largest_item_put": meter.largest_item,
        "job_row_bytes": job_row,
        "largest_job_item": item_rows[0] if item_rows else (0, ""),
        "job_items": len(item_rows),
        "result": {
            k: result.get(k)
            for k in (
                "strategy",
                "clusters_created",
                "keywords_updated",
                "unassigned_count",
                "pillars",
                "clusters_named",
                "names_fallback",
                "embedding",
                "items",
            )
        },  # fmt: skip
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    Path(out_path).write_text(json.dumps(figures, default=str))
    fake.stop()
    stack.stop()


# ====================================================================== report
def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(f: dict[str, Any]) -> list[tuple[str, bool]]:
    n = f["n"]
    print(f"\n=== {n:,} keywords: job {f['status']} (execution {f['execution']})", flush=True)
    if f["error"]:
        print(f"    error: {f['error']}")
    r = f["result"]
    print(
        f"wall: stack+account {f['setup_s']:.1f}s, import {f['import_s']:.1f}s, "
        f"start_job (API checks) {f['start_job_s']:.1f}s, job {f['job_s']:.1f}s (start to end)"
    )
    print("wall per stage/phase (Lambda invocations: count, sum of durations, first start -> last end):")
    spans = f["invocations"]
    first = min((s for v in spans.values() for s, _ in v), default=0.0)
    order = {"-": 0, "embed": 1, "cluster": 2, "name": 3}
    phases = {"Init": 0, "Prep": 1, "AiCall": 2, "Parse": 3, "Save": 4, "Done": 5, "Failure": 6}
    for label in sorted(spans, key=lambda k: (order.get(k.split("/")[0], 9), phases.get(k.split("/")[1], 9))):
        if label.split("/")[1] == "Api":
            continue
        v = spans[label]
        total = sum(e - s for s, e in v)
        lo, hi = min(s for s, _ in v) - first, max(e for _, e in v) - first
        print(f"  {label:<18} x{len(v):<4} {total:8.2f}s   t+{lo:7.2f}s -> t+{hi:7.2f}s")
    c = f["cluster"]
    checks: list[tuple[str, bool]] = []
    if c:
        print(
            f"clustering step (cluster stage AI_CALL compute, call_cluster): wall {c['wall_s']:.1f}s, "
            f"thread CPU {c['thread_cpu_s']:.1f}s (process CPU {c['process_cpu_s']:.1f}s), "
            f"algorithm (cluster_vectors) thread CPU {c.get('algorithm_thread_cpu_s', 0):.1f}s; "
            f"memory: RSS growth {c['rss_growth_mb']:.0f} MB"
            + (f", tracemalloc peak {c['peak_mb']:.0f} MB" if c["peak_mb"] else "")
            + ", "
            f"process ru_maxrss {c['rss_before_mb']:.0f} -> {c['rss_after_mb']:.0f} MB (moto's data included)"
        )
        memory = max(c["peak_mb"], c["rss_growth_mb"])
        checks.append(
            (f"clustering peak memory {memory:.0f} MB (larger of the two) <= 3072 MB", memory <= 3072)
        )
        checks.append((f"clustering CPU {c['thread_cpu_s']:.1f} s <= 60 s", c["thread_cpu_s"] <= 60))
    else:
        checks.append(("clustering step ran", False))
    for step, values in f.get("steps", {}).items():
        print(f"{step}: wall {values['wall_s']:.1f}s, tracemalloc peak {values['peak_mb']:.0f} MB")
    by_part: Counter[str] = Counter()
    by_op: Counter[str] = Counter()
    part_ops: dict[str, Counter[str]] = defaultdict(Counter)
    counted = 0
    for key, count in f["requests"].items():
        part, op = key.split("|")
        if part in ("setup", "client") or part.endswith("/Api"):
            continue
        by_part[part] += count
        by_op[op] += count
        part_ops[part][op] += count
        counted += count
    print(
        f"DynamoDB requests (import + API checks + every phase of the job): {counted:,} = "
        f"{counted / n:.4f} per keyword"
    )
    print("  by operation: " + ", ".join(f"{op} {c:,}" for op, c in by_op.most_common()))
    print("  by part:")
    for part, total in by_part.most_common():
        ops = ", ".join(f"{op} {c:,}" for op, c in part_ops[part].most_common())
        print(f"    {part:<20} {total:6,}  {total / n:.4f}/kw  ({ops})")
    checks.append((f"DynamoDB requests per keyword {counted / n:.4f} <= 0.15", counted / n <= 0.15))
    e = f["embedding"]
    print(
        f"embedding requests {e.get('requests', 0)}, inputs {e.get('inputs', 0):,}, "
        f"tokens {e.get('tokens', 0):,}, errors {e.get('errors', 0)}; chat (naming) requests {f['chat_requests']}"
    )
    placed = int(r.get("keywords_updated") or 0)
    print(
        f"result: strategy {r.get('strategy')}, clusters {r.get('clusters_created')}, pillars {r.get('pillars')}, "
        f"named {r.get('clusters_named')} (fallback {r.get('names_fallback')}), placed {placed:,} of {n:,} "
        f"({100 * placed / n:.1f}%), unassigned {r.get('unassigned_count')}, job items {f['job_items']}"
    )
    checks.append((f"job completed ({f['status']})", f["status"] == "completed"))
    h = f["history_events"]
    print(f"Step Functions history events: {h:,}")
    checks.append((f"history events {h:,} < 25,000", h < 25_000))
    s = f["largest_state_entered"]
    print(
        f"largest state entered {s:,} B; largest event input/output/parameters {f['largest_event_payload']:,} B"
    )
    checks.append((f"largest state {s:,} B << 256 KB (under 32 KB)", s <= 32 * 1024))
    size, what = f["largest_item_put"]
    jsize, jwhat = f["largest_job_item"]
    print(
        f"largest DynamoDB item put {size:,} B ({what}); job row now {f['job_row_bytes']:,} B; "
        f"largest job item now {jsize:,} B ({jwhat})"
    )
    biggest = max(size, jsize, f["job_row_bytes"])
    checks.append(
        (f"largest DynamoDB item {biggest:,} B not near 400 KB (under 300 KB)", biggest <= 300 * 1024)
    )
    print("targets:")
    for text, ok in checks:
        print(f"  {_verdict(ok)}  {text}")
    return checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="comma-separated keyword counts")
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also trace allocations with tracemalloc: the clustering step, PREP (embed), SAVE (cluster); "
        "slower, so CPU and wall figures grow",
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_size(args.one, args.out, args.tracemalloc)
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    failed = False
    summary = []
    for n in sizes:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            out = handle.name
        started = time.monotonic()
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                str(n),
                "--out",
                out,
                *(["--tracemalloc"] * args.tracemalloc),
            ],
            cwd=REPO,
            check=False,
        )
        if child.returncode != 0:
            print(f"\n=== {n:,} keywords: the run failed (exit {child.returncode})", flush=True)
            failed = True
            summary.append((n, "run failed"))
            continue
        figures = json.loads(Path(out).read_text())
        Path(out).unlink()
        checks = report(figures)
        print(f"(size run took {time.monotonic() - started:.0f}s; child peak RSS {figures['rss_mb']:.0f} MB)")
        bad = [t for t, ok in checks if not ok]
        failed |= bool(bad)
        summary.append((n, "all targets PASS" if not bad else f"{len(bad)} FAIL"))
    print("\nsummary: " + "; ".join(f"{n:,}: {s}" for n, s in summary))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
