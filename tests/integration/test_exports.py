"""Exports and the content-plan report, through the API Lambda's handler on the local stack.

The plan is made by real offline jobs (auto_cluster's semantic strategy with the local embedder,
generate_ideas, generate_content); every export is read back the way its user would read it
(csv, openpyxl, yaml.safe_load) and compared with the stored records.
"""

from __future__ import annotations

import base64
import csv
import io
import itertools
import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook

from local_stack.apigw import call_api, proxy_event
from shared.db.models import Cluster, Content, ContentIdea, Job, Keyword, WriterTask
from shared.db.repo import query_account
from shared.domain.outline import parse_outline, split_list
from shared.services.content_plan import article_document, create_tasks_from_ideas
from tests.helpers import add_keywords, api, run_job

pytestmark = pytest.mark.integration

TOPICS = ["espresso machine", "cold brew", "french press", "pour over", "moka pot", "latte art"]
MODIFIERS = [
    "best", "cheap", "review", "price", "guide", "near me", "for beginners", "recipe", "how to use",
    "problems", "buy", "sale", "comparison", "tips", "ideas", "kit", "set", "brands", "online",
    "deal", "top rated", "small", "large", "home", "travel", "electric", "manual", "quiet", "easy",
    "premium", "budget", "strong", "mild", "gift", "accessories", "used", "new", "fast", "uk", "usa",
]  # fmt: skip
#: Keywords of a second sector, left unclustered; two start like spreadsheet formulas.
TEA = [('=HYPERLINK("http://evil.test","tea")', 10), ("+44 tea shop", 20), ("green tea", 30)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Plan:
    account_id: str
    key: str
    site_id: int
    sector_id: int
    tea_sector_id: int
    other_site_id: int
    idea_cluster_ids: list[int]
    task_ids: list[int]
    written: list[int]


@pytest.fixture(scope="module")
def plan(stack) -> Plan:
    from shared.services.accounts import create_account, create_api_key

    account_id = create_account("Export agency", credits=100_000).account_id
    key = create_api_key(account_id)
    _, site = api("POST", "/v1/planner/sites/", key, {"name": "Coffee site"})
    _, other_site = api("POST", "/v1/planner/sites/", key, {"name": "Other site"})
    _, sector = api("POST", "/v1/planner/sectors/", key, {"name": "Coffee", "site_id": site["id"]})
    _, tea = api("POST", "/v1/planner/sectors/", key, {"name": "Tea", "site_id": site["id"]})
    keywords = [
        (f"{m} {t}", 100 + (n * 37) % 900) for n, (t, m) in enumerate(itertools.product(TOPICS, MODIFIERS))
    ]
    add_keywords(account_id, keywords, site_id=site["id"], sector_id=sector["id"])
    add_keywords(account_id, TEA, site_id=site["id"], sector_id=tea["id"])
    job = run_job(stack, account_id, "auto_cluster", {"sector_id": sector["id"], "strategy": "semantic"}, 180)
    assert job.status == "completed", job.error
    clusters = sorted(Cluster.query(account_id), key=lambda c: -int(c.volume))
    assert len({c.pillar_id for c in clusters}) < len(clusters), "some pillar groups several clusters"
    idea_clusters = [int(c.id) for c in clusters[:2]]
    ideas_job = run_job(stack, account_id, "generate_ideas", {"ids": idea_clusters})
    assert ideas_job.status == "completed", ideas_job.error
    ideas = sorted(ContentIdea.query(account_id), key=lambda i: int(i.id))
    tasks = create_tasks_from_ideas(account_id, [int(i.id) for i in ideas[:3]])
    written = [int(t.id) for t in tasks[:2]]
    content_job = run_job(stack, account_id, "generate_content", {"ids": written})
    assert content_job.status == "completed", content_job.error
    return Plan(
        account_id,
        key,
        int(site["id"]),
        int(sector["id"]),
        int(tea["id"]),
        int(other_site["id"]),
        idea_clusters,
        [int(t.id) for t in tasks],
        written,
    )


def get(
    path: str, key: str, query: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """GET through the API handler: status, headers (lower-case names) and the decoded body."""
    response = call_api(
        proxy_event("GET", path, None, {"authorization": f"Bearer {key}", **(headers or {})}, query)
    )
    found = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    found |= {k.lower(): v[0] for k, v in (response.get("multiValueHeaders") or {}).items()}
    body = response.get("body") or ""
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body)
    return int(response["statusCode"]), found, body


def expected_rows(account_id: str, sector_id: int | None = None) -> list[list[str]]:
    """What the keyword export must say, computed from the stored records."""
    clusters = {int(c.id): c for c in query_account(Cluster, account_id)}
    rows = []
    for keyword in sorted(query_account(Keyword, account_id), key=lambda k: int(k.id)):
        if sector_id is not None and keyword.sector_id != sector_id:
            continue
        cluster = clusters.get(int(keyword.cluster_id)) if keyword.cluster_id is not None else None
        pillar = clusters[int(cluster.pillar_id)].name if cluster and cluster.pillar_id is not None else ""
        rows.append(
            [
                keyword.keyword,
                str(keyword.volume),
                str(keyword.difficulty),
                keyword.intent,
                cluster.name if cluster else "",
                pillar,
            ]
        )
    return rows


def unformula(text: str) -> str:
    return text[1:] if text[:2] in ("'=", "'+", "'-", "'@") else text


# ---------------------------------------------------------------- keywords: CSV and XLSX
def test_keywords_csv_matches_the_stored_keywords(plan):
    status, headers, body = get("/v1/export/keywords", plan.key, {"format": "csv"})

    assert status == 200, body
    assert headers["content-type"] == "text/csv; charset=utf-8"
    assert headers["content-disposition"] == 'attachment; filename="keywords.csv"'
    assert "x-next-after" not in headers  # one page holds them all
    header, *rows = list(csv.reader(io.StringIO(body)))
    assert header == ["keyword", "volume", "difficulty", "intent", "cluster", "pillar"]
    assert [[unformula(r[0]), *r[1:]] for r in rows] == expected_rows(plan.account_id)
    assert len(rows) == len(TOPICS) * len(MODIFIERS) + len(TEA)
    clustered = [r for r in rows if r[4]]
    assert clustered and all(r[5] for r in clustered)  # semantic clusters all have a pillar
    # Cells that a spreadsheet would run as a formula are neutralised; the rest is verbatim.
    by_text = {unformula(r[0]): r for r in rows}
    assert by_text[TEA[0][0]][0] == "'" + TEA[0][0] and by_text["+44 tea shop"][0] == "'+44 tea shop"
    assert by_text["green tea"][4:] == ["", ""]

    # One sector: its keywords only.
    status, _, body = get("/v1/export/keywords", plan.key, {"sector_id": str(plan.tea_sector_id)})
    assert status == 200
    rows = list(csv.reader(io.StringIO(body)))[1:]
    assert [[unformula(r[0]), *r[1:]] for r in rows] == expected_rows(plan.account_id, plan.tea_sector_id)
    assert len(rows) == 3


def test_keywords_xlsx_has_a_sheet_per_level(plan):
    status, headers, body = get(
        "/v1/export/keywords", plan.key, {"format": "xlsx", "site_id": str(plan.site_id)}, {"accept": XLSX}
    )

    assert status == 200 and headers["content-type"] == XLSX
    assert headers["content-disposition"] == 'attachment; filename="keywords.xlsx"'
    workbook = load_workbook(io.BytesIO(body), read_only=True)
    assert workbook.sheetnames == ["Pillars", "Clusters", "Keywords"]
    sheets = {
        name: [list(r) for r in workbook[name].iter_rows(values_only=True)] for name in workbook.sheetnames
    }
    keywords = sheets["Keywords"]
    assert keywords[0] == ["keyword", "volume", "difficulty", "intent", "cluster", "pillar"]
    expected = expected_rows(plan.account_id)
    assert [[str(v) if v is not None else "" for v in row] for row in keywords[1:]] == expected
    # A text cell keeps the text exactly, formula-like or not, and is not a formula.
    assert [r[0] for r in keywords[1:] if r[0].startswith("=")] == [TEA[0][0]]

    stored = {int(c.id): c for c in query_account(Cluster, plan.account_id)}
    assert sheets["Clusters"][0] == ["cluster", "pillar", "keywords", "volume", "status", "description"]
    assert sorted((r[0], r[1], r[2], r[3]) for r in sheets["Clusters"][1:]) == sorted(
        (c.name, stored[int(c.pillar_id)].name, int(c.keywords_count), int(c.volume)) for c in stored.values()
    )
    pillars: dict[str, list[Cluster]] = {}
    for cluster in stored.values():
        pillars.setdefault(stored[int(cluster.pillar_id)].name, []).append(cluster)
    assert sheets["Pillars"][0] == ["pillar", "clusters", "keywords", "volume"]
    assert sorted(tuple(r) for r in sheets["Pillars"][1:]) == sorted(
        (name, len(m), sum(int(c.keywords_count) for c in m), sum(int(c.volume) for c in m))
        for name, m in pillars.items()
    )


def test_a_large_keyword_export_comes_in_pages(plan, monkeypatch):
    from shared.services import exports

    monkeypatch.setattr(exports, "TEXT_BUDGET", 2000)
    ids = {k.keyword: int(k.id) for k in query_account(Keyword, plan.account_id)}
    rows: list[list[str]] = []
    after: str | None = None
    pages = 0
    while True:
        query = {"format": "csv", **({"after": after} if after else {})}
        status, headers, body = get("/v1/export/keywords", plan.key, query)
        assert status == 200, body
        page = list(csv.reader(io.StringIO(body)))
        assert page[0][0] == "keyword" and len(page) > 1
        assert len(body) <= 2000 + 60  # the budget, plus the header line
        rows += page[1:]
        pages += 1
        after = headers.get("x-next-after")
        if after is None:
            break
        assert after == str(ids[unformula(page[-1][0])])  # the last row's keyword
    assert pages >= 5
    assert [[unformula(r[0]), *r[1:]] for r in rows] == expected_rows(plan.account_id)  # each once, in order


def test_bad_export_requests_say_what_to_fix(plan):
    status, _, body = get("/v1/export/keywords", plan.key, {"format": "pdf"})
    assert status == 422 and json.loads(body)["errors"] == [
        {"field": "query.format", "message": "Input should be 'csv' or 'xlsx'"}
    ]
    status, _, body = get("/v1/export/keywords", plan.key, {"sector_id": "987654"})
    assert status == 404 and "sector 987654 not found in this account" in body
    query = {"site_id": str(plan.other_site_id), "sector_id": str(plan.sector_id)}
    status, _, body = get("/v1/export/keywords", plan.key, query)
    assert status == 400 and f"sector {plan.sector_id} does not belong to site {plan.other_site_id}" in body
    status, _, body = get("/v1/export/ideas", plan.key, {"cluster_id": "987654"})
    assert status == 404 and "cluster 987654 not found" in body
    status, _, body = get("/v1/export/ideas", plan.key, {"format": "docx"})
    assert status == 422 and json.loads(body)["errors"][0]["field"] == "query.format"
    status, _, body = get(f"/v1/export/content/{plan.task_ids[2]}", plan.key, {"format": "md"})
    assert status == 404 and f"no article for writer task {plan.task_ids[2]}" in body
    status, _, body = get("/v1/export/keywords", "wrong-key")
    assert status == 401


# ---------------------------------------------------------------- ideas as briefs
def test_ideas_markdown_has_a_brief_per_idea(plan):
    cluster_id = plan.idea_cluster_ids[0]
    ideas = sorted(ContentIdea.by_cluster.query(f"{plan.account_id}#{cluster_id}"), key=lambda i: int(i.id))
    cluster = Cluster.get(plan.account_id, cluster_id)

    status, headers, body = get("/v1/export/ideas", plan.key, {"format": "md", "cluster_id": str(cluster_id)})

    assert status == 200 and headers["content-type"] == "text/markdown; charset=utf-8"
    assert body.startswith(f"# Content ideas: {cluster.name}\n")
    briefs = re.split(r"^## ", body, flags=re.MULTILINE)[1:]
    assert len(briefs) == len(ideas) > 0
    for idea, brief in zip(ideas, briefs, strict=True):
        assert brief.startswith(idea.idea_title + "\n")
        assert f"- **Estimated words:** {int(idea.estimated_word_count)}" in brief
        assert f"- **Target keywords:** {', '.join(split_list(idea.target_keywords))}" in brief
        assert f"- **Cluster:** {cluster.name}" in brief
        assert (
            idea.content_structure.replace("_", " ") in brief and idea.content_type.replace("_", " ") in brief
        )
        for section in parse_outline(idea.description).sections:
            if section.heading:
                assert f"#### {section.heading}\n" in brief

    # Every idea of the account, in pages when over the budget.
    status, _, everything = get("/v1/export/ideas", plan.key)
    all_ideas = list(query_account(ContentIdea, plan.account_id))
    assert status == 200 and everything.count("\n## ") == len(all_ideas) > len(ideas)


def test_ideas_markdown_pages(plan, monkeypatch):
    from shared.services import exports

    monkeypatch.setattr(exports, "TEXT_BUDGET", 1500)
    titles: list[str] = []
    after = None
    while True:
        status, headers, body = get("/v1/export/ideas", plan.key, {"after": after} if after else None)
        assert status == 200
        titles += re.findall(r"^## (.+)$", body, flags=re.MULTILINE)
        after = headers.get("x-next-after")
        if after is None:
            break
    ideas = sorted(query_account(ContentIdea, plan.account_id), key=lambda i: int(i.id))
    assert titles == [i.idea_title for i in ideas]


# ---------------------------------------------------------------- articles
def test_article_as_markdown_with_front_matter_that_parses_back(plan):
    task_id = plan.written[1]
    content = Content.get(plan.account_id, task_id)
    tricky = 'Cold brew: the "real" guide #1 — café\'s \\ notes'
    content.update(actions=[Content.title.set(tricky), Content.meta_title.set("Key: value? - [x]")])

    status, headers, body = get(f"/v1/export/content/{task_id}", plan.key, {"format": "md"})

    assert status == 200 and headers["content-type"] == "text/markdown; charset=utf-8"
    assert headers["content-disposition"].endswith(
        f'filename="{task_id:04d}-cold-brew-the-real-guide-1-cafe-s-notes.md"'
    )
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", body, flags=re.DOTALL)
    assert match, body[:300]
    meta = yaml.safe_load(match.group(1))
    content.refresh()
    assert meta == {
        "title": tricky,
        "meta_title": "Key: value? - [x]",
        "meta_description": content.meta_description or "",
        "slug": "cold-brew-the-real-guide-1-cafe-s-notes",
        "tags": list(content.tags),
        "categories": list(content.categories),
        "primary_keyword": content.primary_keyword,
    }
    assert content.tags and content.primary_keyword  # the offline writer fills them
    markdown = match.group(2)
    assert "**Offline draft:**" in markdown and re.search(r"^## \S", markdown, flags=re.MULTILINE)
    assert "<h2" not in markdown and "<p>" not in markdown

    status, headers, page = get(f"/v1/export/content/{task_id}", plan.key)
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert page == article_document(content)
    assert "<title>Key: value? - [x]</title>" in page and "&quot;real&quot;" in page


# ---------------------------------------------------------------- the report
def test_report_shows_every_cluster_and_job(plan):
    stored = list(query_account(Cluster, plan.account_id))
    stored_by_id = {int(c.id): c for c in stored}
    renamed = next(c for c in stored if c.pillar_id != c.id)  # a cluster that is no pillar's hub
    renamed.update(actions=[Cluster.name.set('<b>Bold</b> & "brew"')])

    status, headers, page = get("/v1/report", plan.key)

    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    table = page.split('<table id="clusters">')[1].split("</table>")[0]
    treemap = page.split('<svg class="treemap"')[1].split("</svg>")[0]
    for cluster in stored:
        name = "&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;brew&quot;" if cluster.id == renamed.id else cluster.name
        assert f'<td class="name">{name}</td>' in table
    assert "<b>Bold</b>" not in page  # user text is escaped everywhere
    ids = re.findall(
        r'<rect class="cluster" data-cluster-id="(\d+)"[^>]*width="([\d.]+)" height="([\d.]+)"', treemap
    )
    assert sorted(int(i) for i, _, _ in ids) == sorted(int(c.id) for c in stored)
    assert all(float(w) > 0 and float(h) > 0 for _, w, h in ids)
    # Cluster rows: keywords, volume, average difficulty, ideas and article status.
    articles = Counter(int(c.cluster_id) for c in query_account(Content, plan.account_id))
    queued = Counter(
        int(t.cluster_id) for t in query_account(WriterTask, plan.account_id) if t.status == "queued"
    )
    assert sum(articles.values()) == 2 and sum(queued.values()) == 1
    for cluster in stored:
        if cluster.id == renamed.id:
            continue
        row = table.split(f'<td class="name">{cluster.name}</td>')[1].split("</tr>")[0]
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        ideas = len(list(ContentIdea.by_cluster.query(f"{plan.account_id}#{cluster.id}")))
        status_text = (
            ", ".join(
                (
                    [f"{articles[int(cluster.id)]} written ({articles[int(cluster.id)]} draft)"]
                    if articles[int(cluster.id)]
                    else []
                )
                + ([f"{queued[int(cluster.id)]} queued"] if queued[int(cluster.id)] else [])
            )
            or "—"
        )
        assert cells == [
            stored_by_id[int(cluster.pillar_id)].name,
            f"{int(cluster.keywords_count):,}",
            f"{int(cluster.volume):,}",
            "30",  # every keyword has difficulty 30
            str(ideas),
            status_text,
        ], cluster.name
    # Job history, newest first, with tokens and cost.
    jobs = sorted(Job.query(plan.account_id), key=lambda j: j.created_at, reverse=True)
    history = page.split('<table id="jobs">')[1].split("</table>")[0]
    assert re.findall(r"<td>(auto_cluster|generate_ideas|generate_content)</td>", history) == [
        j.function_name for j in jobs
    ]
    total = sum(int(j.input_tokens) for j in jobs)
    assert total > 0 and f'<td class="num">{total:,}</td>' in history.split("<tfoot>")[1]
    # Self-contained: nothing is loaded from anywhere.
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert not re.search(r"(src|href)\s*=", page) and "url(" not in page


# ---------------------------------------------------------------- Accept: text/csv on list routes
@pytest.fixture
def negotiating_app():
    """The API with the ``csv_lists`` middleware (as ``build_app`` wires it) and the list routers."""
    from shared.api import app as api_app
    from shared.api import ideas_routes, planner_routes, writer_routes
    from shared.api.negotiation import csv_lists
    from shared.api.resolver import build_app

    app = build_app()
    app.use(middlewares=[csv_lists])
    routers = (planner_routes.router, ideas_routes.router, writer_routes.router)
    for router in routers:
        app.include_router(router)
    yield app
    for router in routers:  # give the routers back to the real app
        router.api_resolver = api_app.app


def call(app, path: str, key: str, accept: str | None, query: dict[str, str] | None = None):
    headers = {"authorization": f"Bearer {key}", **({"accept": accept} if accept else {})}
    response = app.resolve(proxy_event("GET", path, None, headers, query), None)
    found = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    found |= {k.lower(): v[0] for k, v in (response.get("multiValueHeaders") or {}).items()}
    return int(response["statusCode"]), found, response["body"]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/planner/keywords/",
        "/v1/planner/clusters/",
        "/v1/planner/ideas/",
        "/v1/writer/tasks/",
        "/v1/writer/content/",
    ],
)
def test_accept_text_csv_gives_the_same_page_as_csv(plan, negotiating_app, path):
    query = {"limit": "2"}
    status, headers, body = call(negotiating_app, path, plan.key, "application/json", query)
    assert status == 200 and headers["content-type"].startswith("application/json")
    page = json.loads(body)

    status, headers, text = call(negotiating_app, path, plan.key, "text/csv, application/json;q=0.5", query)

    assert status == 200 and headers["content-type"] == "text/csv; charset=utf-8"
    assert headers.get("x-next-after") == (str(page["next"]) if page["next"] is not None else None)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(page["results"]) > 0
    for row, result in zip(rows, page["results"], strict=True):
        assert list(row) == list(result)  # one column per field, in the JSON's order
        for name, value in result.items():
            if value is None:
                assert row[name] == ""
            elif isinstance(value, bool):
                assert row[name] == str(value).lower()
            elif isinstance(value, int | float):
                assert float(row[name]) == value
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                assert split_list(row[name]) == value
            elif isinstance(value, dict | list):
                assert json.loads(row[name]) == value
            else:
                assert unformula(row[name]) == value
    # The next page, through the header.
    if page["next"] is not None:
        status, headers, text = call(
            negotiating_app, path, plan.key, "text/csv", {**query, "after": headers["x-next-after"]}
        )
        _, _, second = call(negotiating_app, path, plan.key, None, {**query, "after": str(page["next"])})
        ids = [str(r.get("id") or r.get("task_id")) for r in json.loads(second)["results"]]
        assert (
            status == 200
            and [r.get("id") or r.get("task_id") for r in csv.DictReader(io.StringIO(text))] == ids
        )


def test_json_stays_the_default_and_errors_stay_json(plan, negotiating_app):
    for accept in (None, "*/*", "application/json", "application/json, text/csv", "text/*", "text/csv;q=0"):
        status, headers, body = call(
            negotiating_app, "/v1/planner/keywords/", plan.key, accept, {"limit": "1"}
        )
        assert status == 200 and headers["content-type"].startswith("application/json"), accept
        assert json.loads(body)["results"]
    status, headers, body = call(
        negotiating_app, "/v1/planner/keywords/", plan.key, "text/csv", {"limit": "0"}
    )
    assert status == 422 and headers["content-type"].startswith("application/json")
    assert json.loads(body)["errors"][0]["field"] == "query.limit"
    # A route that is not a list keeps JSON.
    status, headers, body = call(
        negotiating_app, f"/v1/writer/tasks/{plan.task_ids[0]}/", plan.key, "text/csv"
    )
    assert status == 200 and json.loads(body)["id"] == plan.task_ids[0]
