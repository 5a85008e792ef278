"""Offline ideas and articles (shared/functions/*/offline.py): what a user checks on the result."""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import pytest

from shared.ai.local.text import classify
from shared.domain.content_html import count_words
from shared.domain.outline import parse_outline, render_outline
from shared.functions.auto_cluster.offline import cluster_keywords
from shared.functions.generate_content.offline import write_article
from shared.functions.generate_ideas.offline import write_ideas

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample_keywords.csv"
SAFE_TAGS = {
    "h2",
    "h3",
    "p",
    "ul",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "strong",
    "em",
    "a",
}
COLD_BREW = [
    "cold brew",
    "how to make cold brew",
    "cold brew recipe",
    "cold brew ratio",
    "cold brew concentrate",
    "best cold brew maker",
    "cold brew vs iced coffee",
    "does cold brew have more caffeine",
    "how long does cold brew last",
    "nitro cold brew",
]


@pytest.fixture(scope="module")
def clusters() -> list[dict]:
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        rows = [
            {"id": i, "keyword": r["Keyword"], "volume": int(r["Volume"]), "difficulty": None, "intent": None}
            for i, r in enumerate(csv.DictReader(handle))
        ]
    found = cluster_keywords(rows)["clusters"]
    return [{"id": 100 + i, **c} for i, c in enumerate(found)]


@pytest.fixture(scope="module")
def ideas(clusters: list[dict]) -> list[dict]:
    return write_ideas(clusters)["ideas"]


def _outline(description: dict) -> str:
    lines = []
    for section in description["sections"]:
        lines.append(f"## {section['heading']}")
        for sub in section["subsections"]:
            lines += [
                f"### {sub['subheading']}",
                f"Content Type: {sub['content_type']}",
                f"Details: {sub['details']}",
            ]
    return "\n".join(lines)


def _context(idea: dict) -> dict:
    return {
        "title": idea["title"],
        "description": idea["description"]["introduction"],
        "outline": _outline(idea["description"]),
        "keywords": idea["covered_keywords"],
        "cluster_name": idea["cluster_name"],
        "content_type": idea["content_type"],
        "content_structure": idea["content_structure"],
        "estimated_word_count": idea["estimated_word_count"],
    }


def _stripped_words(fragment: str) -> int:
    return len(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


# --------------------------------------------------------------------------- ideas


def test_ideas_reference_real_clusters_and_their_keywords(clusters: list[dict], ideas: list[dict]) -> None:
    by_id = {c["id"]: c for c in clusters}
    assert ideas
    for idea in ideas:
        cluster = by_id[idea["cluster_id"]]
        assert idea["cluster_name"] == cluster["name"]
        covered = [k.strip() for k in idea["covered_keywords"].split(",")]
        assert covered and set(covered) <= set(cluster["keywords"])
        assert any(k.casefold() in idea["title"].casefold() for k in cluster["keywords"]), idea["title"]


def test_each_cluster_gets_a_hub_then_supporting_pages(clusters: list[dict], ideas: list[dict]) -> None:
    for cluster in clusters:
        own = [i for i in ideas if i["cluster_id"] == cluster["id"]]
        assert len(own) == 3
        assert own[0]["content_structure"] == "cluster_hub"
        assert all(i["content_structure"] == "supporting_page" for i in own[1:])
    assert all(i["content_type"] in {"blog_post", "guide", "tutorial", "article"} for i in ideas)


def test_titles_are_distinct_and_outlines_have_the_asked_shape(ideas: list[dict]) -> None:
    titles = [i["title"].casefold() for i in ideas]
    assert len(set(titles)) == len(titles)
    for idea in ideas:
        description = idea["description"]
        assert "offline" in description["introduction"].lower()
        assert description["sections"]
        for section in description["sections"]:
            assert section["heading"] and section["subsections"]
            for sub in section["subsections"]:
                assert sub["subheading"] and sub["details"]
                assert sub["content_type"] in {"paragraph", "list", "table"}
        assert 500 <= idea["estimated_word_count"] <= 2500


def test_supporting_pages_follow_the_keywords_found() -> None:
    result = write_ideas([{"id": 7, "name": "Cold Brew", "description": "", "keywords": COLD_BREW}], 5)
    titles = [i["title"] for i in result["ideas"]]
    assert titles[0].startswith("Cold Brew: A Complete Guide")
    assert "How to Make Cold Brew: Step-by-Step Guide" in titles
    assert "Best Cold Brew Maker: Options Compared" in titles
    assert "Cold Brew vs Iced Coffee: Key Differences Explained" in titles
    assert any(t.startswith("Does Cold Brew Have More Caffeine?") for t in titles)
    assert [i["content_type"] for i in result["ideas"][1:4]] == ["tutorial", "blog_post", "article"]


def test_small_clusters_still_get_distinct_ideas_and_ideas_are_deterministic() -> None:
    data = [{"id": 3, "name": "Aeropress", "description": "", "keywords": ["aeropress"]}]
    first = write_ideas(data, 3)
    assert first == write_ideas(data, 3)
    titles = [i["title"] for i in first["ideas"]]
    assert len(titles) == 3 and len(set(titles)) == 3
    assert all("Aeropress" in t for t in titles)
    assert write_ideas([], 3) == {"ideas": []}
    assert write_ideas(data, 0) == {"ideas": []}


def test_classify_reads_the_wording() -> None:
    assert classify("how to make cold brew") == "how_to"
    assert classify("burr vs blade grinder") == "comparison"
    assert classify("best espresso machine under 500") == "commercial"
    assert classify("does decaf coffee have caffeine") == "question"
    assert classify("nitro cold brew") == "topic"


# --------------------------------------------------------------------------- articles


def test_article_follows_the_outline_with_safe_html(ideas: list[dict]) -> None:
    idea = ideas[0]
    article = write_article(_context(idea))
    content = article["content"]
    for section in idea["description"]["sections"]:
        assert f"<h2>{html.escape(section['heading'])}</h2>" in content
        for sub in section["subsections"]:
            assert f"<h3>{html.escape(sub['subheading'])}</h3>" in content
    assert "<script" not in content.lower()
    assert set(re.findall(r"</?([a-z0-9]+)", content)) <= SAFE_TAGS
    assert content.startswith("<p><strong>Offline draft:</strong>")
    assert "without an AI model" in content.split("</p>", 1)[0]


def test_article_metadata_and_word_count(ideas: list[dict]) -> None:
    for idea in ideas[:9]:
        article = write_article(_context(idea))
        assert article["title"] == idea["title"]
        assert 0 < len(article["meta_title"]) <= 60
        assert 0 < len(article["meta_description"]) <= 160
        assert article["primary_keyword"] == idea["covered_keywords"].split(", ")[0]
        assert article["primary_keyword"] not in article["secondary_keywords"]
        assert article["categories"] == [idea["cluster_name"]]
        assert article["tags"]
        assert article["word_count"] == count_words(article["content"])  # what SAVE counts too
        assert article["word_count"] <= 2100
        assert article["word_count"] >= 0.6 * min(idea["estimated_word_count"], 2000)


def test_article_without_outline_builds_sections_and_faq_from_keywords() -> None:
    article = write_article(
        {
            "title": "Cold Brew at Home",
            "description": "",
            "outline": "",
            "keywords": ", ".join(COLD_BREW),
            "cluster_name": "Cold Brew",
            "content_type": "blog_post",
            "content_structure": "supporting_page",
            "estimated_word_count": 800,
        }
    )
    content = article["content"]
    assert content.count("<h2>") >= 3
    assert "<h2>Cold Brew Recipe</h2>" in content
    assert "<h2>Frequently Asked Questions</h2>" in content
    assert "<h3>Does Cold Brew Have More Caffeine?</h3>" in content
    assert "<table>" in content  # the "vs" keyword becomes a comparison table
    assert article["primary_keyword"] == "cold brew"
    assert 600 <= article["word_count"] <= 1000


def test_article_escapes_hostile_input_and_is_deterministic() -> None:
    context = {
        "title": "<script>alert(1)</script> Grinder Guide",
        "description": "",
        "outline": "## Burr <b>Grinders</b>\n### Why <script>x</script>\nContent Type: list\nDetails: <img src=x>",
        "keywords": ["burr grinder", "<script>bad()</script>"],
        "cluster_name": "Grinders",
        "content_type": "article",
        "content_structure": "supporting_page",
        "estimated_word_count": None,
    }
    article = write_article(context)
    assert "<script" not in article["content"].lower()
    assert "<img" not in article["content"].lower() and "<b>" not in article["content"]
    assert set(re.findall(r"</?([a-z0-9]+)", article["content"])) <= SAFE_TAGS
    assert len(article["meta_title"]) <= 60
    assert write_article(context) == article


def test_outline_parser_reads_headings_types_and_details() -> None:
    outline = parse_outline(
        "## Basics\n### What It Is\nContent Type: table\nDetails: Define it.\nMore detail.\n## Tips\nH3: Quick Wins"
    )
    assert [s.heading for s in outline.sections] == ["Basics", "Tips"]
    first = outline.sections[0].blocks[0]
    assert (first.subheading, first.kind, first.details) == ("What It Is", "table", "Define it. More detail.")
    assert outline.sections[1].blocks[0].subheading == "Quick Wins"


def test_the_same_outline_as_json_or_text_gives_the_same_sections() -> None:
    as_json = json.dumps(
        {
            "introduction": "Why grinders matter.",
            "sections": [
                {
                    "heading": "Basics",
                    "subsections": [
                        {"subheading": "What It Is", "content_type": "table", "details": "Define it."}
                    ],
                }
            ],
        }
    )
    from_json = parse_outline(as_json)
    from_text = parse_outline(render_outline(as_json))
    assert from_json.introduction == from_text.introduction == "Why grinders matter."
    assert from_json.sections == from_text.sections


def test_offline_drafts_pass_their_own_on_page_checks(ideas: list[dict]) -> None:
    from shared.domain.seo_checks import check_article, describe_failures

    assert len(ideas) >= 9
    for idea in ideas:
        context = _context(idea)
        article = write_article(context)
        report = check_article(
            article["content"],
            title=article["title"],
            meta_title=article["meta_title"],
            meta_description=article["meta_description"],
            primary_keyword=article["primary_keyword"],
            secondary_keywords=article["secondary_keywords"],
            target_words=context.get("estimated_word_count"),
        )
        assert report.failing == [], (
            idea["title"],
            describe_failures(report),
            report.details["repeated_paragraphs"],
        )
        assert "Section brief" not in article["content"]
        assert article["tags"] and article["primary_keyword"]
