"""The ``igny8`` command: a click group and its commands (``import``, ``cluster``)."""

from __future__ import annotations

import contextlib
import csv
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from igny8_cli.client import Api, ApiError, HttpTransport
from igny8_cli.importing import (
    Imported,
    api_norm,
    describe_export,
    ensure_sector,
    ensure_site,
    import_rows,
    read_export,
)
from igny8_cli.progress import JobProgress

OUTPUT_COLUMNS = ("keyword", "cluster_id", "cluster", "pillar", "volume", "difficulty", "intent")
AUTO_CLUSTER = "/v1/planner/keywords/auto_cluster/"


def _local_api() -> ContextManager[Api]:
    from igny8_cli.local import local_api

    return local_api()


@dataclass
class Target:
    """Where the commands send their requests; tests may pass one as ``obj`` with ``local`` replaced."""

    api_url: str | None = None
    api_key: str | None = None
    local: Callable[[], ContextManager[Api]] = field(default=_local_api)

    @property
    def is_local(self) -> bool:
        return not self.api_url

    def describe(self) -> str:
        if self.api_url:
            return f"API {self.api_url}"
        from igny8_cli.local import ai_provider

        return f"local stack in process (AI: {ai_provider()})"

    @contextlib.contextmanager
    def connect(self) -> Iterator[Api]:
        if self.api_url:
            yield Api(HttpTransport(self.api_url, self.api_key))
        else:
            with self.local() as api:
                yield api


class Igny8Group(click.Group):
    """Turns the API's errors into one line on stderr and exit code 1 (never a traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ApiError as exc:
            raise click.ClickException(" ".join(str(exc).split())) from None


def info(text: str) -> None:
    click.echo(text, err=True)


@click.group(cls=Igny8Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--api",
    "api_url",
    envvar="IGNY8_API_URL",
    metavar="URL",
    help="A deployed API's base URL, stage included (env IGNY8_API_URL). Without it the command "
    "runs on an in-process local stack, like `make demo`.",
)
@click.option(
    "--key", "api_key", envvar="IGNY8_API_KEY", metavar="KEY", help="API key for --api (env IGNY8_API_KEY)."
)
@click.version_option(package_name="igny8-serverless", prog_name="igny8")
@click.pass_context
def cli(ctx: click.Context, api_url: str | None, api_key: str | None) -> None:
    """IGNY8: keywords -> topic clusters (and, later, ideas and articles) through the IGNY8 API.

    The local stack honours OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL as `make demo`
    does; without a key the offline local provider answers.
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

    Reports the format detected, the rows read, bad rows with their row numbers and duplicates,
    then posts the keywords in chunks of at most 5,000.
    """
    if sector and not site:
        raise click.UsageError("--sector needs --site NAME (a sector belongs to a site)")
    parsed = read_export(file)
    describe_export(file, parsed, click.echo)
    with target.connect() as api:
        site_rec = ensure_site(api, site) if site else None
        sector_rec = ensure_sector(api, sector, int(site_rec["id"])) if sector and site_rec else None
        outcome = import_rows(
            api,
            parsed.rows,
            int(site_rec["id"]) if site_rec else None,
            int(sector_rec["id"]) if sector_rec else None,
            on_chunk=lambda done, total: info(f"  imported {done}/{total} rows") if total > 5_000 else None,
        )
    where = ""
    if site_rec:
        where = f" into site {site_rec['name']!r} (id {site_rec['id']})"
    if sector_rec:
        where += f", sector {sector_rec['name']!r} (id {sector_rec['id']})"
    click.echo(
        f"Imported {outcome.created} keyword(s){where} on {target.describe()}; "
        f"{len(outcome.duplicates)} already there, {len(parsed.errors)} bad row(s) and "
        f"{len(parsed.duplicates)} duplicate row(s) skipped"
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


def start_auto_cluster(
    api: Api, sector_id: int, imported: Imported, strategy: str | None, threshold: float | None
) -> tuple[dict[str, Any], str]:
    """Start auto_cluster with the selection form; fall back to ids for an API without it."""
    options: dict[str, Any] = {
        k: v for k, v in (("strategy", strategy), ("threshold", threshold)) if v is not None
    }
    try:
        body: dict[str, Any] = {"sector_id": sector_id, **options}
        return dict(api.call("POST", AUTO_CLUSTER, body)), f"sector {sector_id}"
    except ApiError as exc:
        if not _wants_ids(exc):
            raise
    # FALLBACK for an API that takes only {"ids", "sector_id"} (remove once every deployment takes
    # the selection form). All ids in one request: the prompt strategy cannot be split into chunks.
    if options:
        info("note: this API takes only keyword ids: --strategy/--threshold are not applied")
    ids = sorted(set(imported.ids.values()))
    body = {"ids": ids, "sector_id": sector_id}
    return dict(api.call("POST", AUTO_CLUSTER, body)), f"{len(ids)} keyword ids"


def _wants_ids(exc: ApiError) -> bool:
    return exc.status == 422 and any(
        e.get("field") == "ids" and "required" in str(e.get("message", "")).lower() for e in exc.errors
    )


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


def main() -> None:
    cli()
