"""Re-running generate_ideas on a cluster adds only new titles: never the same idea twice."""

from __future__ import annotations

import pytest

from shared.db.models import ContentIdea
from tests.helpers import run_job
from tests.integration.test_ideas_content_flow import COLD_BREW, make_cluster, make_ideas

pytestmark = pytest.mark.integration


def _titles(account_id: str, cluster_id: int) -> list[str]:
    return [i.idea_title for i in ContentIdea.by_cluster.query(f"{account_id}#{cluster_id}")]


def _answer(*titles: str) -> dict:
    return {"ideas": [{"title": t, "description": "Outline", "cluster_name": "Cold Brew"} for t in titles]}


def test_a_rerun_adds_only_the_new_titles(stack, account, fake_openai):
    cluster_id = make_cluster(account.account_id, "Cold Brew", COLD_BREW)
    make_ideas(account.account_id, cluster_id, ["Cold Brew at Home"])
    # The model repeats the stored title (in other case and spacing), and one new title twice.
    fake_openai.queue_json(_answer("cold brew  at home", "Cold Brew Ratios", "Cold brew ratios"))
    job = run_job(stack, account.account_id, "generate_ideas", {"ids": [cluster_id]})

    assert job.status == "completed", job.error
    assert sorted(_titles(account.account_id, cluster_id)) == ["Cold Brew Ratios", "Cold Brew at Home"]
    assert job.result["ideas_created"] == 1
    assert job.result["existing_titles_skipped"] == ["cold brew at home", "Cold brew ratios"]
    assert job.message.endswith("2 idea(s) repeated a title the cluster already has and were skipped")


def test_an_offline_rerun_creates_no_duplicates(stack, account):
    cluster_id = make_cluster(account.account_id, "Cold Brew", COLD_BREW)
    first = run_job(stack, account.account_id, "generate_ideas", {"ids": [cluster_id]})
    assert first.status == "completed" and first.result["ideas_created"] >= 1
    before = sorted(_titles(account.account_id, cluster_id))

    second = run_job(stack, account.account_id, "generate_ideas", {"ids": [cluster_id]})
    assert second.status == "completed", second.error
    assert second.result["ideas_created"] == 0
    assert sorted(_titles(account.account_id, cluster_id)) == before
    assert len(before) == len(set(before))
