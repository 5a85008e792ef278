"""auto_cluster's SAVE: a cluster is created only with its keywords, and its counts equal its members.

Both strategies write the keywords first and then each new cluster with its members' totals, so a
SAVE that dies in between leaves no empty cluster row, and its retry creates the clusters the
keywords already point at (the same ids), nothing twice. Existing clusters a job joins keywords to
(or takes keywords from) get their totals from their members, whatever their stored counts were.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.db.models import Cluster, Keyword
from shared.db.repo import query_account
from shared.engine import phases
from shared.engine.engine import create_job
from shared.engine.store import ids, job_state, load_job
from shared.functions.auto_cluster import prompt_strategy, semantic_save
from shared.services.jobs import start_job
from tests.helpers import add_keywords, api
from tests.integration.test_ideas_content_flow import COLD_BREW, make_cluster, make_ideas
from tests.integration.test_semantic_clustering_flow import _keywords

pytestmark = pytest.mark.integration


def _members(account_id: str) -> dict[int, list[Keyword]]:
    members: dict[int, list[Keyword]] = {}
    for keyword in query_account(Keyword, account_id):
        if keyword.cluster_id is not None:
            members.setdefault(int(keyword.cluster_id), []).append(keyword)
    return members


def _assert_counts_equal_members(clusters: list[Cluster], members: dict[int, list[Keyword]]) -> None:
    for cluster in clusters:
        mine = members.get(int(cluster.id), [])
        assert (int(cluster.keywords_count), int(cluster.volume)) == (
            len(mine),
            sum(k.volume for k in mine),
        ), cluster.name


class SaveDies:
    """Replaces a module's batch writer: the ``die_on``-th call raises before writing."""

    def __init__(self, real: Any, die_on: int) -> None:
        self.real, self.die_on, self.calls = real, die_on, 0

    def __call__(self, records: Any) -> int:
        self.calls += 1
        if self.calls == self.die_on:
            raise RuntimeError("SAVE died")
        return int(self.real(records))


def _run_stages(state: dict[str, Any], on_save: Any = None) -> None:
    """The phases of a job in order, as AIEngine.execute runs them; ``on_save(stage, item_state)``
    runs instead of the first SAVE it returns True for."""
    state = phases.run_init(state)
    while state["stage"] < state["stages"]:
        prepared = phases.run_prep(state)
        for key in prepared["items"]:
            item_state = {**ids(prepared), "stage": prepared["stage"], "item": key}
            phases.run_ai_call(item_state)
            phases.run_parse(item_state)
            if on_save is not None and on_save(prepared["stage"], item_state):
                on_save = None
            phases.run_save(item_state)
        state = {**prepared, "stage": prepared["stage"] + 1}
        state.pop("items")
    phases.run_done(state)


def test_a_prompt_save_dying_after_the_keywords_leaves_no_empty_cluster_and_its_retry_finishes(
    stack, account, fake_openai, monkeypatch
):
    keyword_ids = add_keywords(
        account.account_id,
        [
            ("cold brew recipe", 500),
            ("cold brew ratio", 300),
            ("espresso machine", 900),
            ("best espresso", 100),
        ],
    )
    fake_openai.queue_json(
        {
            "clusters": [
                {"name": "Cold Brew", "keywords": ["cold brew recipe", "Cold Brew  Ratio"]},
                {"name": "Espresso", "keywords": ["espresso machine", "best espresso"]},
                {"name": "Invented", "keywords": ["a keyword we do not have"]},
            ]
        }
    )
    job = create_job(account.account_id, "auto_cluster", {"ids": keyword_ids})
    dies = SaveDies(prompt_strategy.save_all, die_on=2)  # 1: the keywords, 2: the new clusters

    def die_once(stage: int, item_state: dict[str, Any]) -> bool:
        monkeypatch.setattr(prompt_strategy, "save_all", dies)
        with pytest.raises(RuntimeError, match="SAVE died"):
            phases.run_save(item_state)
        # The keywords are written, pointing at the new clusters; no cluster row exists yet.
        assert list(query_account(Cluster, account.account_id)) == []
        assert len(_members(account.account_id)) == 2
        monkeypatch.setattr(prompt_strategy, "save_all", dies.real)
        return True

    _run_stages(job_state(job), die_once)

    done = load_job(account.account_id, job.task_id, consistent=True)
    assert done.status == "completed", done.error
    assert done.result["clusters_created"] == 2 and done.result["empty_clusters_skipped"] == ["Invented"]
    clusters = list(query_account(Cluster, account.account_id))
    members = _members(account.account_id)
    assert sorted(c.name for c in clusters) == ["Cold Brew", "Espresso"]
    assert {int(c.id) for c in clusters} == set(members)  # the ids the keywords got in the first attempt
    _assert_counts_equal_members(clusters, members)
    by_name = {c.name: c for c in clusters}
    assert (int(by_name["Cold Brew"].keywords_count), int(by_name["Cold Brew"].volume)) == (2, 800)


def test_a_prompt_job_joining_existing_clusters_sets_their_totals_from_their_members(
    stack, account, fake_openai
):
    cold = make_cluster(account.account_id, "Cold Brew", COLD_BREW)  # 3 keywords, 3,400 volume
    moved = make_cluster(account.account_id, "Brewing", [("cold brew maker", 50)])
    kept = make_cluster(account.account_id, "Iced", [("cold brew vs iced tea", 70)])
    make_ideas(account.account_id, kept, ["Iced or cold brew?"])
    Cluster(account.account_id, cold).update(actions=[Cluster.keywords_count.set(99), Cluster.volume.set(1)])
    new_ids = add_keywords(account.account_id, [("cold brew concentrate", 600)])
    mapped = [
        int(k.id) for k in query_account(Keyword, account.account_id) if k.keyword != "cold brew recipe"
    ]
    fake_openai.queue_json(
        {
            "clusters": [
                {
                    "name": "cold brew",  # the existing cluster, named in another case
                    "keywords": [
                        "cold brew concentrate",
                        "cold brew maker",
                        "cold brew vs iced tea",
                        "how to make cold brew",
                    ],
                }
            ]
        }
    )

    status, body = api("POST", "/v1/planner/keywords/auto_cluster/", account.api_key, {"ids": mapped})
    assert status == 202, body
    job = load_job(account.account_id, body["task_id"], consistent=True)
    assert stack.wait_for_execution(job.execution_arn)["status"] == "SUCCEEDED"

    done = load_job(account.account_id, job.task_id, consistent=True)
    assert done.result["clusters_created"] == 0 and done.result["clusters_removed"] == 1
    clusters = {int(c.id): c for c in query_account(Cluster, account.account_id)}
    # "Brewing" lost its only keyword and had no ideas: gone. "Iced" has an idea: kept, empty.
    assert set(clusters) == {cold, kept}
    members = _members(account.account_id)
    assert sorted(k.keyword for k in members[cold]) == [
        "cold brew concentrate",
        "cold brew maker",
        "cold brew recipe",
        "cold brew vs iced coffee",
        "cold brew vs iced tea",
        "how to make cold brew",
    ]
    _assert_counts_equal_members(list(clusters.values()), members)
    assert int(clusters[kept].keywords_count) == 0 and moved not in clusters
    assert new_ids[0] in {int(k.id) for k in members[cold]}


def _site_sector(key: str) -> tuple[int, int]:
    _, site = api("POST", "/v1/planner/sites/", key, {"name": "Save site"})
    _, sector = api("POST", "/v1/planner/sectors/", key, {"name": "Coffee", "site_id": site["id"]})
    return int(site["id"]), int(sector["id"])


def test_a_semantic_job_joining_clusters_counts_their_members_not_their_stored_totals(stack, account):
    site_id, sector_id = _site_sector(account.api_key)
    add_keywords(account.account_id, _keywords(360), site_id=site_id, sector_id=sector_id)
    first = start_job(account.account_id, "auto_cluster", {"sector_id": sector_id}, sync=True)
    assert first.status == "completed" and first.result["strategy"] == "semantic", first.error
    for cluster in query_account(Cluster, account.account_id):  # totals gone wrong somehow
        cluster.update(actions=[Cluster.keywords_count.set(999), Cluster.volume.set(0)])
    later = add_keywords(account.account_id, _keywords(400)[360:], site_id=site_id, sector_id=sector_id)

    second = start_job(account.account_id, "auto_cluster", {"sector_id": sector_id}, sync=True)

    assert second.status == "completed", second.error
    assert second.result["clusters_updated"] >= 1  # the new keywords joined existing clusters
    members = _members(account.account_id)
    rows = {int(k.id): k for ks in members.values() for k in ks}
    touched = {int(rows[i].cluster_id) for i in later if i in rows}
    clusters = [c for c in query_account(Cluster, account.account_id) if int(c.id) in touched]
    assert clusters
    _assert_counts_equal_members(clusters, members)


def test_a_semantic_save_dying_after_the_keywords_is_retried_into_the_same_clusters(
    stack, account, monkeypatch
):
    site_id, sector_id = _site_sector(account.api_key)
    add_keywords(account.account_id, _keywords(320), site_id=site_id, sector_id=sector_id)
    job = create_job(
        account.account_id, "auto_cluster", {"sector_id": sector_id, "strategy": "semantic", "selected": 320}
    )
    dies = SaveDies(semantic_save.batch_save, die_on=2)  # 1: the keywords, 2: the new clusters

    def die_once(stage: int, item_state: dict[str, Any]) -> bool:
        if stage != 1:  # embed, cluster, name: the cluster stage's SAVE
            return False
        monkeypatch.setattr(semantic_save, "batch_save", dies)
        with pytest.raises(RuntimeError, match="SAVE died"):
            phases.run_save(item_state)
        assert list(query_account(Cluster, account.account_id)) == []
        assert _members(account.account_id)  # the keywords point at the new ids already
        monkeypatch.setattr(semantic_save, "batch_save", dies.real)
        return True

    _run_stages(job_state(job), die_once)

    done = load_job(account.account_id, job.task_id, consistent=True)
    assert done.status == "completed", done.error
    clusters = list(query_account(Cluster, account.account_id))
    members = _members(account.account_id)
    assert len(clusters) == done.result["clusters_created"] >= 5
    assert {int(c.id) for c in clusters} == set(members)
    _assert_counts_equal_members(clusters, members)
    assert done.result["keywords_updated"] + done.result["unassigned_count"] == 320
