"""``igny8 run FILE --out DIR``: the whole flow, as ``make demo`` runs it.

import -> auto_cluster -> generate_ideas for the largest clusters -> writer tasks ->
generate_content -> exports -> report. Leaves in DIR: ``summary.json``, ``articles/`` (one
``.html`` and one ``.md`` per article), ``keywords.csv``, ``keywords.xlsx``, ``ideas.md`` and
``report.html``.

``summary.json`` keeps the keys ``make demo`` always wrote: ``keywords``, ``clusters`` (name,
keywords_count, volume, keywords), ``unassigned_keywords``, ``jobs`` (task_id, function, status,
phase, progress, tokens, cost, credits, model, message), ``ideas`` (title, cluster,
content_structure) and ``articles`` (task_id, title, word_count, meta_title, meta_description,
status, seo {score, checks}, links (the internal links it holds), url,
path); and adds ``file``, ``target``, ``ai_provider``, ``site``, ``sector``, ``exports``, ``report``
and ``seconds``.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import click

from igny8_cli.autocluster import start_auto_cluster
from igny8_cli.client import Api
from igny8_cli.commands_export import output_folder, save_article, save_report, save_tables
from igny8_cli.commands_plan import (
    CLUSTERS_PER_JOB,
    GENERATE_CONTENT,
    GENERATE_IDEAS,
    TASKS_PER_JOB,
    ideas_made,
    queue_tasks,
    start_jobs,
    task_outcomes,
    timeout_option,
)
from igny8_cli.importing import describe_export, ensure_sector, ensure_site, import_rows, read_export
from igny8_cli.target import Target, follow, info, job_failure

SHOWN_CLUSTERS = 15


def job_summary(job: dict[str, Any]) -> dict[str, Any]:
    return {
        "task_id": job.get("task_id"),
        "function": job.get("function"),
        "status": job.get("status"),
        "phase": job.get("phase"),
        "progress": int(job.get("progress") or 0),
        "tokens": int((job.get("tokens") or {}).get("total") or 0),
        "cost": float(job.get("cost") or 0),
        "credits": int(job.get("credits") or 0),
        "model": job.get("model"),
        "offline": bool(job.get("offline")),
        "message": job.get("message"),
        "error": job.get("error"),
    }


def sector_clusters(api: Api, sector_id: int) -> tuple[list[dict[str, Any]], list[str], int]:
    """The sector's clusters (largest first, each with its keywords), unassigned keywords, keyword count."""
    scope = {"sector_id": str(sector_id)}
    members: dict[int, list[str]] = {}
    unassigned: list[str] = []
    keywords = list(api.pages("/v1/planner/keywords/", scope))
    for keyword in keywords:
        if keyword.get("cluster_id") is None:
            unassigned.append(keyword["keyword"])
        else:
            members.setdefault(int(keyword["cluster_id"]), []).append(keyword["keyword"])
    clusters = [
        {
            "id": int(c["id"]),
            "name": c["name"],
            "keywords_count": int(c.get("keywords_count") or 0),
            "volume": int(c.get("volume") or 0),
            "pillar_name": c.get("pillar_name"),
            "keywords": members.get(int(c["id"]), []),
        }
        for c in api.pages("/v1/planner/clusters/", scope)
    ]
    clusters.sort(key=lambda c: (-c["keywords_count"], -c["volume"], c["name"]))
    return clusters, unassigned, len(keywords)


@click.command(
    "run", short_help="The whole flow: import -> clusters -> ideas -> articles -> exports, report."
)
@click.argument("file", metavar="FILE")
@click.option("--out", "out", required=True, metavar="DIR", help="Where summary.json, articles/, exports go.")
@click.option(
    "--clusters",
    "top",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    metavar="N",
    help="Ideas for the N largest clusters (0: stop after clustering).",
)
@click.option(
    "--articles",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    metavar="N",
    help="Write at most N articles (0: one per idea).",
)
@click.option(
    "--site", metavar="NAME", help="Import into this site (found or created; default: the file name)."
)
@click.option(
    "--sector", metavar="NAME", help="Import into this sector (found or created; default: a new one)."
)
@click.option(
    "--strategy",
    type=click.Choice(["auto", "prompt", "semantic"]),
    help="auto_cluster's strategy (the API's default: auto).",
)
@timeout_option
@click.pass_obj
def run_command(
    target: Target,
    file: str,
    out: str,
    top: int,
    articles: int,
    site: str | None,
    sector: str | None,
    strategy: str | None,
    timeout: float,
) -> None:
    """Run the whole flow on the keywords of FILE (any export `igny8 import` reads): import into a
    site and sector, auto_cluster, generate_ideas for the largest clusters, a writer task per idea,
    generate_content, then save the exports and the report. Progress goes to stderr.

    DIR gets summary.json (keywords, clusters, unassigned keywords, jobs, ideas, articles),
    articles/*.html and *.md, keywords.csv, keywords.xlsx, ideas.md and report.html.
    Exits 1 when a job failed (summary.json is written all the same).
    """
    parsed = read_export(file)
    folder = output_folder(out)
    started_at = time.monotonic()
    click.echo(f"IGNY8 run of {Path(file).name} on {target.describe()}")
    click.echo(f"AI provider: {target.ai_description()}")
    describe_export(file, parsed, info)
    if (folder / "summary.json").exists():
        shutil.rmtree(folder / "articles", ignore_errors=True)  # a previous run's articles
    summary: dict[str, Any] = {
        "file": str(file),
        "target": target.describe(),
        "ai_provider": target.ai_description(),
        "keywords": 0,
        "clusters": [],
        "unassigned_keywords": [],
        "jobs": [],
        "ideas": [],
        "articles": [],
        "exports": [],
        "report": None,
    }
    try:
        with target.connect() as api:
            flow(api, parsed, file, folder, summary, top, articles, site, sector, strategy, timeout)
    finally:
        summary["seconds"] = round(time.monotonic() - started_at, 1)
        folder.mkdir(parents=True, exist_ok=True)
        text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
        (folder / "summary.json").write_text(text, encoding="utf-8")
    failed = [j for j in summary["jobs"] if j["status"] != "completed"]
    click.echo(f"\nJobs: {len(summary['jobs'])} run, {len(failed)} failed. Wrote {folder / 'summary.json'}")
    if failed:
        raise click.ClickException("; ".join(job_failure(j) for j in failed))


def flow(
    api: Api,
    parsed: Any,
    file: str,
    folder: Path,
    summary: dict[str, Any],
    top: int,
    max_articles: int,
    site_name: str | None,
    sector_name: str | None,
    strategy: str | None,
    timeout: float,
) -> None:
    """The steps, each recorded in ``summary`` as it ends (a failed job stops the flow)."""
    site = ensure_site(api, site_name or Path(file).stem[:300])
    sector = ensure_sector(
        api,
        sector_name or f"run {time.strftime('%Y-%m-%d %H:%M:%S')}",
        int(site["id"]),
        reuse=bool(sector_name),
    )
    summary["site"] = {"id": site["id"], "name": site["name"]}
    summary["sector"] = {"id": sector["id"], "name": sector["name"]}
    imported = import_rows(api, parsed.rows, int(site["id"]), int(sector["id"]))
    click.echo(
        f"\n1. Imported {imported.created} keywords from {Path(file).name} into site {site['name']!r}, "
        f"sector {sector['name']!r} ({len(imported.duplicates)} already there)"
    )

    started, form = start_auto_cluster(api, int(sector["id"]), imported, strategy, None)
    click.echo(f"\n2. auto_cluster started for {form}: task {started['task_id']}")
    job = follow(api, str(started["task_id"]), "auto_cluster", timeout)
    summary["jobs"].append(job_summary(job))
    if job.get("status") != "completed":
        return
    clusters, unassigned, count = sector_clusters(api, int(sector["id"]))
    summary.update(keywords=count, clusters=clusters, unassigned_keywords=unassigned)
    click.echo(f"   {len(clusters)} clusters, {len(unassigned)} keyword(s) unassigned:")
    for cluster in clusters[:SHOWN_CLUSTERS]:
        click.echo(
            f"   - {cluster['name']:<40} {cluster['keywords_count']:>3} keywords  volume {cluster['volume']:>7}"
        )
    if len(clusters) > SHOWN_CLUSTERS:
        click.echo(f"   ... and {len(clusters) - SHOWN_CLUSTERS} more (see {folder / 'summary.json'})")

    chosen = clusters[:top]
    if chosen:
        names = {c["id"]: c["name"] for c in chosen}
        click.echo(f"\n3. generate_ideas for the {len(chosen)} largest cluster(s)")
        jobs = start_jobs(
            api, GENERATE_IDEAS, list(names), CLUSTERS_PER_JOB, "generate_ideas", "cluster(s)", timeout
        )
        summary["jobs"].extend(job_summary(j) for j in jobs)
        if any(j.get("status") != "completed" for j in jobs):
            return
        ideas = ideas_made(api, list(names), jobs)
        summary["ideas"] = [
            {
                "id": int(i["id"]),
                "title": i["title"],
                "cluster": names.get(int(i.get("cluster_id") or 0)),
                "content_structure": i.get("content_structure"),
            }
            for i in ideas
        ]
        for idea in summary["ideas"]:
            click.echo(f"   - [{idea['cluster']}] {idea['title']} ({idea['content_structure']})")
        picked = ideas[:max_articles] if max_articles else ideas
        if picked:
            write_articles(api, folder, summary, [int(i["id"]) for i in picked], timeout)

    click.echo("\n6. Exports and report")
    task_ids = [a["task_id"] for a in summary["articles"]]
    idea_clusters = [c["id"] for c in summary["clusters"][:top]]
    saved = save_tables(
        api,
        folder,
        ("csv", "xlsx", "md") if idea_clusters else ("csv", "xlsx"),
        keyword_scope={"sector_id": str(summary["sector"]["id"])},  # this run's keywords only
        idea_clusters=idea_clusters,
    )
    saved.extend(p for p in (folder / "articles").glob("*") if p.is_file())
    summary["exports"] = sorted(str(p.relative_to(folder)) for p in saved)
    click.echo(
        f"   {len(summary['exports'])} export file(s), {len(task_ids)} article(s) as HTML and Markdown"
    )
    summary["report"] = str(save_report(api, folder / "report.html").relative_to(folder))
    click.echo(f"   wrote {folder / 'report.html'}")


def write_articles(
    api: Api, folder: Path, summary: dict[str, Any], idea_ids: list[int], timeout: float
) -> None:
    created, tasks = queue_tasks(api, idea_ids)
    task_ids = [int(t["id"]) for t in tasks]
    click.echo(f"\n4. {len(task_ids)} writer task(s) queued ({created} new)")
    click.echo(f"\n5. generate_content for {len(task_ids)} task(s)")
    jobs = start_jobs(api, GENERATE_CONTENT, task_ids, TASKS_PER_JOB, "generate_content", "task(s)", timeout)
    summary["jobs"].extend(job_summary(j) for j in jobs)
    for task in task_outcomes(api, task_ids):
        content = task.get("content")
        if task.get("status") != "completed" or not content:
            click.echo(f"   task {task['id']} {task.get('status')}: {task.get('error') or ''}")
            continue
        seo = content.get("seo") or {}
        html = save_article(api, folder, int(task["id"]), "html")
        save_article(api, folder, int(task["id"]), "md")
        summary["articles"].append(
            {
                "task_id": int(task["id"]),
                "title": content.get("title"),
                "word_count": int(content.get("word_count") or 0),
                "meta_title": content.get("meta_title"),
                "meta_description": content.get("meta_description"),
                "offline_draft": bool(content.get("offline_draft")),
                "status": content.get("status"),
                "seo": {"score": seo.get("score"), "checks": dict(seo.get("checks") or {})},
                "links": [link.get("url") for link in content.get("links") or []],
                "url": content.get("url"),
                "path": str(html.relative_to(folder)),
            }
        )
        failing = [name for name, ok in (seo.get("checks") or {}).items() if not ok]
        click.echo(
            f"   wrote {html} ({content.get('word_count')} words, {content.get('status')}, "
            f"on-page score {seo.get('score')}, {len(content.get('links') or [])} internal link(s)"
            + (f"; failing: {', '.join(failing)}" if failing else "")
            + ")"
        )
