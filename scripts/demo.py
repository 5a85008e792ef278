"""`make demo`: the main job on the local AWS stack, end to end.

keywords (data/sample_keywords.csv) -> auto_cluster -> ideas for the largest clusters ->
writer tasks -> articles. Every step goes through the HTTP API handler, Step Functions and
the phase Lambdas on the local (moto) stack. Writes out/summary.json and out/articles/*.html.

With OPENAI_API_KEY set, the OpenAI path is used (OPENAI_BASE_URL and OPENAI_MODEL honoured);
without it, the offline local provider answers and says so.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local_stack.apigw import call_api, proxy_event  # noqa: E402
from local_stack.stack import LocalStack  # noqa: E402

OUT = ROOT / "out"  # replaced by --out


class Api:
    """A tiny client over the API handler, as an HTTP client would use it."""

    def __init__(self, api_key: str) -> None:
        self.headers = {"authorization": f"Bearer {api_key}"}

    def call(self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> Any:
        response = call_api(proxy_event(method, path, body, self.headers, query))
        payload = json.loads(response.get("body") or "{}")
        if response["statusCode"] >= 400:
            raise SystemExit(f"{method} {path} -> {response['statusCode']}: {payload.get('message')}")
        return payload

    def wait(self, task_id: str, label: str, timeout: float = 900.0) -> dict[str, Any]:
        """Follow a job, printing each new progress message, until it ends."""
        deadline = time.monotonic() + timeout
        seen, last = 0, None
        while True:
            job = self.call("GET", f"/v1/jobs/{task_id}")
            for entry in job.get("history", [])[seen:]:
                if (entry["phase"], entry["message"]) != last:
                    print(f"  [{label}] {entry['phase']:<7} {entry['progress']:>3}%  {entry['message']}")
                last = (entry["phase"], entry["message"])
            seen = len(job.get("history", []))
            if job["status"] in ("completed", "failed"):
                return dict(job)
            if time.monotonic() > deadline:
                raise SystemExit(f"{label} job {task_id} did not finish within {timeout:.0f}s")
            time.sleep(0.1)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "article"


def job_summary(job: dict[str, Any]) -> dict[str, Any]:
    return {
        "task_id": job["task_id"],
        "function": job["function"],
        "status": job["status"],
        "phase": job["phase"],
        "progress": job["progress"],
        "tokens": job["tokens"]["total"],
        "cost": job["cost"],
        "credits": job["credits"],
        "model": job["model"],
        "message": job["message"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--csv", default=str(ROOT / "data" / "sample_keywords.csv"))
    parser.add_argument("--clusters", type=int, default=3, help="ideas for this many of the largest clusters")
    parser.add_argument("--articles", type=int, default=0, help="write at most this many articles (0: all)")
    parser.add_argument("--out", default=str(ROOT / "out"), help="where summary.json and articles/ go")
    parser.add_argument("--stack-name", default="igny8-demo")
    args = parser.parse_args(argv)
    global OUT
    OUT = Path(args.out).resolve()
    shutil.rmtree(OUT / "articles", ignore_errors=True)

    provider = "OpenAI-compatible API" if os.environ.get("OPENAI_API_KEY") else "offline local provider"
    print(f"IGNY8 demo on the local AWS stack (moto), AI provider: {provider}")
    stack = LocalStack(stack_name=args.stack_name).start()
    try:
        return run(args, stack)
    finally:
        stack.wait_idle(timeout=120)
        stack.stop()


def run(args: argparse.Namespace, stack: LocalStack) -> int:
    from shared.keyword_files import parse_export
    from shared.services.accounts import create_account, create_api_key

    account = create_account("Demo agency", credits=1_000_000)
    api = Api(create_api_key(account.account_id, label="demo"))
    jobs: list[dict[str, Any]] = []

    rows = [row.as_keyword_input() for row in parse_export(Path(args.csv).read_bytes()).rows]
    site = api.call("POST", "/v1/planner/sites/", {"name": "Home Barista", "domain": "homebarista.example"})
    sector = api.call("POST", "/v1/planner/sectors/", {"name": "Coffee", "site_id": site["id"]})
    created = api.call(
        "POST", "/v1/planner/keywords/", {"keywords": rows, "site_id": site["id"], "sector_id": sector["id"]}
    )
    ids = [k["id"] for k in created["results"]]
    print(
        f"\n1. Imported {len(ids)} keywords from {Path(args.csv).name} ({len(created['duplicates'])} duplicates)"
    )

    started = api.call("POST", "/v1/planner/keywords/auto_cluster/", {"ids": ids, "sector_id": sector["id"]})
    print(f"\n2. auto_cluster started: task {started['task_id']}")
    cluster_job = api.wait(started["task_id"], "auto_cluster")
    jobs.append(job_summary(cluster_job))
    if cluster_job["status"] != "completed":
        print(f"auto_cluster failed: {cluster_job['error']}")
        write_summary(len(ids), [], [], jobs, [], [])
        return 1

    clusters = fetch_clusters(api)
    unassigned = list(cluster_job["result"].get("unassigned_keywords") or [])
    print(f"\n   {len(clusters)} clusters, {len(unassigned)} keyword(s) unassigned:")
    for cluster in clusters[:15]:
        print(
            f"   - {cluster['name']:<40} {cluster['keywords_count']:>3} keywords  volume {cluster['volume']:>7}"
        )
    if len(clusters) > 15:
        print(f"   ... and {len(clusters) - 15} more (see out/summary.json)")

    ideas: list[dict[str, Any]] = []
    articles: list[dict[str, Any]] = []
    if args.clusters > 0 and clusters:
        ideas, articles = plan_and_write(api, clusters[: max(args.clusters, 1)], jobs, args.articles)
    write_summary(len(ids), clusters, unassigned, jobs, ideas, articles)
    failed = [j for j in jobs if j["status"] != "completed"]
    print(f"\nJobs: {len(jobs)} run, {len(failed)} failed. Wrote {OUT / 'summary.json'}")
    return 1 if failed else 0


def fetch_clusters(api: Api) -> list[dict[str, Any]]:
    clusters = api.call("GET", "/v1/planner/clusters/", query={"limit": "500"})["results"]
    for cluster in clusters:
        detail = api.call("GET", f"/v1/planner/clusters/{cluster['id']}/")
        cluster["keywords"] = [k["keyword"] for k in detail["keywords"]]
    return sorted(clusters, key=lambda c: (-c["keywords_count"], -c["volume"], c["name"]))


def plan_and_write(
    api: Api, clusters: list[dict[str, Any]], jobs: list[dict[str, Any]], max_articles: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    cluster_names = {c["id"]: c["name"] for c in clusters}
    started = api.call("POST", "/v1/planner/clusters/auto_generate_ideas/", {"ids": list(cluster_names)})
    print(f"\n3. generate_ideas for the {len(clusters)} largest clusters: task {started['task_id']}")
    ideas_job = api.wait(started["task_id"], "generate_ideas")
    jobs.append(job_summary(ideas_job))
    if ideas_job["status"] != "completed":
        print(f"generate_ideas failed: {ideas_job['error']}")
        return [], []
    ideas = [
        idea
        for cid in cluster_names
        for idea in api.call("GET", "/v1/planner/ideas/", query={"cluster_id": str(cid)})["results"]
    ]
    for idea in ideas:
        print(
            f"   - [{cluster_names.get(idea['cluster_id'], '?')}] {idea['title']} ({idea['content_structure']})"
        )
    idea_views = [
        {
            "title": i["title"],
            "cluster": cluster_names.get(i["cluster_id"]),
            "content_structure": i["content_structure"],
        }
        for i in ideas
    ]

    chosen = ideas[:max_articles] if max_articles else ideas
    tasks = api.call("POST", "/v1/writer/tasks/", {"idea_ids": [i["id"] for i in chosen]})["results"]
    task_ids = [t["id"] for t in tasks]
    print(f"\n4. {len(task_ids)} writer task(s) queued")
    articles: list[dict[str, Any]] = []
    for start in range(0, len(task_ids), 50):
        batch = task_ids[start : start + 50]
        started = api.call("POST", "/v1/writer/tasks/auto_generate_content/", {"ids": batch})
        print(f"\n5. generate_content for {len(batch)} task(s): task {started['task_id']}")
        content_job = api.wait(started["task_id"], "generate_content")
        jobs.append(job_summary(content_job))
        articles.extend(write_articles(api, batch))
    return idea_views, articles


def write_articles(api: Api, task_ids: list[int]) -> list[dict[str, Any]]:
    folder = OUT / "articles"
    folder.mkdir(parents=True, exist_ok=True)
    articles = []
    for task_id in task_ids:
        task = api.call("GET", f"/v1/writer/tasks/{task_id}/")
        if task["status"] != "completed":
            print(f"   task {task_id} {task['status']}: {task.get('error') or ''}")
            continue
        content = api.call("GET", f"/v1/writer/content/{task_id}/")
        path = folder / f"{task_id:03d}-{slug(content['title'] or task['title'])}.html"
        path.write_text(render_page(content), encoding="utf-8")
        articles.append(
            {
                "task_id": task_id,
                "title": content["title"],
                "word_count": content["word_count"],
                "meta_title": content["meta_title"],
                "meta_description": content["meta_description"],
                "path": str(path.relative_to(OUT)),
            }
        )
        print(f"   wrote {path} ({content['word_count']} words)")
    return articles


def render_page(content: dict[str, Any]) -> str:
    from html import escape

    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(content['meta_title'] or content['title'] or '')}</title>"
        f'<meta name="description" content="{escape(content["meta_description"] or "")}">'
        f'<meta name="keywords" content="{escape(", ".join(content.get("secondary_keywords") or []))}">'
        f"</head>\n<body><article>\n<h1>{escape(content['title'] or '')}</h1>\n"
        f"{content['html']}\n</article></body></html>\n"
    )


def write_summary(
    keywords: int,
    clusters: list[dict[str, Any]],
    unassigned: list[str],
    jobs: list[dict[str, Any]],
    ideas: list[dict[str, Any]],
    articles: list[dict[str, Any]],
) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    summary = {
        "keywords": keywords,
        "clusters": [
            {
                "name": c["name"],
                "keywords_count": c["keywords_count"],
                "volume": c["volume"],
                "keywords": c["keywords"],
            }
            for c in clusters
        ],
        "unassigned_keywords": unassigned,
        "jobs": jobs,
        "ideas": ideas,
        "articles": articles,
    }
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
