"""`make demo` end to end (offline): the whole flow and the files it promises."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_demo_writes_summary_and_articles(tmp_path):
    # As `make demo` runs it: its own process, its own local stack.
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--out", str(tmp_path), "--articles", "3"],
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AWS_", "MOTO_"))},
    )

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "AI provider: offline local provider" in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["keywords"] >= 300
    in_clusters = [k for c in summary["clusters"] for k in c["keywords"]]
    assigned = in_clusters + summary["unassigned_keywords"]
    assert len(assigned) == len(set(assigned)) == summary["keywords"]  # each keyword exactly once
    assert all(c["keywords_count"] == len(c["keywords"]) and c["volume"] > 0 for c in summary["clusters"])
    assert [j["function"] for j in summary["jobs"]] == ["auto_cluster", "generate_ideas", "generate_content"]
    assert all(
        j["status"] == "completed" and j["phase"] == "DONE" and j["progress"] == 100 for j in summary["jobs"]
    )
    clustered = {c["name"] for c in summary["clusters"][:3]}
    assert len(summary["ideas"]) >= 3 and {i["cluster"] for i in summary["ideas"]} == clustered
    assert len(summary["articles"]) == 3
    for article in summary["articles"]:
        html = (tmp_path / article["path"]).read_text()
        assert article["word_count"] > 300 and article["meta_title"] and article["meta_description"]
        assert "<h1>" in html and "<h2>" in html and "<script" not in html
        assert "Offline draft" in html


def _model_answer(prompt: str) -> dict:
    """What a model might answer, computed from the prompt the engine sent."""
    from shared.ai.prompts import read_data_block

    if "Keywords (with volume" in prompt:
        keywords = [k["keyword"] for k in read_data_block(prompt, "KEYWORDS")]
        groups: dict[str, list[str]] = {}
        for keyword in keywords:
            groups.setdefault(keyword.split()[0], []).append(keyword)
        return {
            "clusters": [
                {
                    "name": f"{head.title()} topics",
                    "description": f"Searches starting with {head}",
                    "keywords": kws,
                }
                for head, kws in groups.items()
            ]
        }
    if "<<<CLUSTERS" in prompt:  # the semantic strategy's naming calls
        listed = json.loads(prompt.split("<<<CLUSTERS\n", 1)[1].split("\nCLUSTERS>>>", 1)[0])
        return {"clusters": [{"id": c["id"], "name": f"{c['keywords'][0].title()} Guide"} for c in listed]}
    if "Keywords of each cluster" in prompt:
        clusters = [(c["cluster_id"], c["name"]) for c in read_data_block(prompt, "CLUSTER_DETAILS")]
        return {
            "ideas": [
                {
                    "title": f"{name}: guide {n}",
                    "description": {
                        "introduction": "Intro",
                        "sections": [{"heading": "Basics", "subsections": []}],
                    },
                    "content_type": "guide",
                    "content_structure": "cluster_hub" if n == 1 else "supporting_page",
                    "cluster_id": int(cid),
                    "cluster_name": name,
                    "estimated_word_count": 1200,
                    "covered_keywords": name.lower(),
                }
                for cid, name in clusters
                for n in (1, 2)
            ]
        }
    heading = (read_data_block(prompt, "IDEA").get("title") if "<<<IDEA" in prompt else None) or "Article"
    body = " ".join(["Model-written paragraph about the topic."] * 60)
    return {
        "content": f"<h2>{heading}</h2><p>{body}</p><script>alert(1)</script>",
        "title": heading,
        "meta_title": heading[:60],
        "meta_description": f"All about {heading}"[:160],
        "primary_keyword": heading.lower(),
        "secondary_keywords": "one, two",
        "tags": ["coffee"],
        "categories": ["Guides"],
    }


def test_demo_takes_the_openai_path_when_a_key_is_set(tmp_path, _fake_openai_server):
    from tests.fakes.openai_server import FakeReply

    server = _fake_openai_server
    server.reset()
    server.responder = lambda request: FakeReply(content=json.dumps(_model_answer(request.prompt)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AWS_", "MOTO_"))}
    env.update(OPENAI_API_KEY="sk-demo-test", OPENAI_BASE_URL=server.base_url, OPENAI_MODEL="gpt-4o-mini")

    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--out", str(tmp_path), "--articles", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "AI provider: OpenAI-compatible API" in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {j["model"] for j in summary["jobs"]} == {"gpt-4o-mini"}
    assert all(j["tokens"] > 0 and j["cost"] > 0 for j in summary["jobs"])
    embeddings, chat = server.embedding_requests(), server.chat_requests()
    # 340 keywords: the semantic strategy (one embeddings request), naming calls, then ideas and articles.
    assert [r.body["model"] for r in embeddings] == ["text-embedding-3-small"]
    assert {r.body["model"] for r in chat} == {"gpt-4o-mini"}
    naming = [r for r in chat if "<<<CLUSTERS" in r.prompt]
    assert naming and len(chat) == len(naming) + 1 + 2  # naming calls, one ideas call, one per article
    html = (tmp_path / summary["articles"][0]["path"]).read_text()
    assert "Model-written paragraph" in html and "<script" not in html and "Offline draft" not in html
    assert "sk-demo-test" not in result.stdout + result.stderr
