"""``igny8 ideas``, ``igny8 tasks``, ``igny8 write``: clusters -> ideas -> writer tasks -> articles.

Each starts its jobs through the API, follows them with the progress bar on stderr and lists
what they made on stdout. The helpers are shared with ``igny8 run``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from igny8_cli.client import Api
from igny8_cli.target import Target, batches, follow, ids_option, info, job_failure, table

GENERATE_IDEAS = "/v1/planner/clusters/auto_generate_ideas/"
GENERATE_CONTENT = "/v1/writer/tasks/auto_generate_content/"
TASKS = "/v1/writer/tasks/"
CLUSTERS_PER_JOB = 10  # generate_ideas takes at most 10 clusters
IDEAS_PER_REQUEST = 100  # POST /v1/writer/tasks/ takes at most 100 idea ids
TASKS_PER_JOB = 50  # generate_content takes at most 50 tasks

timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=3600.0,
    show_default=True,
    metavar="SECONDS",
    help="Give up following a job after this long.",
)


# ---------------------------------------------------------------- helpers (also used by `run`)
def largest_clusters(api: Api, count: int, sector_id: int | None = None) -> list[dict[str, Any]]:
    """The ``count`` clusters with the most keywords (then volume, then name)."""
    query = {"sector_id": str(sector_id)} if sector_id is not None else None
    clusters = list(api.pages("/v1/planner/clusters/", query))
    clusters.sort(key=lambda c: (-int(c.get("keywords_count") or 0), -int(c.get("volume") or 0), c["name"]))
    return clusters[:count]


def start_jobs(
    api: Api, path: str, ids: Sequence[int], size: int, label: str, what: str, timeout: float
) -> list[dict[str, Any]]:
    """One job per ``size`` ids, each followed to its end; the final jobs."""
    jobs = []
    for batch in batches(ids, size):
        started = api.call("POST", path, {"ids": batch})
        info(f"{label} started for {len(batch)} {what}: task {started['task_id']}")
        jobs.append(follow(api, str(started["task_id"]), label, timeout))
    return jobs


def ideas_made(api: Api, cluster_ids: Sequence[int], jobs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ideas the jobs created (every idea of the clusters when a job does not list them)."""
    made: set[int] = set()
    every_job_lists = True
    for job in jobs:
        listed = (job.get("result") or {}).get("ideas")
        if listed is None and job.get("status") == "completed":
            every_job_lists = False  # an API that does not list them: show all the clusters' ideas
        made.update(int(i["id"]) for i in listed or [])
    ideas = [
        idea for cid in cluster_ids for idea in api.pages("/v1/planner/ideas/", {"cluster_id": str(cid)})
    ]
    return [i for i in ideas if not every_job_lists or int(i["id"]) in made]


def queue_tasks(api: Api, idea_ids: Sequence[int]) -> tuple[int, list[dict[str, Any]]]:
    """Writer tasks for the ideas (an idea that has one keeps it): (created, tasks)."""
    created, tasks = 0, list[dict[str, Any]]()
    for batch in batches(idea_ids, IDEAS_PER_REQUEST):
        answer = api.call("POST", TASKS, {"idea_ids": batch})
        created += int(answer.get("created") or 0)
        tasks.extend(answer.get("results") or [])
    return created, tasks


def task_outcomes(api: Api, task_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Each task with its article's metadata (``content``, None when there is none)."""
    return [dict(api.call("GET", f"{TASKS}{task_id}/")) for task_id in task_ids]


def print_ideas(ideas: Sequence[dict[str, Any]], names: dict[int, str]) -> None:
    rows = [{**i, "cluster": names.get(int(i.get("cluster_id") or 0), i.get("cluster_id"))} for i in ideas]
    table(
        rows,
        [
            ("id", "id"),
            ("cluster", "cluster"),
            ("content_structure", "structure"),
            ("task_id", "task"),
            ("title", "title"),
        ],
    )


def print_tasks(tasks: Sequence[dict[str, Any]]) -> None:
    table(tasks, [("id", "id"), ("status", "status"), ("idea_id", "idea"), ("title", "title")])


def print_articles(outcomes: Sequence[dict[str, Any]]) -> None:
    rows = []
    for task in outcomes:
        content = task.get("content") or {}
        rows.append(
            {
                "task": task["id"],
                "status": task["status"],
                "words": content.get("word_count", ""),
                "title": content.get("title") or task.get("title"),
                "note": task.get("error") or ("offline draft" if content.get("offline_draft") else ""),
            }
        )
    table(
        rows,
        [("task", "task"), ("status", "status"), ("words", "words"), ("title", "title"), ("note", "note")],
        width=60,
    )


def fail_if_any(jobs: Sequence[dict[str, Any]]) -> None:
    failed = [j for j in jobs if j.get("status") != "completed"]
    if failed:
        raise click.ClickException("; ".join(job_failure(j) for j in failed))


# ---------------------------------------------------------------- ideas
@click.command("ideas", short_help="Generate content ideas for clusters, then list them.")
@click.option("--cluster", "clusters", type=int, multiple=True, metavar="ID", help="A cluster id (repeat).")
@click.option(
    "--top",
    type=click.IntRange(min=1),
    metavar="N",
    help="The N largest clusters (default 3 without --cluster).",
)
@click.option("--sector", type=int, metavar="ID", help="With --top: the largest clusters of this sector.")
@timeout_option
@click.pass_obj
def ideas_command(
    target: Target, clusters: tuple[int, ...], top: int | None, sector: int | None, timeout: float
) -> None:
    """Run generate_ideas for the given clusters (--cluster ID ...) or the N largest (--top N),
    following each job (at most 10 clusters per job) with a progress bar, then list the ideas
    the jobs created: id, cluster, structure, task, title.
    """
    if clusters and (top or sector):
        raise click.UsageError("give --cluster ID ... or --top N [--sector ID], not both")
    with target.connect(needs_saved_data=True) as api:
        if clusters:
            cluster_ids = ids_option(clusters)
            names = {int(c["id"]): c["name"] for c in api.pages("/v1/planner/clusters/")}
        else:
            chosen = largest_clusters(api, top or 3, sector)
            if not chosen:
                raise click.ClickException(
                    "no clusters yet: import keywords and cluster them first (igny8 import, igny8 cluster)"
                )
            cluster_ids = [int(c["id"]) for c in chosen]
            names = {int(c["id"]): c["name"] for c in chosen}
        jobs = start_jobs(
            api, GENERATE_IDEAS, cluster_ids, CLUSTERS_PER_JOB, "generate_ideas", "cluster(s)", timeout
        )
        ideas = ideas_made(api, cluster_ids, jobs)
    click.echo(f"{len(ideas)} idea(s) for {len(cluster_ids)} cluster(s):")
    print_ideas(ideas, names)
    fail_if_any(jobs)


# ---------------------------------------------------------------- tasks
@click.command("tasks", short_help="Queue writer tasks from ideas, then list the tasks.")
@click.option("--idea", "ideas", type=int, multiple=True, metavar="ID", help="An idea id (repeat).")
@click.option("--all-new", is_flag=True, help="Every idea that has no writer task yet.")
@click.option(
    "--status", metavar="S", help="List only the tasks with this status (queued, completed, failed)."
)
@click.pass_obj
def tasks_command(target: Target, ideas: tuple[int, ...], all_new: bool, status: str | None) -> None:
    """Queue one writer task per idea (--idea ID ... or --all-new; an idea that already has a task
    keeps it), then list the tasks: id, status, idea, title. Without options, only list them.
    """
    if ideas and all_new:
        raise click.UsageError("give --idea ID ... or --all-new, not both")
    with target.connect(needs_saved_data=True) as api:
        idea_ids = ids_option(ideas)
        if all_new:
            idea_ids = [int(i["id"]) for i in api.pages("/v1/planner/ideas/") if i.get("task_id") is None]
            if not idea_ids:
                info("every idea already has a writer task")
        if idea_ids:
            created, tasks = queue_tasks(api, idea_ids)
            click.echo(f"{created} writer task(s) queued, {len(tasks) - created} already there:")
        else:
            tasks = list(api.pages(TASKS, {"status": status} if status else None))
            click.echo(f"{len(tasks)} writer task(s):")
    print_tasks([t for t in tasks if not status or t.get("status") == status])


# ---------------------------------------------------------------- write
@click.command("write", short_help="Write the articles of writer tasks, then list them.")
@click.option("--task", "tasks", type=int, multiple=True, metavar="ID", help="A writer task id (repeat).")
@click.option("--all-queued", is_flag=True, help="Every task still queued (not written yet).")
@timeout_option
@click.pass_obj
def write_command(target: Target, tasks: tuple[int, ...], all_queued: bool, timeout: float) -> None:
    """Run generate_content for the given tasks (--task ID ...) or every queued one (--all-queued),
    following each job (at most 50 tasks per job) with a progress bar, then list the articles:
    task, status, words, title, and the error of a task that failed.
    """
    if bool(tasks) == all_queued:
        raise click.UsageError("give --task ID ... or --all-queued")
    with target.connect(needs_saved_data=True) as api:
        task_ids = ids_option(tasks)
        if all_queued:
            task_ids = [int(t["id"]) for t in api.pages(TASKS, {"status": "queued"})]
            if not task_ids:
                raise click.ClickException("no queued writer tasks: queue some first (igny8 tasks --all-new)")
        jobs = start_jobs(
            api, GENERATE_CONTENT, task_ids, TASKS_PER_JOB, "generate_content", "task(s)", timeout
        )
        outcomes = task_outcomes(api, task_ids)
    written = [t for t in outcomes if t.get("status") == "completed" and t.get("content")]
    click.echo(f"{len(written)} of {len(outcomes)} article(s) written:")
    print_articles(outcomes)
    fail_if_any(jobs)
    failed = [t for t in outcomes if t.get("status") == "failed"]
    if failed:
        first = failed[0]
        raise click.ClickException(
            f"{len(failed)} of {len(outcomes)} task(s) failed; task {first['id']}: {first.get('error')}"
        )
