"""The ``igny8`` command: the click group, ``import`` and ``cluster``; the others are registered below."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import click

from igny8_cli.autocluster import start_auto_cluster
from igny8_cli.client import ApiError
from igny8_cli.commands_export import export_command, report_command
from igny8_cli.commands_jobs import jobs_command
from igny8_cli.commands_plan import ideas_command, tasks_command, write_command
from igny8_cli.commands_publish import publish_command, wordpress_command
from igny8_cli.commands_run import run_command
from igny8_cli.importing import (
    Imported,
    api_norm,
    describe_export,
    describe_upload,
    ensure_sector,
    ensure_site,
    import_rows,
    read_export,
    upload_export,
)
from igny8_cli.progress import JobProgress
from igny8_cli.target import Target, info

__all__ = ["OUTPUT_COLUMNS", "Target", "cli", "main"]

OUTPUT_COLUMNS = ("keyword", "cluster_id", "cluster", "pillar", "volume", "difficulty", "intent")


class Igny8Group(click.Group):
    """Turns the API's errors into one line on stderr and exit code 1 (never a traceback).

    ``--help`` lists the commands in the order of the flow, not alphabetically.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ApiError as exc:
            raise click.ClickException(" ".join(str(exc).split())) from None


@click.group(cls=Igny8Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--api",
    "api_url",
    envvar="IGNY8_API_URL",
    metavar="URL",
    help="A deployed API's base URL, stage included (env IGNY8_API_URL). Without it the commands "
    "use the local API of `make api` when it runs, else (import, cluster, run) a private local stack.",
)
@click.option(
    "--key", "api_key", envvar="IGNY8_API_KEY", metavar="KEY", help="API key for --api (env IGNY8_API_KEY)."
)
@click.version_option(package_name="igny8-serverless", prog_name="igny8")
@click.pass_context
def cli(ctx: click.Context, api_url: str | None, api_key: str | None) -> None:
    """IGNY8: keywords -> topic clusters -> content ideas -> articles, through the IGNY8 API.

    \b
    The whole flow in one command:   igny8 run keywords.csv --out out
    Step by step (keep `make api` running in another terminal so each step sees the last):
      igny8 cluster keywords.csv --out clusters.csv   (import and cluster)
      igny8 ideas --top 3 ; igny8 tasks --all-new ; igny8 write --all-queued
      igny8 jobs ; igny8 export --out out ; igny8 report --out report.html

    Targets: --api URL --key KEY (a deployed API); else the local API of `make api` (it writes
    .igny8/local.json); else import, cluster and run start a private local stack that lives as
    long as the command. Local stacks honour OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL as
    `make demo` does; without a key the offline local provider answers.
    """
    target = ctx.ensure_object(Target)
    if api_url:
        if not api_key:
            raise click.UsageError("--api needs --key KEY (or IGNY8_API_KEY)")
        target.api_url, target.api_key = api_url, api_key


# ---------------------------------------------------------------- import
@cli.command(
    "import", short_help="Import a keyword-tool export (Semrush, Ahrefs, Moz, GSC, Keyword Planner, lists)."
)
@click.argument("file", metavar="FILE")
@click.option("--site", metavar="NAME", help="Import into this site (found by name, created if missing).")
@click.option("--sector", metavar="NAME", help="Import into this sector of --site (found or created).")
@click.pass_obj
def import_command(target: Target, file: str, site: str | None, sector: str | None) -> None:
    """Import a keyword-tool export (Semrush, Ahrefs, Moz, Search Console, Keyword Planner, or a
    plain list with a `keyword` column).

    The file goes to the API as it is (cut into parts of at most 4 MB and 10,000 rows, each with
    the header row, when it is larger); prints the format detected, the rows created, duplicates
    and bad rows with their row numbers in the file.
    """
    if sector and not site:
        raise click.UsageError("--sector needs --site NAME (a sector belongs to a site)")
    with target.connect() as api:
        site_rec = ensure_site(api, site) if site else None
        sector_rec = ensure_sector(api, sector, int(site_rec["id"])) if sector and site_rec else None
        outcome = upload_export(
            api,
            file,
            int(site_rec["id"]) if site_rec else None,
            int(sector_rec["id"]) if sector_rec else None,
            on_part=lambda done, total: info(f"  sent part {done}/{total}") if total > 1 else None,
        )
    describe_upload(file, outcome, click.echo)
    where = ""
    if site_rec:
        where = f" into site {site_rec['name']!r} (id {site_rec['id']})"
    if sector_rec:
        where += f", sector {sector_rec['name']!r} (id {sector_rec['id']})"
    click.echo(
        f"Imported {outcome.created} keyword(s){where} on {target.describe()}; "
        f"{outcome.already_stored} already there, {outcome.errors_total} bad row(s) and "
        f"{outcome.repeated_in_file} duplicate row(s) skipped"
    )
    if target.is_local:
        click.echo("(local stack: the data lives only as long as this command; use --api to keep it)")


# ---------------------------------------------------------------- cluster
@cli.command("cluster")
@click.argument("input_file", metavar="INPUT")
@click.option(
    "--out", "output", required=True, metavar="OUTPUT.csv", help="Where to write one row per keyword."
)
@click.option(
    "--strategy",
    type=click.Choice(["auto", "prompt", "semantic"]),
    help="prompt: one prompt (small lists); semantic: embed -> cluster -> name; auto (the API's "
    "default): prompt for small lists, semantic above.",
)
@click.option(
    "--threshold",
    type=float,
    metavar="X",
    help="Similarity threshold of the semantic strategy (granularity).",
)
@click.option(
    "--timeout",
    type=float,
    default=3600.0,
    show_default=True,
    metavar="SECONDS",
    help="Give up following the job after this long.",
)
@click.pass_obj
def cluster_command(
    target: Target,
    input_file: str,
    output: str,
    strategy: str | None,
    threshold: float | None,
    timeout: float,
) -> None:
    """Cluster the keywords of INPUT and write OUTPUT.csv.

    Imports INPUT (any export `igny8 import` reads) into a new site and sector, runs
    auto_cluster with progress on stderr, then writes one row per keyword of the file:
    keyword, cluster_id, cluster, pillar, volume, difficulty, intent (cluster_id and cluster
    empty when the keyword was left unassigned).
    """
    parsed = read_export(input_file)
    out_path = Path(output)
    if out_path.is_dir():
        raise click.ClickException(f"{output}: is a folder; give a file name such as clusters.csv")
    if not out_path.parent.exists():
        raise click.ClickException(f"{output}: folder {out_path.parent} does not exist")
    describe_export(input_file, parsed, info)
    info(f"Running on {target.describe()}")
    started_at = time.monotonic()
    with target.connect() as api:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        site = ensure_site(api, f"igny8 cluster: {Path(input_file).name}"[:300])
        sector = ensure_sector(api, f"run {stamp}", int(site["id"]), reuse=False)
        imported = import_rows(
            api,
            parsed.rows,
            int(site["id"]),
            int(sector["id"]),
            on_chunk=lambda done, total: info(f"importing {done}/{total} keywords"),
        )
        started, form = start_auto_cluster(api, int(sector["id"]), imported, strategy, threshold)
        info(f"auto_cluster started for {form}: task {started['task_id']}")
        progress = JobProgress("auto_cluster")
        try:
            job = api.wait(str(started["task_id"]), progress, timeout=timeout)
        finally:
            progress.close()
        if job.get("status") != "completed":
            raise click.ClickException(
                f"auto_cluster job {job.get('task_id')} failed: {job.get('error') or job.get('message')}"
            )
        clusters = {
            int(c["id"]): c for c in api.pages("/v1/planner/clusters/", {"sector_id": str(sector["id"])})
        }
        keywords = {
            int(k["id"]): k for k in api.pages("/v1/planner/keywords/", {"sector_id": str(sector["id"])})
        }
    rows = output_rows(parsed.rows, imported, keywords, clusters)
    write_csv(out_path, rows)
    summarize(out_path, rows, clusters, job, strategy, time.monotonic() - started_at)


def output_rows(
    input_rows: list[Any],
    imported: Imported,
    keywords: dict[int, dict[str, Any]],
    clusters: dict[int, dict[str, Any]],
) -> list[dict[str, Any]]:
    """One row per keyword of the file, in file order, from the API's keywords and clusters."""
    rows = []
    for source in input_rows:
        keyword_id = imported.ids.get(api_norm(source.keyword))
        record = keywords.get(keyword_id) if keyword_id is not None else None
        cluster_id = (record or {}).get("cluster_id")
        cluster = clusters.get(int(cluster_id)) if cluster_id is not None else None
        if record is None:
            record = {"volume": source.volume, "difficulty": source.difficulty, "intent": source.intent}
        rows.append(
            {
                "keyword": source.keyword,
                "cluster_id": int(cluster_id) if cluster_id is not None else "",
                "cluster": cluster["name"]
                if cluster
                else ("" if cluster_id is None else f"cluster {cluster_id}"),
                "pillar": (cluster.get("pillar_name") or cluster["name"]) if cluster else "",
                "volume": _blank(record.get("volume")),
                "difficulty": _blank(record.get("difficulty")),
                "intent": _blank(record.get("intent")),
            }
        )
    return rows


def _blank(value: Any) -> Any:
    return "" if value is None else value


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=OUTPUT_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot write ({exc.strerror or exc})") from None


def summarize(
    path: Path,
    rows: list[dict[str, Any]],
    clusters: dict[int, dict[str, Any]],
    job: dict[str, Any],
    requested: str | None,
    seconds: float,
) -> None:
    placed = sum(1 for r in rows if r["cluster_id"] != "")
    used = {r["cluster_id"] for r in rows if r["cluster_id"] != ""}
    named = [clusters[int(c)].get("pillar_name") for c in used if int(c) in clusters]
    pillars = {p for p in named if p}
    pillar_text = f"{len(pillars)} pillar(s)" if pillars else "no pillars reported: pillar = cluster name"
    result = job.get("result") or {}
    ran = result.get("strategy")
    strategy = f"{ran}" if ran else "not reported by the API"
    strategy += f" (requested {requested})" if requested else " (the API's default)"
    ai = "offline local provider" if job.get("offline") else f"model {job.get('model') or '?'}"
    tokens = (job.get("tokens") or {}).get("total", 0)
    share = 100.0 * placed / len(rows) if rows else 0.0
    click.echo(f"Wrote {path}: {len(rows)} keyword row(s)")
    click.echo(f"  clusters:   {len(used)} ({pillar_text}; {len(clusters)} in the sector)")
    click.echo(f"  placed:     {placed} of {len(rows)} ({share:.1f}%), {len(rows) - placed} unassigned")
    click.echo(f"  strategy:   {strategy}")
    click.echo(f"  AI:         {ai}{' (offline: true)' if job.get('offline') else ''}")
    click.echo(
        f"  tokens:     {tokens}, cost ${float(job.get('cost') or 0):.6f}, credits {job.get('credits', 0)}"
    )
    click.echo(
        f"  job:        {job.get('task_id')} {job.get('status')}; {seconds:.1f} s in all (import, job, listing)"
    )


# ---------------------------------------------------------------- the other commands
for _command in (
    ideas_command,
    tasks_command,
    write_command,
    jobs_command,
    export_command,
    report_command,
    wordpress_command,
    publish_command,
    run_command,
):
    cli.add_command(_command)


def main() -> None:
    cli()
