"""Exports of an account's content plan, as files a person opens elsewhere.

- ``keywords_csv`` / ``keywords_xlsx``: one row per keyword (keyword, volume, difficulty, intent,
  cluster, pillar) of the account, a site or a sector; the XLSX has a sheet per level (Pillars,
  Clusters, Keywords).
- ``ideas_markdown``: the ideas (of one cluster) as Markdown briefs: title, structure and type,
  target keywords, outline headings, estimated words.
- ``article_html`` / ``article_markdown``: one article as a stand-alone HTML page, or as Markdown
  with YAML front matter (title, meta_title, meta_description, slug, tags, categories,
  primary_keyword) for static-site generators.
- ``csv_text``: rows of dicts as CSV (the API's ``Accept: text/csv`` on list routes uses it).

Every read is a Query on the account (or one of its indexes) or a BatchGet of its keys. A Lambda
response is at most 6 MB, so the keyword and idea exports stop at a size budget and return the
id to continue after (``Export.next_after``; the API's ``after`` parameter and ``X-Next-After``
header). Spreadsheet cells that start like a formula (``=``, ``+``, ``-``, ``@``) are prefixed
with ``'`` in CSV, and written as text cells in XLSX, so opening an export runs nothing.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from shared.db.models import Cluster, Content, ContentIdea, Keyword
from shared.db.repo import batch_get, get_one
from shared.domain.outline import one_line, parse_outline, split_list
from shared.errors import NotFound
from shared.services.content_plan import article_document, get_content, list_ideas
from shared.services.sites import check_scope

CSV_TYPE = "text/csv; charset=utf-8"
MARKDOWN_TYPE = "text/markdown; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Size of a text export's body as the Lambda response carries it (JSON-escaped), leaving room
#: for headers under Lambda's 6 MB response limit.
TEXT_BUDGET = 5 * 1024 * 1024
#: Characters of cell text per XLSX page: zipped and base64-encoded it stays well under 6 MB
#: even for text that compresses badly (base64 adds a third, XML and zip headers a little).
XLSX_BUDGET = 2_500_000
KEYWORD_COLUMNS = ("keyword", "volume", "difficulty", "intent", "cluster", "pillar")
CLUSTER_COLUMNS = ("cluster", "pillar", "keywords", "volume", "status", "description")
PILLAR_COLUMNS = ("pillar", "clusters", "keywords", "volume")
NO_PILLAR = ""
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_KEYWORD_FIELDS = [
    "account_id", "id", "keyword", "seed_volume", "seed_difficulty", "volume_override",
    "difficulty_override", "intent", "cluster_id", "site_id", "sector_id",
]  # fmt: skip
_CLUSTER_FIELDS = [
    "account_id", "id", "name", "description", "keywords_count", "volume", "status", "pillar_id",
    "site_id", "sector_id",
]  # fmt: skip
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


@dataclass(frozen=True)
class Export:
    """A file: its body, media type and name, and the id to continue after (None: complete)."""

    body: str | bytes
    media_type: str
    filename: str
    next_after: int | None = None


# ---------------------------------------------------------------- reads
def account_clusters(account_id: str) -> dict[int, Cluster]:
    """Every cluster of the account by id (one Query; centroids and samples left out)."""
    return {int(c.id): c for c in Cluster.query(account_id, attributes_to_get=_CLUSTER_FIELDS)}


def account_keywords(
    account_id: str, site_id: int | None = None, sector_id: int | None = None, after: int | None = None
) -> Iterator[Keyword]:
    """The keywords of the account, a site or a sector, by id, after ``after`` (a lazy Query;
    embeddings are not read)."""
    after_id = Keyword.id > after if after is not None else None
    if sector_id is not None:
        return Keyword.by_sector.query(
            f"{account_id}#{sector_id}", range_key_condition=after_id, attributes_to_get=_KEYWORD_FIELDS
        )
    if site_id is not None:
        return Keyword.by_site.query(
            f"{account_id}#{site_id}", range_key_condition=after_id, attributes_to_get=_KEYWORD_FIELDS
        )
    return Keyword.query(account_id, range_key_condition=after_id, attributes_to_get=_KEYWORD_FIELDS)


def pillar_name(cluster: Cluster | None, clusters: dict[int, Cluster]) -> str:
    """The name of the cluster's pillar (its hub cluster), or "" for a cluster without a pillar."""
    if cluster is None or cluster.pillar_id is None:
        return NO_PILLAR
    hub = clusters.get(int(cluster.pillar_id))
    return hub.name if hub is not None else f"Pillar {int(cluster.pillar_id)}"


def _in_scope(cluster: Cluster, site_id: int | None, sector_id: int | None) -> bool:
    site_ok = site_id is None or cluster.site_id == site_id
    return site_ok and (sector_id is None or cluster.sector_id == sector_id)


# ---------------------------------------------------------------- CSV
def csv_cell(value: Any) -> str:
    """A value as one CSV cell: lists joined with ", ", objects as JSON, formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, list | tuple) and all(not isinstance(v, dict | list) for v in value):
        value = ", ".join(csv_cell(v) for v in value)
    elif isinstance(value, dict | list | tuple):
        value = json.dumps(value, ensure_ascii=False, default=str)
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def csv_text(rows: Iterable[dict[str, Any]], columns: Iterable[str] | None = None) -> str:
    """Rows as CSV with a header line; the columns are ``columns`` or every key, in first-seen order."""
    rows = list(rows)
    names = list(columns) if columns is not None else list(dict.fromkeys(k for r in rows for k in r))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(names)
    writer.writerows([csv_cell(row.get(name)) for name in names] for row in rows)
    return buffer.getvalue()


def _line(values: Iterable[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([csv_cell(v) for v in values])
    return buffer.getvalue()


def _encoded_size(text: str) -> int:
    """Bytes ``text`` takes in the Lambda response's JSON."""
    return len(json.dumps(text)) - 2


def keyword_rows(
    account_id: str, site_id: int | None, sector_id: int | None, after: int | None, budget: int
) -> tuple[list[list[Any]], int | None, dict[int, Cluster]]:
    """Rows of KEYWORD_COLUMNS up to ``budget`` characters of CSV, the last id if more remain, and
    the account's clusters."""
    clusters = account_clusters(account_id)
    rows: list[list[Any]] = []
    used = 0
    last_id: int | None = None
    for keyword in account_keywords(account_id, site_id, sector_id, after):
        cluster = clusters.get(int(keyword.cluster_id)) if keyword.cluster_id is not None else None
        row = [
            keyword.keyword,
            keyword.volume,
            keyword.difficulty,
            keyword.intent,
            cluster.name if cluster is not None else "",
            pillar_name(cluster, clusters),
        ]
        used += _encoded_size(_line(row))
        if used > budget and rows:
            return rows, last_id, clusters
        rows.append(row)
        last_id = int(keyword.id)
    return rows, None, clusters


def keywords_csv(
    account_id: str, site_id: int | None = None, sector_id: int | None = None, after: int | None = None
) -> Export:
    check_scope(account_id, site_id, sector_id)
    rows, next_after, _ = keyword_rows(account_id, site_id, sector_id, after, TEXT_BUDGET)
    body = _line(KEYWORD_COLUMNS) + "".join(_line(row) for row in rows)
    return Export(body, CSV_TYPE, "keywords.csv", next_after)


# ---------------------------------------------------------------- XLSX
def workbook_bytes(sheets: Iterable[tuple[str, Iterable[str], Iterable[Iterable[Any]]]]) -> bytes:
    """An XLSX file of (title, header, rows) sheets; every string is a text cell, never a formula.

    openpyxl is imported here, not at the top: it imports numpy when numpy is installed (~250 ms
    together), which only an XLSX export should pay, not every API cold start.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    for title, columns, values in sheets:
        sheet = workbook.create_sheet(title)
        for row in itertools.chain([columns], values):
            cells = []
            for value in row:
                if isinstance(value, str):
                    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
                    cell.data_type = "s"
                else:
                    cell = WriteOnlyCell(sheet, value=value)
                cells.append(cell)
            sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def keywords_xlsx(
    account_id: str, site_id: int | None = None, sector_id: int | None = None, after: int | None = None
) -> Export:
    """Sheets Pillars, Clusters (of the scope, on every page) and Keywords (this page's rows)."""
    check_scope(account_id, site_id, sector_id)
    rows, next_after, clusters = keyword_rows(account_id, site_id, sector_id, after, XLSX_BUDGET)
    scoped = [c for c in clusters.values() if _in_scope(c, site_id, sector_id)]
    pillars: dict[str, list[Cluster]] = {}
    for cluster in scoped:
        name = pillar_name(cluster, clusters)
        if name:
            pillars.setdefault(name, []).append(cluster)
    sheets: list[tuple[str, tuple[str, ...], list[list[Any]]]] = [
        (
            "Pillars",
            PILLAR_COLUMNS,
            [
                [name, len(members), sum(int(c.keywords_count or 0) for c in members)]
                + [sum(int(c.volume or 0) for c in members)]
                for name, members in sorted(pillars.items())
            ],
        ),
        (
            "Clusters",
            CLUSTER_COLUMNS,
            [
                [c.name, pillar_name(c, clusters), int(c.keywords_count or 0), int(c.volume or 0)]
                + [c.status or "", c.description or ""]
                for c in sorted(scoped, key=lambda c: int(c.id))
            ],
        ),
        ("Keywords", KEYWORD_COLUMNS, rows),
    ]
    return Export(workbook_bytes(sheets), XLSX_TYPE, "keywords.xlsx", next_after)


# ---------------------------------------------------------------- Markdown
def md_text(value: Any) -> str:
    """User text as one line of Markdown that renders as itself (markup characters escaped)."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(value))


def _label(value: str | None) -> str:
    return md_text((value or "").replace("_", " "))


def idea_brief(idea: ContentIdea, cluster_name: str) -> str:
    """One idea as a Markdown brief (a level-2 heading and what a writer needs)."""
    lines = [f"## {md_text(idea.idea_title or f'Idea {idea.id}')}", ""]
    lines.append(f"- **Idea:** {int(idea.id)}")
    if cluster_name:
        lines.append(f"- **Cluster:** {md_text(cluster_name)}")
    lines.append(f"- **Structure:** {_label(idea.content_structure)} · **Type:** {_label(idea.content_type)}")
    keywords = ", ".join(md_text(k) for k in split_list(idea.target_keywords))
    lines.append(f"- **Target keywords:** {keywords or '—'}")
    lines.append(f"- **Estimated words:** {int(idea.estimated_word_count or 0)}")
    lines.append(f"- **Status:** {md_text(idea.status)}")
    outline = parse_outline(idea.description)
    lines += ["", "### Outline", ""]
    if outline.introduction:
        lines += [f"*Introduction:* {md_text(outline.introduction)}", ""]
    for section in outline.sections:
        if section.heading:
            lines += [f"#### {md_text(section.heading)}", ""]
        for block in section.blocks:
            kind = f" ({md_text(block.content_type)})" if block.content_type else ""
            title = f"**{md_text(block.subheading)}**{kind}" if block.subheading else kind.strip()
            detail = md_text(block.details)
            lines.append(f"- {title}: {detail}" if title and detail else f"- {title or detail}")
        if section.blocks:
            lines.append("")
    if outline.conclusion:
        lines += [f"*Conclusion:* {md_text(outline.conclusion)}", ""]
    if outline.text:
        lines += [md_text(outline.text), ""]
    return "\n".join(lines).rstrip() + "\n"


def ideas_markdown(account_id: str, cluster_id: int | None = None, after: int | None = None) -> Export:
    """The ideas (of one cluster) as briefs, by id, up to the size budget."""
    title = "Content ideas"
    if cluster_id is not None:
        cluster = get_one(Cluster, account_id, cluster_id)
        if cluster is None:
            raise NotFound(f"cluster {cluster_id} not found")
        title = f"Content ideas: {md_text(cluster.name)}"
    parts = [f"# {title}\n"]
    used = _encoded_size(parts[0])
    names: dict[int, str] = {}
    cursor = after
    while True:
        ideas, page_next = list_ideas(account_id, cluster_id=cluster_id, limit=100, after=cursor)
        wanted = {int(i.keyword_cluster_id) for i in ideas if i.keyword_cluster_id is not None} - set(names)
        names.update({int(c.id): c.name for c in batch_get(Cluster, account_id, sorted(wanted))})
        for idea in ideas:
            cid = idea.keyword_cluster_id
            brief = idea_brief(idea, names.get(int(cid), "") if cid is not None else "")
            used += _encoded_size(brief) + 1
            if used > TEXT_BUDGET and len(parts) > 1:
                return Export("\n".join(parts), MARKDOWN_TYPE, "ideas.md", cursor)
            parts.append(brief)
            cursor = int(idea.id)
        if page_next is None:
            break
    if len(parts) == 1:
        parts.append("No ideas yet.\n")
    return Export("\n".join(parts), MARKDOWN_TYPE, "ideas.md", None)


# ---------------------------------------------------------------- articles
class _FrontMatterDumper(yaml.SafeDumper):
    """YAML whose string values are always double-quoted (a colon or quote in a title is safe)."""


class _Key(str):
    """A front-matter key: written plain."""


def _quoted(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')


def _plain(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value))


_FrontMatterDumper.add_representer(str, _quoted)
_FrontMatterDumper.add_representer(_Key, _plain)


def front_matter(fields: dict[str, Any]) -> str:
    """``---`` YAML ``---``: keys plain, every string double-quoted, lists as block sequences."""
    text = yaml.dump(
        {_Key(k): v for k, v in fields.items()},
        Dumper=_FrontMatterDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
    )
    return f"---\n{text}---\n"


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80].rstrip("-")


def _article_title(content: Content) -> str:
    return content.title or content.meta_title or f"Article {int(content.task_id)}"


def article_markdown_text(content: Content) -> str:
    """The article as Markdown with front matter (the body converted from its sanitised HTML)."""
    title = _article_title(content)
    given_slug = (content.metadata or {}).get("slug")
    slug = slugify(given_slug if isinstance(given_slug, str) else "") or slugify(title)
    fields = {
        "title": title,
        "meta_title": content.meta_title or title,
        "meta_description": content.meta_description or "",
        "slug": slug or f"article-{int(content.task_id)}",
        "tags": split_list(content.tags),
        "categories": split_list(content.categories),
        "primary_keyword": content.primary_keyword or "",
    }
    # markdownify (and BeautifulSoup under it, ~75 ms of import) only for a Markdown export.
    from markdownify import markdownify

    body = markdownify(content.html_content or "", heading_style="ATX", bullets="-").strip()
    return f"{front_matter(fields)}\n{body}\n"


def _article_stem(content: Content) -> str:
    return f"{int(content.task_id):04d}-{slugify(_article_title(content)) or 'article'}"


def article_html(account_id: str, task_id: int) -> Export:
    content = get_content(account_id, task_id)
    return Export(article_document(content), HTML_TYPE, f"{_article_stem(content)}.html")


def article_markdown(account_id: str, task_id: int) -> Export:
    content = get_content(account_id, task_id)
    return Export(article_markdown_text(content), MARKDOWN_TYPE, f"{_article_stem(content)}.md")
