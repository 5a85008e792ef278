"""What `igny8 run FILE --out DIR` (and so `make demo`) promises to leave in DIR."""

from __future__ import annotations

import csv
import html
import io
import json
from pathlib import Path
from typing import Any

#: The keys `make demo` has always written (a contract for whoever reads summary.json).
DEMO_KEYS = {"keywords", "clusters", "unassigned_keywords", "jobs", "ideas", "articles"}
JOB_KEYS = {
    "task_id",
    "function",
    "status",
    "phase",
    "progress",
    "tokens",
    "cost",
    "credits",
    "model",
    "message",
}
ARTICLE_KEYS = {"task_id", "title", "word_count", "meta_title", "meta_description", "path"}


def check_run_folder(out: Path, articles: int, top: int = 3) -> dict[str, Any]:
    """summary.json, articles/*.html and *.md, keywords.csv/.xlsx, ideas.md, report.html agree."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(summary) >= DEMO_KEYS
    assert summary["keywords"] >= 300
    in_clusters = [k for c in summary["clusters"] for k in c["keywords"]]
    assigned = in_clusters + summary["unassigned_keywords"]
    assert len(assigned) == len(set(assigned)) == summary["keywords"]  # each keyword exactly once
    assert all(c["keywords_count"] == len(c["keywords"]) and c["volume"] > 0 for c in summary["clusters"])
    assert [j["function"] for j in summary["jobs"]] == ["auto_cluster", "generate_ideas", "generate_content"]
    assert all(set(j) >= JOB_KEYS for j in summary["jobs"])
    assert all(
        j["status"] == "completed" and j["phase"] == "DONE" and j["progress"] == 100 for j in summary["jobs"]
    )
    clustered = {c["name"] for c in summary["clusters"][:top]}
    assert len(summary["ideas"]) >= top and {i["cluster"] for i in summary["ideas"]} == clustered

    assert len(summary["articles"]) == articles
    assert sorted(p.name for p in (out / "articles").iterdir()) == sorted(
        name for a in summary["articles"] for name in (Path(a["path"]).name, Path(a["path"]).stem + ".md")
    )
    for article in summary["articles"]:
        assert set(article) >= ARTICLE_KEYS
        page = (out / article["path"]).read_text(encoding="utf-8")
        assert article["word_count"] > 300 and article["meta_title"] and article["meta_description"]
        assert "<h1>" in page and "<h2>" in page
        # No script but the page's JSON-LD.
        assert page.count("<script") == page.count('<script type="application/ld+json">') == 1
        assert html.escape(article["title"]) in page
        markdown = (out / article["path"]).with_suffix(".md").read_text(encoding="utf-8")
        assert markdown.startswith("---\n") and f'title: "{article["title"]}"' in markdown
        assert "\n## " in markdown  # the article's sections, as Markdown headings

    with (out / "keywords.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == summary["keywords"]
    assert {r["keyword"] for r in rows} == set(assigned)
    by_cluster = {r["keyword"]: r["cluster"] for r in rows}
    for cluster in summary["clusters"]:
        assert {by_cluster[k] for k in cluster["keywords"]} == {cluster["name"]}

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO((out / "keywords.xlsx").read_bytes()), read_only=True)
    assert workbook.sheetnames[-1] == "Keywords"
    sheet_rows = list(workbook["Keywords"].iter_rows(values_only=True))
    assert len(sheet_rows) == summary["keywords"] + 1 and sheet_rows[0][0] == "keyword"

    ideas = (out / "ideas.md").read_text(encoding="utf-8").replace("\\", "")
    assert all(f"## {i['title']}" in ideas for i in summary["ideas"])

    report = (out / "report.html").read_text(encoding="utf-8")
    assert report.lower().startswith("<!doctype html") and len(report) > 2000
    assert html.escape(summary["clusters"][0]["name"]) in report

    assert summary["report"] == "report.html"
    assert {"keywords.csv", "keywords.xlsx", "ideas.md"} <= set(summary["exports"])
    assert all((out / name).is_file() for name in summary["exports"])
    return dict(summary)
