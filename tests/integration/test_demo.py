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
