"""The content-plan report: one self-contained HTML page of an account's plan.

``report_html(account_id)`` gives a page with no external URL (no CDN, no font, no script
source: it works offline and from a file): a treemap of pillars -> clusters sized by search
volume (inline SVG, laid out here with the squarified algorithm of ``treemap.py``), the cluster
table (keywords, volume, average difficulty, ideas, article status) and the job history with
tokens and cost (the newest ``JOBS_SHOWN`` jobs, through the jobs' newest-first index). Every
user text (names, messages) is HTML-escaped.

Reads: one Query each on the account's clusters, keywords, ideas, writer tasks and articles
(only the attributes the page needs), and one on the jobs' ``by_created`` index.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field

from shared.db.base import iso_now
from shared.db.models import Cluster, Content, ContentIdea, Job, Keyword, WriterTask
from shared.db.repo import get_account
from shared.services.exports import account_clusters, pillar_name
from shared.services.treemap import Rect, squarify

JOBS_SHOWN = 100
#: The page stays far under Lambda's 6 MB response: the treemap draws the largest clusters (more
#: would be unreadable), the table lists at most this many (the keyword export has them all).
TREEMAP_MAX = 400
TABLE_MAX = 3000
ARTICLES_MAX = 1000
WIDTH, HEIGHT = 1000, 560
NO_PILLAR_LABEL = "No pillar"
#: Pillar hues; a pillar's clusters share its hue, in alternating lightness.
HUES = (211, 152, 28, 276, 350, 188, 322, 96, 46, 244)
_JOB_FIELDS = [
    "account_id", "task_id", "function_name", "status", "phase", "message", "error", "items_total",
    "items_done", "items_failed", "input_tokens", "output_tokens", "cost", "credits", "model",
    "offline", "created_at",
]  # fmt: skip


@dataclass
class ClusterLine:
    """One cluster's row of the report."""

    cluster: Cluster
    pillar: str
    keywords: int = 0
    difficulty_total: int = 0
    ideas: int = 0
    articles: Counter[str] = field(default_factory=Counter)  # article status -> count
    tasks: Counter[str] = field(default_factory=Counter)  # writer task status -> count

    @property
    def volume(self) -> int:
        return int(self.cluster.volume or 0)

    @property
    def difficulty(self) -> int | None:
        return round(self.difficulty_total / self.keywords) if self.keywords else None

    @property
    def article_status(self) -> str:
        """ "2 written (1 draft, 1 published), 1 queued, 1 failed", or "—"."""
        parts = []
        written = sum(self.articles.values())
        if written:
            detail = ", ".join(f"{n} {s}" for s, n in sorted(self.articles.items()))
            parts.append(f"{written} written ({detail})")
        for status in ("queued", "failed"):
            if self.tasks.get(status):
                parts.append(f"{self.tasks[status]} {status}")
        return ", ".join(parts) or "—"


@dataclass
class ArticleLine:
    """One article's row: its on-page checks and the internal links it holds."""

    task_id: int
    title: str
    cluster: str
    status: str
    score: int | None
    failing: list[str]
    url: str | None
    links: list[str]


@dataclass
class PlanReport:
    account_name: str
    generated_at: str
    lines: list[ClusterLine]
    jobs: list[Job]
    keywords_total: int = 0
    ideas_total: int = 0
    articles: list[ArticleLine] = field(default_factory=list)


def gather(account_id: str) -> PlanReport:
    """Everything the page shows, read with Queries on the account."""
    account = get_account(account_id)
    clusters = account_clusters(account_id)
    lines = {cid: ClusterLine(c, pillar_name(c, clusters)) for cid, c in clusters.items()}
    keywords = ideas = 0
    fields = ["account_id", "id", "cluster_id", "seed_difficulty", "difficulty_override"]
    for keyword in Keyword.query(account_id, attributes_to_get=fields):
        keywords += 1
        line = lines.get(int(keyword.cluster_id)) if keyword.cluster_id is not None else None
        if line is not None:
            line.keywords += 1
            line.difficulty_total += keyword.difficulty
    for idea in ContentIdea.query(account_id, attributes_to_get=["account_id", "id", "keyword_cluster_id"]):
        ideas += 1
        if idea.keyword_cluster_id is not None and int(idea.keyword_cluster_id) in lines:
            lines[int(idea.keyword_cluster_id)].ideas += 1
    for task in WriterTask.query(account_id, attributes_to_get=["account_id", "id", "cluster_id", "status"]):
        if task.cluster_id is not None and int(task.cluster_id) in lines:
            lines[int(task.cluster_id)].tasks[task.status or "queued"] += 1
    content_fields = ["account_id", "task_id", "cluster_id", "status", "title", "seo", "url", "links"]
    articles: list[ArticleLine] = []
    for content in Content.query(account_id, attributes_to_get=content_fields):
        line = lines.get(int(content.cluster_id)) if content.cluster_id is not None else None
        if line is not None:
            line.articles[content.status or "draft"] += 1
        if len(articles) < ARTICLES_MAX:
            seo = dict(content.seo or {})
            articles.append(
                ArticleLine(
                    task_id=int(content.task_id),
                    title=content.title or f"Article {int(content.task_id)}",
                    cluster=line.cluster.name if line is not None else "",
                    status=content.status or "draft",
                    score=seo.get("score"),
                    failing=[name for name, ok in (seo.get("checks") or {}).items() if not ok],
                    url=content.url,
                    links=[str(link.get("url")) for link in content.links or []],
                )
            )
    jobs = list(
        Job.by_created.query(
            account_id, scan_index_forward=False, limit=JOBS_SHOWN, attributes_to_get=_JOB_FIELDS
        )
    )
    ordered = sorted(lines.values(), key=lambda line: (line.pillar == "", line.pillar, -line.volume))
    name = account.name if account is not None else account_id
    return PlanReport(name, iso_now(), ordered, jobs, keywords, ideas, articles)


# ---------------------------------------------------------------- the page
def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _n(value: float | int) -> str:
    return f"{int(value):,}"


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: max(1, chars - 1)] + "…"


def _groups(lines: list[ClusterLine]) -> list[tuple[str, list[ClusterLine]]]:
    """Clusters by pillar (clusters without one together), the largest pillar first."""
    groups: dict[str, list[ClusterLine]] = {}
    for line in lines:
        groups.setdefault(line.pillar or NO_PILLAR_LABEL, []).append(line)
    for members in groups.values():
        members.sort(key=lambda line: -line.volume)
    return sorted(groups.items(), key=lambda item: -sum(max(m.volume, 1) for m in item[1]))


def _label(x: float, y: float, text: str, size: int, weight: str = "normal") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-weight="{weight}" '
        f'fill="#fff">{_e(text)}</text>'
    )


def treemap_svg(lines: list[ClusterLine]) -> str:
    """Pillars -> clusters sized by search volume, as an inline SVG (empty state when no cluster)."""
    if not lines:
        return '<p class="empty">No clusters yet: import keywords and run auto_cluster.</p>'
    note = ""
    if len(lines) > TREEMAP_MAX:
        note = f'<p class="meta">The {TREEMAP_MAX} largest of {len(lines):,} clusters are drawn.</p>'
        lines = sorted(lines, key=lambda line: -line.volume)[:TREEMAP_MAX]
    groups = _groups(lines)
    outer = squarify([sum(max(m.volume, 1) for m in g) for _, g in groups], Rect(0, 0, WIDTH, HEIGHT))
    parts = [
        f'<svg class="treemap" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        'role="img" aria-label="Treemap of pillars and clusters by search volume">'
    ]
    for index, ((name, members), box) in enumerate(zip(groups, outer, strict=True)):
        hue = HUES[index % len(HUES)]
        box = box.inset(1, 1, 1, 1)
        volume = sum(m.volume for m in members)
        headed = box.h > 44 and box.w > 60
        parts.append(f'<g class="pillar" data-pillar="{_e(name)}">')
        parts.append(
            f'<rect class="pillar-box" x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" '
            f'height="{box.h:.1f}" fill="hsl({hue} 45% 30%)"><title>{_e(name)}: '
            f"{_n(volume)} searches, {len(members)} cluster(s)</title></rect>"
        )
        if headed:
            parts.append(_label(box.x + 6, box.y + 14, _clip(name, int(box.w / 7.5)), 12, "bold"))
        inner = box.inset(2, 20 if headed else 2, 2, 2)
        for position, (member, cell) in enumerate(
            zip(members, squarify([max(m.volume, 1) for m in members], inner), strict=True)
        ):
            cell = cell.inset(1, 1, 1, 1)
            light = 44 + (position % 3) * 6
            tip = f"{member.cluster.name}: {_n(member.volume)} searches, {member.keywords} keyword(s)"
            parts.append(
                f'<rect class="cluster" data-cluster-id="{int(member.cluster.id)}" x="{cell.x:.1f}" '
                f'y="{cell.y:.1f}" width="{cell.w:.1f}" height="{cell.h:.1f}" '
                f'fill="hsl({hue} 55% {light}%)"><title>{_e(tip)}</title></rect>'
            )
            if cell.w > 48 and cell.h > 22:
                parts.append(
                    _label(cell.x + 4, cell.y + 14, _clip(member.cluster.name, int(cell.w / 6.5)), 11)
                )
                if cell.h > 38:
                    parts.append(_label(cell.x + 4, cell.y + 28, _n(member.volume), 10))
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts) + note


def _cluster_table(lines: list[ClusterLine]) -> str:
    rows = [
        "<tr>"
        f'<td class="name">{_e(line.cluster.name)}</td><td>{_e(line.pillar or "—")}</td>'
        f'<td class="num">{_n(line.keywords)}</td><td class="num">{_n(line.volume)}</td>'
        f'<td class="num">{_e(line.difficulty if line.difficulty is not None else "—")}</td>'
        f'<td class="num">{_n(line.ideas)}</td><td>{_e(line.article_status)}</td>'
        "</tr>"
        for line in lines[:TABLE_MAX]
    ]
    if len(lines) > TABLE_MAX:
        more = f"{len(lines) - TABLE_MAX:,} more cluster(s): the keyword export lists them all"
        rows.append(f'<tr><td colspan="7" class="empty">{more}</td></tr>')
    head = (
        "<tr><th>Cluster</th><th>Pillar</th><th>Keywords</th><th>Volume</th>"
        "<th>Difficulty</th><th>Ideas</th><th>Articles</th></tr>"
    )
    body = "".join(rows) or '<tr><td colspan="7" class="empty">No clusters yet.</td></tr>'
    return f'<table id="clusters"><thead>{head}</thead><tbody>{body}</tbody></table>'


def _job_table(jobs: list[Job]) -> str:
    rows = []
    for job in jobs:
        items = f"{int(job.items_done or 0)}/{int(job.items_total or 0)}"
        if job.items_failed:
            items += f" ({int(job.items_failed)} failed)"
        note = job.error if job.status == "failed" and job.error else job.message
        model = f"{job.model or '—'}{' (offline)' if job.offline else ''}"
        rows.append(
            "<tr>"
            f"<td>{_e((job.created_at or '')[:19].replace('T', ' '))}</td><td>{_e(job.function_name)}</td>"
            f'<td class="status-{_e(job.status)}">{_e(job.status)}</td><td>{_e(items)}</td>'
            f'<td class="num">{_n(job.input_tokens or 0)}</td><td class="num">{_n(job.output_tokens or 0)}</td>'
            f'<td class="num">${float(job.cost or 0):.4f}</td><td class="num">{_n(job.credits or 0)}</td>'
            f"<td>{_e(model)}</td><td>{_e(note or '')}</td>"
            "</tr>"
        )
    head = (
        "<tr><th>Created (UTC)</th><th>Function</th><th>Status</th><th>Items</th><th>Input tokens</th>"
        "<th>Output tokens</th><th>Cost</th><th>Credits</th><th>Model</th><th>Message</th></tr>"
    )
    total_in = sum(int(j.input_tokens or 0) for j in jobs)
    total_out = sum(int(j.output_tokens or 0) for j in jobs)
    cost = sum(float(j.cost or 0) for j in jobs)
    foot = (
        f'<tr><th colspan="4">Total ({len(jobs)} job(s))</th><td class="num">{_n(total_in)}</td>'
        f'<td class="num">{_n(total_out)}</td><td class="num">${cost:.4f}</td><td colspan="3"></td></tr>'
    )
    body = "".join(rows) or '<tr><td colspan="10" class="empty">No jobs yet.</td></tr>'
    return f'<table id="jobs"><thead>{head}</thead><tbody>{body}</tbody><tfoot>{foot}</tfoot></table>'


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;
max-width:1060px;padding:0 16px;color:#1d2733;background:#f7f8fa}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px}
.meta{color:#5b6775;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:8px 12px;flex:1 1 0;min-width:96px}
.card b{display:block;font-size:18px}.card span{color:#5b6775;font-size:12px}
svg.treemap{display:block;max-width:100%;height:auto;background:#fff;border:1px solid #dde2e8}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border:1px solid #dde2e8;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5}td.num{text-align:right;white-space:nowrap}
.status-failed{color:#b3261e;font-weight:600}.status-completed{color:#1e7b34}
.empty{color:#5b6775;font-style:italic}
"""


def _article_table(articles: list[ArticleLine]) -> str:
    """Each article's status, on-page score and failing checks, and the articles it links to:
    the link map of every cluster, as rows."""
    if not articles:
        return '<p class="empty">No articles yet.</p>'
    titles = {a.url: a.title for a in articles if a.url}
    head = "".join(
        f"<th>{h}</th>"
        for h in ("Article", "Cluster", "Status", "On-page score", "Failing checks", "Links to")
    )
    rows = []
    for a in sorted(articles, key=lambda a: (a.cluster, a.task_id)):
        linked = ", ".join(_e(titles.get(url, url)) for url in a.links) or "—"
        rows.append(
            f'<tr data-task-id="{a.task_id}"><td class="name">{_e(a.title)}</td><td>{_e(a.cluster)}</td>'
            f'<td class="status-{_e(a.status)}">{_e(a.status)}</td><td class="num">{_e("—" if a.score is None else a.score)}</td>'
            f"<td>{_e(', '.join(a.failing) or '—')}</td><td>{linked}</td></tr>"
        )
    return f'<table id="articles"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def render(report: PlanReport) -> str:
    lines, jobs = report.lines, report.jobs
    pillars = {line.pillar for line in lines if line.pillar}
    articles = sum(sum(line.articles.values()) for line in lines)
    cost = sum(float(j.cost or 0) for j in jobs)
    tokens = sum(int(j.input_tokens or 0) + int(j.output_tokens or 0) for j in jobs)
    cards = [
        ("Pillars", _n(len(pillars))),
        ("Clusters", _n(len(lines))),
        ("Keywords", _n(report.keywords_total)),
        ("Search volume", _n(sum(line.volume for line in lines))),
        ("Ideas", _n(report.ideas_total)),
        ("Articles", _n(articles)),
        ("AI tokens", _n(tokens)),
        ("AI cost", f"${cost:.4f}"),
    ]
    card_html = "".join(f'<div class="card"><b>{_e(v)}</b><span>{_e(k)}</span></div>' for k, v in cards)
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Content plan: {_e(report.account_name)}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>Content plan: {_e(report.account_name)}</h1>\n"
        f'<p class="meta">Generated {_e(report.generated_at[:19].replace("T", " "))} UTC by igny8</p>\n'
        f'<div class="cards">{card_html}</div>\n'
        "<h2>Pillars and clusters by search volume</h2>\n"
        f"{treemap_svg(lines)}\n"
        "<h2>Clusters</h2>\n"
        f"{_cluster_table(lines)}\n"
        "<h2>Articles: on-page checks and internal links</h2>\n"
        f"{_article_table(report.articles)}\n"
        f"<h2>Job history (newest {JOBS_SHOWN})</h2>\n"
        f"{_job_table(jobs)}\n"
        "</body>\n</html>\n"
    )


def report_html(account_id: str) -> str:
    """The account's content-plan report as one self-contained HTML page."""
    return render(gather(account_id))
