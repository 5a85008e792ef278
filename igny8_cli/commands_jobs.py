"""``igny8 jobs``: the account's AI jobs, newest first; ``igny8 jobs show TASK_ID``: one job."""

from __future__ import annotations

import json
from typing import Any

import click

from igny8_cli.client import Api
from igny8_cli.target import Target, table

JOB_STATUSES = ("pending", "running", "completed", "failed")
PAGE = 200  # GET /v1/jobs/ answers at most 200 jobs a page
SHOWN_ELSEWHERE = {"task_id", "message", "success", "offline"}


def list_jobs(api: Api, function: str | None, status: str | None, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` jobs, newest first, filtered by the API (``function``, ``status``).

    The filters are applied here too, so an API that ignores them still shows only what was asked.
    """
    query = {k: v for k, v in (("function", function), ("status", status)) if v}
    params = {**query, "limit": str(min(limit, PAGE))}
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    while len(found) < limit:
        page = api.call("GET", "/v1/jobs/", query=params)
        for job in page.get("results") or []:
            if (not function or job.get("function") == function) and (
                not status or job.get("status") == status
            ):
                found.append(job)
        cursor = page.get("next")
        if cursor in (None, "") or str(cursor) in seen:
            break
        seen.add(str(cursor))
        params["after"] = str(cursor)
    found.sort(key=lambda j: str(j.get("created_at") or ""), reverse=True)
    return found[:limit]


@click.group(
    "jobs", invoke_without_command=True, short_help="List the AI jobs, newest first; `jobs show ID`."
)
@click.option(
    "--function", metavar="F", help="Only this function (auto_cluster, generate_ideas, generate_content)."
)
@click.option("--status", type=click.Choice(JOB_STATUSES), help="Only jobs with this status.")
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, metavar="N", help="At most N jobs."
)
@click.option("--json", "as_json", is_flag=True, help="Print the API's job records as JSON.")
@click.pass_context
def jobs_command(
    ctx: click.Context, function: str | None, status: str | None, limit: int, as_json: bool
) -> None:
    """List the account's jobs, newest first: task id, function, status, phase, progress, created,
    the latest message. `igny8 jobs show TASK_ID` shows one job with its phase history.
    """
    if ctx.invoked_subcommand is not None:
        return
    target: Target = ctx.ensure_object(Target)
    with target.connect(needs_saved_data=True) as api:
        jobs = list_jobs(api, function, status, limit)
    if as_json:
        click.echo(json.dumps(jobs, indent=2, ensure_ascii=False))
        return
    if not jobs:
        click.echo("no jobs" + (" matching the filters" if function or status else " yet"))
        return
    rows = [{**j, "progress": f"{int(j.get('progress') or 0)}%"} for j in jobs]
    table(
        rows,
        [
            ("task_id", "task"),
            ("function", "function"),
            ("status", "status"),
            ("phase", "phase"),
            ("progress", "progress"),
            ("created_at", "created"),
            ("message", "message"),
        ],
        width=60,
    )


@jobs_command.command("show")
@click.argument("task_id", metavar="TASK_ID")
@click.option("--json", "as_json", is_flag=True, help="Print the API's job record as JSON.")
@click.pass_obj
def show_command(target: Target, task_id: str, as_json: bool) -> None:
    """Show one job: status, phase, tokens, cost, credits, model, items, error, result summary
    and every phase message it reported.
    """
    with target.connect(needs_saved_data=True) as api:
        job = dict(api.call("GET", f"/v1/jobs/{task_id}"))
    if as_json:
        click.echo(json.dumps(job, indent=2, ensure_ascii=False))
        return
    tokens = job.get("tokens") or {}
    items = job.get("items") or {}
    ai = "offline local provider" if job.get("offline") else (job.get("model") or "-")
    lines = [
        ("job", f"{job.get('task_id')} ({job.get('function')})"),
        ("status", f"{job.get('status')}, phase {job.get('phase')} {int(job.get('progress') or 0)}%"),
        ("message", job.get("message") or ""),
        ("AI", ai),
        (
            "tokens",
            f"{tokens.get('total', 0)} (input {tokens.get('input', 0)}, output {tokens.get('output', 0)})",
        ),
        ("cost", f"${float(job.get('cost') or 0):.6f}, credits {job.get('credits', 0)}"),
        ("items", f"{items.get('done', 0)} done, {items.get('failed', 0)} failed of {items.get('total', 0)}"),
        ("created", job.get("created_at") or ""),
        ("finished", job.get("finished_at") or ""),
    ]
    if job.get("error"):
        lines.append(("error", str(job["error"])))
    for name, value in lines:
        click.echo(f"{name + ':':<10} {value}")
    result = job.get("result")
    if isinstance(result, dict) and result:
        parts = [
            f"{k} {len(v)}" if isinstance(v, list) else f"{k} {v}"
            for k, v in result.items()
            if k not in SHOWN_ELSEWHERE and not isinstance(v, dict)
        ]
        click.echo("result:    " + ", ".join(parts))
    history = job.get("history") or []
    if history:
        click.echo("history:")
        for entry in history:
            click.echo(
                f"  {entry.get('phase') or '':<7} {int(entry.get('progress') or 0):>3}%  {entry.get('message') or ''}"
            )
