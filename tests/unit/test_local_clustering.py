"""Offline keyword clustering (shared.functions.auto_cluster.offline): what a user checks on the result."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.ai.local.text import stem, title_case
from shared.functions.auto_cluster.offline import cluster_keywords

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample_keywords.csv"


def _rows(keywords: list[str]) -> list[dict]:
    return [
        {"id": i + 1, "keyword": k, "volume": 100, "difficulty": 10, "intent": None}
        for i, k in enumerate(keywords)
    ]


@pytest.fixture(scope="module")
def sample_rows() -> list[dict]:
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        return [
            {
                "id": i + 1,
                "keyword": row["Keyword"],
                "volume": int(row["Volume"]),
                "difficulty": int(row["Keyword Difficulty"]),
                "intent": row["Intent"],
            }
            for i, row in enumerate(csv.DictReader(handle))
        ]


@pytest.fixture(scope="module")
def sample_clusters(sample_rows: list[dict]) -> list[dict]:
    return cluster_keywords(sample_rows)["clusters"]


def _cluster_of(clusters: list[dict], keyword: str) -> int:
    return next(i for i, c in enumerate(clusters) if keyword in c["keywords"])


def test_sample_file_is_a_realistic_export(sample_rows: list[dict]) -> None:
    keywords = [r["keyword"] for r in sample_rows]
    assert 320 <= len(keywords) <= 360
    assert len(set(keywords)) == len(keywords)
    assert all(10 <= r["volume"] <= 60_500 and 0 <= r["difficulty"] <= 100 for r in sample_rows)
    intents = {part.strip() for r in sample_rows for part in r["intent"].split(",")}
    assert intents <= {"Informational", "Commercial", "Transactional", "Navigational"}


def test_every_keyword_lands_in_exactly_one_cluster(
    sample_rows: list[dict], sample_clusters: list[dict]
) -> None:
    listed = [k for c in sample_clusters for k in c["keywords"]]
    assert sorted(listed) == sorted(r["keyword"] for r in sample_rows)


def test_obviously_related_keywords_end_up_together(sample_clusters: list[dict]) -> None:
    together = [
        ("cold brew recipe", "how to make cold brew"),
        ("cold brew ratio", "cold brew concentrate"),
        ("french press", "how to use a french press"),
        ("burr grinder", "best coffee grinder"),
        ("latte art", "latte art for beginners"),
        ("moka pot", "how to use a moka pot"),
    ]
    for first, second in together:
        assert _cluster_of(sample_clusters, first) == _cluster_of(sample_clusters, second), (first, second)


def test_distinct_topics_stay_apart(sample_clusters: list[dict]) -> None:
    apart = [
        ("espresso machine", "coffee grinder"),
        ("cold brew", "french press"),
        ("latte art", "decaf coffee"),
        ("coffee beans", "moka pot"),
    ]
    for first, second in apart:
        assert _cluster_of(sample_clusters, first) != _cluster_of(sample_clusters, second), (first, second)


def test_big_topics_form_real_clusters_and_the_count_is_reasonable(sample_clusters: list[dict]) -> None:
    sizes = sorted((len(c["keywords"]) for c in sample_clusters), reverse=True)
    assert sizes[0] >= 15
    assert sum(1 for s in sizes if s >= 5) >= 8
    assert len(sample_clusters) < 120


def test_names_are_readable_unique_and_descriptions_say_offline(sample_clusters: list[dict]) -> None:
    names = [c["name"] for c in sample_clusters]
    assert len({n.casefold() for n in names}) == len(names)
    assert all(n and n == n.strip() and (n[0].isupper() or n[0].isdigit()) for n in names)
    by_keyword = {k: c["name"] for c in sample_clusters for k in c["keywords"]}
    assert by_keyword["cold brew"] == "Cold Brew"
    assert by_keyword["espresso machine"] == "Espresso Machine"
    assert all(c["description"].startswith("Offline draft:") for c in sample_clusters)
    assert "'cold', 'brew'" in next(c["description"] for c in sample_clusters if c["name"] == "Cold Brew")


def test_names_are_disambiguated_when_terms_collide() -> None:
    # Colliding names are rare on real lists, so the naming step is exercised directly.
    from shared.functions.auto_cluster.offline import _unique_name

    taken: set[str] = set()
    assert _unique_name("Coffee Maker", ["mold"], taken) == "Coffee Maker"
    assert _unique_name("Coffee Maker", ["mold"], taken) == "Coffee Maker Mold"
    assert _unique_name("Coffee Maker", ["mold"], taken) == "Coffee Maker Mold (2)"
    clusters = cluster_keywords(
        _rows(["coffee maker", "Coffee Maker!", "coffee makers", "best coffee maker"])
    )
    assert [c["name"] for c in clusters["clusters"]] == ["Coffee Maker"]


def test_keywords_are_returned_exactly_as_given_by_volume() -> None:
    rows = [
        {"id": 1, "keyword": "Café Crème  recipe", "volume": 10, "difficulty": None, "intent": None},
        {"id": 2, "keyword": "cafe creme", "volume": 900, "difficulty": None, "intent": None},
        {"id": 3, "keyword": "café-crème at home?", "volume": None, "difficulty": None, "intent": None},
    ]
    clusters = cluster_keywords(rows)["clusters"]
    assert len(clusters) == 1
    assert clusters[0]["keywords"] == ["cafe creme", "Café Crème  recipe", "café-crème at home?"]


def test_empty_blank_and_duplicate_input() -> None:
    assert cluster_keywords([]) == {"clusters": []}
    assert cluster_keywords(_rows(["", "   ", "???"])) == {"clusters": []}
    clusters = cluster_keywords(_rows(["cold brew", "cold brew", "cold brew maker"]))["clusters"]
    assert [k for c in clusters for k in c["keywords"]] == ["cold brew", "cold brew maker"]


def test_lone_keywords_can_be_left_out_on_request() -> None:
    rows = _rows(["cold brew", "cold brew recipe", "how to tie a tie"])
    assert any(c["keywords"] == ["how to tie a tie"] for c in cluster_keywords(rows)["clusters"])
    kept = cluster_keywords(rows, min_cluster_size=2)["clusters"]
    assert [c["keywords"] for c in kept] == [["cold brew", "cold brew recipe"]]


def test_same_input_gives_the_same_output_whatever_the_hash_seed(sample_rows: list[dict]) -> None:
    assert cluster_keywords(sample_rows) == cluster_keywords(sample_rows)
    script = (
        "import csv, json, sys; from shared.functions.auto_cluster.offline import cluster_keywords; "
        "rows = [{'id': i, 'keyword': r['Keyword'], 'volume': int(r['Volume'])} "
        f"for i, r in enumerate(csv.DictReader(open({str(SAMPLE)!r}, encoding='utf-8')))]; "
        "print(json.dumps(cluster_keywords(rows)))"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        result = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert json.loads(outputs.pop())["clusters"]


def test_three_thousand_keywords_cluster_in_well_under_five_seconds(sample_rows: list[dict]) -> None:
    base = [r["keyword"] for r in sample_rows]
    patterns = [
        "{}",
        "best {}",
        "{} 2024",
        "{} reddit",
        "{} for beginners",
        "cheap {}",
        "{} uk",
        "{} review",
        "{} tips",
    ]
    keywords = list(dict.fromkeys(p.format(k) for p in patterns for k in base))[:3000]
    assert len(keywords) == 3000
    start = time.perf_counter()
    clusters = cluster_keywords(_rows(keywords))["clusters"]
    elapsed = time.perf_counter() - start
    assert sum(len(c["keywords"]) for c in clusters) == 3000
    assert elapsed < 5.0


def test_light_stemming_and_title_case() -> None:
    assert stem("grinders") == stem("grinder")
    assert stem("brewing") == stem("brew")
    assert stem("roasted") == stem("roast")
    assert stem("accessories") == stem("accessory")
    assert title_case("how to use a v60 vs chemex") == "How to Use a V60 vs Chemex"


def test_a_small_set_on_one_topic_forms_one_cluster():
    """Few keywords all sharing a phrase: the shared phrase must be enough to group them."""
    rows = [
        {"id": i, "keyword": k, "volume": 100, "difficulty": 30, "intent": "informational"}
        for i, k in enumerate(["cold brew ratio", "cold brew concentrate", "cold brew maker"])
    ]
    (cluster,) = cluster_keywords(rows, min_cluster_size=2)["clusters"]
    assert sorted(cluster["keywords"]) == ["cold brew concentrate", "cold brew maker", "cold brew ratio"]
    assert cluster["name"] == "Cold Brew"
