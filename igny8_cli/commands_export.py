"""``igny8 export`` and ``igny8 report``: the API's exports and report saved as files.

- ``GET /v1/export/keywords?format=csv|xlsx`` -> ``keywords.csv`` / ``keywords.xlsx`` (pages, if the
  API pages them, follow the ``X-Next-After`` header with ``after``; CSV pages are joined under one
  header row);
- ``GET /v1/export/ideas?format=md`` -> ``ideas.md``;
- ``GET /v1/export/content/<task_id>?format=html|md`` -> ``articles/<file>.html`` and ``.md`` (the
  name the API gives in ``Content-Disposition``, else ``<task id>-<title slug>``);
- ``GET /v1/report`` -> ``report.html``.
"""

from __future__ import annotations

import email.message
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import click

from igny8_cli.client import Api, Reply
from igny8_cli.target import Target, ids_option

FORMATS = ("csv", "xlsx", "md", "html")
#: What each format asks for (``Accept``): API Gateway answers binary XLSX only when asked for it.
MEDIA = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "md": "text/markdown",
    "html": "text/html",
}
NEXT_HEADER = "x-next-after"
MAX_PAGES = 10_000


def parse_formats(value: str) -> list[str]:
    """``csv,md`` -> ``["csv", "md"]``; an unknown name is a usage error naming the choices."""
    chosen = [part.strip().lower() for part in value.split(",") if part.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(
            f"{', '.join(unknown) or 'nothing'}: choose from {', '.join(FORMATS)} (comma-separated)",
            param_hint="--format",
        )
    return list(dict.fromkeys(chosen))


def fetch_pages(api: Api, path: str, query: dict[str, str]) -> list[Reply]:
    """Every page of an export: the first, then ``after=<X-Next-After>`` until the header is absent."""
    params = dict(query)
    replies: list[Reply] = []
    seen: set[str] = set()
    while len(replies) < MAX_PAGES:
        reply = api.fetch("GET", path, query=params, accept=MEDIA.get(params.get("format", ""), "*/*"))
        replies.append(reply)
        cursor = reply.headers.get(NEXT_HEADER, "").strip()
        if not cursor or cursor in seen:
            break
        seen.add(cursor)
        params["after"] = cursor
    return replies


def as_text(reply: Reply, what: str) -> str:
    if isinstance(reply.body, str):
        return reply.body
    if isinstance(reply.body, bytes):
        return reply.body.decode("utf-8", "replace")
    raise click.ClickException(
        f"{what}: the API answered JSON, not a file (is this API older than the export routes?)"
    )


def join_pages(pages: Sequence[str]) -> str:
    """Text pages as one file: a first line a later page repeats (the CSV header row, the Markdown
    title) is kept once."""
    if not pages:
        return ""
    first = pages[0]
    header = first.splitlines()[0] if first else ""
    parts = [first]
    for page in pages[1:]:
        lines = page.splitlines(keepends=True)
        if lines and header and lines[0].rstrip("\r\n") == header:
            lines = lines[1:]
        parts.append("".join(lines))
    return "".join(p if p.endswith("\n") or not p else p + "\n" for p in parts)


def write_file(path: Path, data: str | bytes) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8", newline="")
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot write ({exc.strerror or exc})") from None
    return path


def attachment_name(reply: Reply) -> str | None:
    """The file name of ``Content-Disposition: attachment; filename=...``, reduced to a safe base name."""
    header = reply.headers.get("content-disposition")
    if not header:
        return None
    message = email.message.Message()
    message["content-disposition"] = header
    name = message.get_filename()
    if not name:
        return None
    base = Path(name.replace("\\", "/")).name
    return base if base not in ("", ".", "..") else None


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].rstrip("-") or "article"


def save_keywords(api: Api, out: Path, fmt: str, scope: dict[str, str]) -> list[Path]:
    replies = fetch_pages(api, "/v1/export/keywords", {**scope, "format": fmt})
    if fmt == "csv":
        return [write_file(out / "keywords.csv", join_pages([as_text(r, "keywords.csv") for r in replies]))]
    saved = []
    for number, reply in enumerate(replies, start=1):
        if not isinstance(reply.body, bytes):
            raise click.ClickException("keywords.xlsx: the API did not answer with a workbook")
        name = "keywords.xlsx" if number == 1 else f"keywords-{number}.xlsx"  # a workbook per page
        saved.append(write_file(out / name, reply.body))
    return saved


def save_ideas(api: Api, out: Path, cluster_ids: Sequence[int] | None = None) -> Path:
    """ideas.md: every idea of the account, or a section per cluster of ``cluster_ids``."""
    scopes = [{"cluster_id": str(c)} for c in cluster_ids] if cluster_ids else [{}]
    sections = []
    for scope in scopes:
        replies = fetch_pages(api, "/v1/export/ideas", {**scope, "format": "md"})
        sections.append(join_pages([as_text(r, "ideas.md") for r in replies]).rstrip("\n") + "\n")
    return write_file(out / "ideas.md", "\n".join(sections))


def article_ids(api: Api) -> list[int]:
    """The task ids of every article of the account."""
    return [int(c["task_id"]) for c in api.pages("/v1/writer/content/")]


def save_article(api: Api, out: Path, task_id: int, fmt: str) -> Path:
    """``articles/<file>.<fmt>`` of one task's article (``fmt``: html or md)."""
    reply = api.fetch("GET", f"/v1/export/content/{task_id}", query={"format": fmt}, accept=MEDIA[fmt])
    name = attachment_name(reply) or f"{task_id:04d}-article.{fmt}"
    if not name.endswith(f".{fmt}"):
        name = f"{Path(name).stem}.{fmt}"
    return write_file(out / "articles" / name, as_text(reply, name))


def save_articles(api: Api, out: Path, task_ids: Iterable[int], formats: Sequence[str]) -> list[Path]:
    """The articles of ``task_ids`` in the article formats among ``formats`` (html, md)."""
    kinds = [f for f in ("html", "md") if f in formats]
    return [save_article(api, out, task_id, fmt) for task_id in task_ids for fmt in kinds]


def save_tables(
    api: Api,
    out: Path,
    formats: Sequence[str],
    keyword_scope: dict[str, str] | None = None,
    idea_clusters: Sequence[int] | None = None,
) -> list[Path]:
    """keywords.csv / keywords.xlsx (of ``keyword_scope``: site_id, sector_id) and ideas.md (of
    ``idea_clusters``), as ``formats`` ask; all of the account by default."""
    saved: list[Path] = []
    for fmt in [f for f in ("csv", "xlsx") if f in formats]:
        saved.extend(save_keywords(api, out, fmt, dict(keyword_scope or {})))
    if "md" in formats:
        saved.append(save_ideas(api, out, idea_clusters))
    return saved


def save_report(api: Api, path: Path) -> Path:
    reply = api.fetch("GET", "/v1/report", accept=MEDIA["html"])
    return write_file(path, as_text(reply, path.name))


def output_folder(value: str) -> Path:
    out = Path(value)
    if out.exists() and not out.is_dir():
        raise click.ClickException(f"{value}: is a file; --out takes a folder")
    return out


def describe_saved(out: Path, saved: Sequence[Path]) -> None:
    for path in saved:
        click.echo(f"  {path} ({path.stat().st_size:,} bytes)")
    if not saved:
        click.echo(f"  nothing to save in {out}")


# ---------------------------------------------------------------- export
@click.command("export", short_help="Save the keyword, idea and article exports into a folder.")
@click.option("--out", "out", required=True, metavar="DIR", help="The folder (created if missing).")
@click.option(
    "--format",
    "formats",
    default=",".join(FORMATS),
    show_default=True,
    metavar="LIST",
    help="Comma-separated: csv (keywords.csv), xlsx (keywords.xlsx), md (ideas.md, articles/*.md), "
    "html (articles/*.html).",
)
@click.option(
    "--task", "tasks", type=int, multiple=True, metavar="ID", help="Only this task's article (repeat)."
)
@click.pass_obj
def export_command(target: Target, out: str, formats: str, tasks: tuple[int, ...]) -> None:
    """Save the exports of the account into DIR: keywords.csv and keywords.xlsx (every keyword with
    its cluster), ideas.md (the content ideas with outlines), and articles/<file>.html and .md
    (every article, or those of --task).
    """
    chosen = parse_formats(formats)
    folder = output_folder(out)
    with target.connect(needs_saved_data=True) as api:
        saved = save_tables(api, folder, chosen)
        saved.extend(save_articles(api, folder, ids_option(tasks) or article_ids(api), chosen))
    click.echo(f"Saved {len(saved)} file(s) in {folder}:")
    describe_saved(folder, saved)


# ---------------------------------------------------------------- report
@click.command("report", short_help="Save the account's HTML report.")
@click.option(
    "--out", "out", default="report.html", show_default=True, metavar="FILE", help="Where to save the report."
)
@click.pass_obj
def report_command(target: Target, out: str) -> None:
    """Save the account's report (GET /v1/report: keywords, clusters, ideas, articles, jobs and
    their cost) as one HTML page.
    """
    path = Path(out)
    if path.is_dir():
        raise click.ClickException(f"{out}: is a folder; give a file name such as report.html")
    if not path.parent.exists():
        raise click.ClickException(f"{out}: folder {path.parent} does not exist")
    with target.connect(needs_saved_data=True) as api:
        save_report(api, path)
    click.echo(f"Saved {path} ({path.stat().st_size:,} bytes)")
