"""`make demo` end to end: `igny8 run data/sample_keywords.csv --out DIR` and the files it promises."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from igny8_cli.local import LOCAL_FILE_ENV
from tests.cli.run_checks import check_run_folder

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample_keywords.csv"


def _igny8() -> list[str]:
    command = Path(sys.executable).parent / "igny8"
    return [str(command)] if command.exists() else [sys.executable, "-m", "igny8_cli"]


def _env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: no AWS or OpenAI settings, and no `make api` someone runs meanwhile."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AWS_", "MOTO_", "IGNY8_"))}
    env[LOCAL_FILE_ENV] = str(tmp_path / "no-local-api.json")
    return env


def test_demo_writes_summary_articles_exports_and_report(tmp_path):
    # As `make demo` runs it (the Makefile's command): its own process, its own local stack.
    out = tmp_path / "out"
    result = subprocess.run(
        [*_igny8(), "run", str(SAMPLE), "--out", str(out), "--articles", "3"],
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(tmp_path),
        cwd=ROOT,
    )

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "AI provider: offline local provider" in result.stdout
    assert "[generate_content] DONE    100%" in result.stderr  # progress on stderr
    summary = check_run_folder(out, articles=3)
    for article in summary["articles"]:
        assert "Offline draft" in (out / article["path"]).read_text()


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
    env = _env(tmp_path)
    env.update(OPENAI_API_KEY="sk-demo-test", OPENAI_BASE_URL=server.base_url, OPENAI_MODEL="gpt-4o-mini")
    out = tmp_path / "out"

    # scripts/demo.py hands its options to `igny8 run`
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--out", str(out), "--articles", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "AI provider: OpenAI-compatible API" in result.stdout
    summary = check_run_folder(out, articles=2)
    assert {j["model"] for j in summary["jobs"]} == {"gpt-4o-mini"}
    assert all(j["tokens"] > 0 and j["cost"] > 0 for j in summary["jobs"])
    embeddings, chat = server.embedding_requests(), server.chat_requests()
    # 340 keywords: the semantic strategy (one embeddings request), naming calls, then ideas and articles.
    assert [r.body["model"] for r in embeddings] == ["text-embedding-3-small"]
    assert {r.body["model"] for r in chat} == {"gpt-4o-mini"}
    naming = [r for r in chat if "<<<CLUSTERS" in r.prompt]
    # Naming calls, one ideas call, one writing call per article, and one revision per article
    # whose on-page checks failed (this fake's articles fail: its meta description is short).
    revisions = [r for r in chat if "<<<ARTICLE" in r.prompt]
    assert naming and len(revisions) == 2 and len(chat) == len(naming) + 1 + 2 + len(revisions)
    assert {a["status"] for a in summary["articles"]} == {"review"}
    assert all(a["seo"]["checks"]["meta_description_length"] is False for a in summary["articles"])
    html = (out / summary["articles"][0]["path"]).read_text()
    assert "Model-written paragraph" in html and "alert(1)" not in html and "Offline draft" not in html
    assert "sk-demo-test" not in result.stdout + result.stderr
