"""Corrections by hand through the API on the local stack: clusters renamed, merged and deleted,
keywords moved and deleted, ideas, writer tasks and articles deleted, one site or sector read;
another account's ids are 404, and a record claimed by a running job is a 409."""

from __future__ import annotations

import pytest

from shared.db.models import Cluster, Content, ContentIdea, Keyword, SeedKeyword, WriterTask
from shared.db.repo import allocate_ids, batch_get, get_one
from shared.domain.clusters import cluster_name_ref, get_or_create_cluster, keywords_of_cluster
from shared.domain.keyword_selection import Selection, select_keywords
from tests.helpers import add_keywords, api

pytestmark = pytest.mark.integration


# ---------------------------------------------------------------- helpers
def make_scope(key: str, site: str = "Coffee blog", sector: str = "Brewing") -> tuple[int, int]:
    status, created = api("POST", "/v1/planner/sites/", key, {"name": site})
    assert status == 201
    status, sec = api("POST", "/v1/planner/sectors/", key, {"name": sector, "site_id": created["id"]})
    assert status == 201
    return created["id"], sec["id"]


def make_cluster(
    account_id: str, name: str, keywords: list[tuple[str, int]], site: int | None, sector: int | None
) -> tuple[int, list[int]]:
    """A new, empty cluster and new keywords of its site/sector (``fill`` moves them in)."""
    cluster, created = get_or_create_cluster(account_id, site, sector, name, "")
    assert created
    return int(cluster.id), add_keywords(account_id, keywords, site_id=site, sector_id=sector)


def fill(key: str, cluster_id: int, ids: list[int]) -> None:
    status, body = api("POST", "/v1/planner/keywords/move/", key, {"ids": ids, "cluster_id": cluster_id})
    assert status == 200, body


def cluster_of(key: str, cluster_id: int) -> dict:
    status, body = api("GET", f"/v1/planner/clusters/{cluster_id}/", key)
    assert status == 200, body
    return body


def assert_counts_true(key: str, cluster_id: int) -> dict:
    """The cluster's keywords_count and volume are those of its members."""
    body = cluster_of(key, cluster_id)
    assert body["keywords_count"] == len(body["keywords"]), body
    assert body["volume"] == sum(k["volume"] for k in body["keywords"]), body
    return body


def make_idea(account_id: str, cluster_id: int, title: str) -> int:
    (idea_id,) = allocate_ids(account_id, "idea", 1)
    ContentIdea(
        account_id,
        idea_id,
        idea_title=title,
        keyword_cluster_id=cluster_id,
        cluster_ref=f"{account_id}#{cluster_id}",
        status="new",
    ).save()
    return idea_id


def make_task(key: str, idea_id: int) -> int:
    status, body = api("POST", "/v1/writer/tasks/", key, {"idea_ids": [idea_id]})
    assert status == 201, body
    return body["results"][0]["id"]


def write_article(account_id: str, task_id: int) -> None:
    """The article generate_content leaves: a Content row and the task completed."""
    task = WriterTask.get(account_id, task_id)
    Content(
        account_id,
        task_id,
        html_content="<p>Steep for twelve hours.</p>",
        word_count=4,
        title=task.title,
        cluster_id=task.cluster_id,
        idea_id=task.idea_id,
    ).save()
    task.update(actions=[WriterTask.status.set("completed")])


@pytest.fixture
def scope(account) -> tuple[int, int]:
    return make_scope(account.api_key)


@pytest.fixture
def other_key(stack) -> str:
    from shared.services.accounts import create_account, create_api_key

    return create_api_key(create_account("Other agency").account_id)


# ---------------------------------------------------------------- rename
def test_rename_keeps_the_name_unique_in_its_site_and_sector(account, scope):
    site, sector = scope
    key, acc = account.api_key, account.account_id
    brew, _ = make_cluster(acc, "Cold brew", [("cold brew", 100)], site, sector)
    press, _ = make_cluster(acc, "French press", [("french press", 50)], site, sector)

    status, body = api(
        "PATCH",
        f"/v1/planner/clusters/{brew}/",
        key,
        {"name": "  Cold brew ratios ", "description": "Water to coffee", "status": "active"},
    )
    assert status == 200, body
    assert (body["name"], body["description"], body["status"]) == (
        "Cold brew ratios",
        "Water to coffee",
        "active",
    )
    stored = Cluster.get(acc, brew)
    assert stored.name_ref == cluster_name_ref(acc, site, sector, "cold brew ratios")
    # get-or-create finds the cluster by its new name, and the old name is free again.
    found, created = get_or_create_cluster(acc, site, sector, "COLD BREW RATIOS", "")
    assert (int(found.id), created) == (brew, False)
    status, body = api("PATCH", f"/v1/planner/clusters/{press}/", key, {"name": "Cold brew"})
    assert status == 200 and body["name"] == "Cold brew"

    status, body = api("PATCH", f"/v1/planner/clusters/{press}/", key, {"name": "cold BREW ratios"})
    assert status == 409 and body["error"] and f"cluster {brew}" in body["message"]
    assert Cluster.get(acc, press).name == "Cold brew"
    # The same cluster may change the case of its own name.
    status, body = api("PATCH", f"/v1/planner/clusters/{brew}/", key, {"name": "COLD BREW RATIOS"})
    assert status == 200 and body["name"] == "COLD BREW RATIOS"
    # Another sector of the site has its own names.
    sector2 = api("POST", "/v1/planner/sectors/", key, {"name": "Gear", "site_id": site})[1]["id"]
    gear, _ = make_cluster(acc, "Grinders", [("burr grinder", 10)], site, sector2)
    status, body = api("PATCH", f"/v1/planner/clusters/{gear}/", key, {"name": "Cold brew ratios"})
    assert status == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x", "status": "gone"}, "status"),
        ({"name": "x", "id": 3}, "id"),
    ],
)
def test_rename_bad_bodies_are_422_naming_the_field(account, scope, body, field):
    brew, _ = make_cluster(account.account_id, "Cold brew", [("cold brew", 100)], *scope)
    status, response = api("PATCH", f"/v1/planner/clusters/{brew}/", account.api_key, body)
    assert status == 422 and field in [e["field"] for e in response["errors"]]
    assert Cluster.get(account.account_id, brew).name == "Cold brew"


# ---------------------------------------------------------------- merge
def test_merge_moves_keywords_and_ideas_and_recomputes_the_target(account, scope):
    site, sector = scope
    key, acc = account.api_key, account.account_id
    target, t_ids = make_cluster(
        acc, "Cold brew", [("cold brew", 100), ("cold brew ratio", 40)], site, sector
    )
    src1, s1_ids = make_cluster(acc, "Cold brew coffee", [("cold brew coffee", 300)], site, sector)
    src2, s2_ids = make_cluster(acc, "Iced coffee", [("iced coffee", 70), ("iced latte", 30)], site, sector)
    for cid, ids in ((target, t_ids), (src1, s1_ids), (src2, s2_ids)):
        fill(key, cid, ids)
    idea = make_idea(acc, src1, "Cold brew coffee, step by step")
    task = make_task(key, idea)

    status, body = api(
        "POST", "/v1/planner/clusters/merge/", key, {"source_ids": [src1, src2], "target_id": target}
    )

    assert status == 200, body
    assert body["merged"] == [src1, src2] and body["keywords_moved"] == 3 and body["ideas_moved"] == 1
    merged = assert_counts_true(key, target)
    assert merged["keywords_count"] == 5 and merged["volume"] == 540
    assert body["target"]["keywords_count"] == 5
    assert {k["id"] for k in merged["keywords"]} == set(t_ids + s1_ids + s2_ids)
    for source in (src1, src2):
        assert api("GET", f"/v1/planner/clusters/{source}/", key)[0] == 404
    status, ideas = api("GET", "/v1/planner/ideas/", key, query={"cluster_id": str(target)})
    assert [i["id"] for i in ideas["results"]] == [idea]
    assert api("GET", f"/v1/writer/tasks/{task}/", key)[1]["cluster_id"] == target


def test_merge_refusals(account, scope, other_key):
    site, sector = scope
    key, acc = account.api_key, account.account_id
    target, t_ids = make_cluster(acc, "Cold brew", [("cold brew", 100)], site, sector)
    fill(key, target, t_ids)
    _, gear = make_scope(key, site="Gear site", sector="Gear")
    other_site = Cluster.get(
        acc, make_cluster(acc, "Grinders", [("burr grinder", 10)], *_scope_of(acc, gear))[0]
    )

    status, body = api(
        "POST", "/v1/planner/clusters/merge/", key, {"source_ids": [int(other_site.id)], "target_id": target}
    )
    assert status == 409 and "site/sector" in body["message"]
    status, body = api(
        "POST", "/v1/planner/clusters/merge/", key, {"source_ids": [target], "target_id": target}
    )
    assert status == 409 and "target" in body["message"]
    status, body = api(
        "POST", "/v1/planner/clusters/merge/", key, {"source_ids": [987654], "target_id": target}
    )
    assert status == 404 and "987654" in body["message"]
    status, body = api(
        "POST", "/v1/planner/clusters/merge/", key, {"source_ids": [5, 5], "target_id": target}
    )
    assert status == 422 and "duplicates" in body["message"]
    status, body = api(
        "POST", "/v1/planner/clusters/merge/", key, {"source_ids": list(range(1, 52)), "target_id": 99}
    )
    assert status == 422 and "source_ids" in [e["field"] for e in body["errors"]]
    # Nothing changed.
    assert Cluster.get(acc, int(other_site.id)).keywords_count == 0
    assert_counts_true(key, target)
    assert cluster_of(key, target)["keywords_count"] == 1


def _scope_of(account_id: str, sector_id: int) -> tuple[int, int]:
    from shared.db.models import Sector

    return int(Sector.get(account_id, sector_id).site_id), sector_id


# ---------------------------------------------------------------- delete a cluster
def test_delete_cluster_unclusters_its_keywords(account, scope):
    site, sector = scope
    key, acc = account.api_key, account.account_id
    cid, ids = make_cluster(acc, "Cold brew", [("cold brew", 100), ("cold brew ratio", 40)], site, sector)
    fill(key, cid, ids)

    status, body = api("DELETE", f"/v1/planner/clusters/{cid}/", key)

    assert status == 200 and body == {
        "deleted": cid,
        "keywords_unclustered": 2,
        "ideas_detached": 0,
        "tasks_detached": 0,
        "articles_detached": 0,
    }
    assert api("GET", f"/v1/planner/clusters/{cid}/", key)[0] == 404
    rows = batch_get(Keyword, acc, ids)
    assert [(k.cluster_id, k.status) for k in rows] == [(None, "active"), (None, "active")]
    unclustered = {int(k.id) for k in select_keywords(acc, Selection(sector_id=sector, unclustered=True))}
    assert unclustered == set(ids)
    assert {int(k.id) for k in select_keywords(acc, Selection(unclustered=True))} >= set(ids)
    assert keywords_of_cluster(acc, cid) == []
    # The name is free again in the scope.
    assert get_or_create_cluster(acc, site, sector, "Cold brew", "")[1] is True


def test_delete_cluster_with_written_work_needs_force_and_keeps_the_work(account, scope):
    key, acc = account.api_key, account.account_id
    cid, ids = make_cluster(acc, "Cold brew", [("cold brew", 100)], *scope)
    fill(key, cid, ids)
    idea = make_idea(acc, cid, "Cold brew at home")
    task = make_task(key, idea)
    write_article(acc, task)
    # A task whose idea is gone still belongs to the cluster (found through the tasks' index).
    orphan_idea = make_idea(acc, cid, "Cold brew in bulk")
    orphan = make_task(key, orphan_idea)
    assert api("DELETE", f"/v1/planner/ideas/{orphan_idea}/", key, query={"force": "true"})[0] == 200

    status, body = api("DELETE", f"/v1/planner/clusters/{cid}/", key)
    assert status == 409 and "force=true" in body["message"]
    assert "1 idea(s), 2 writer task(s) and 1 article(s)" in body["message"]
    assert cluster_of(key, cid)["keywords_count"] == 1

    status, body = api("DELETE", f"/v1/planner/clusters/{cid}/", key, query={"force": "true"})
    assert status == 200 and body["keywords_unclustered"] == 1
    assert (body["ideas_detached"], body["tasks_detached"], body["articles_detached"]) == (1, 2, 1)
    kept = ContentIdea.get(acc, idea)
    assert (kept.keyword_cluster_id, kept.task_id) == (None, task)
    assert [WriterTask.get(acc, t).cluster_id for t in (task, orphan)] == [None, None]
    assert Content.get(acc, task).cluster_id is None and Content.get(acc, task).html_content
    for path in ("/v1/planner/ideas/", "/v1/writer/tasks/", "/v1/writer/content/"):
        assert api("GET", path, key, query={"cluster_id": str(cid)})[1]["results"] == [], path


# ---------------------------------------------------------------- move keywords
def test_move_keywords_keeps_both_clusters_true(account, scope):
    site, sector = scope
    key, acc = account.api_key, account.account_id
    brew, brew_ids = make_cluster(
        acc, "Cold brew", [("cold brew", 100), ("cold brew ratio", 40)], site, sector
    )
    iced, iced_ids = make_cluster(
        acc, "Iced", [("iced coffee", 70), ("iced latte", 30), ("iced mocha", 5)], site, sector
    )
    fill(key, brew, brew_ids)
    fill(key, iced, iced_ids)
    loose = add_keywords(acc, [("cold brew concentrate", 20)], site_id=site, sector_id=sector)

    status, body = api(
        "POST", "/v1/planner/keywords/move/", key, {"ids": [iced_ids[0], *loose], "cluster_id": brew}
    )

    assert status == 200 and body["moved"] == 2
    assert {k["cluster_id"] for k in body["results"]} == {brew}
    assert {k["status"] for k in body["results"]} == {"mapped"}
    a, b = assert_counts_true(key, brew), assert_counts_true(key, iced)
    assert (a["keywords_count"], a["volume"]) == (4, 230)
    assert (b["keywords_count"], b["volume"]) == (2, 35)

    # A keyword already there is left alone; null takes keywords out of any cluster.
    status, body = api(
        "POST", "/v1/planner/keywords/move/", key, {"ids": [brew_ids[0], iced_ids[1]], "cluster_id": None}
    )
    assert status == 200 and body["moved"] == 2
    assert {(k["cluster_id"], k["status"]) for k in body["results"]} == {(None, "active")}
    a, b = assert_counts_true(key, brew), assert_counts_true(key, iced)
    assert (a["keywords_count"], b["keywords_count"]) == (3, 1)
    unclustered = {int(k.id) for k in select_keywords(acc, Selection(sector_id=sector, unclustered=True))}
    assert unclustered == {brew_ids[0], iced_ids[1]}
    status, body = api("POST", "/v1/planner/keywords/move/", key, {"ids": brew_ids[1:], "cluster_id": brew})
    assert status == 200 and body["moved"] == 0 and body["emptied_clusters"] == []
    assert_counts_true(key, brew)
    # A cluster left without keywords stays, and says so.
    status, body = api("POST", "/v1/planner/keywords/move/", key, {"ids": [iced_ids[2]], "cluster_id": brew})
    assert status == 200 and body["emptied_clusters"] == [iced]
    assert assert_counts_true(key, iced)["keywords_count"] == 0


def test_move_refusals(account, scope):
    site, sector = scope
    key, acc = account.api_key, account.account_id
    brew, brew_ids = make_cluster(acc, "Cold brew", [("cold brew", 100)], site, sector)
    fill(key, brew, brew_ids)
    elsewhere = add_keywords(acc, [("moka pot", 10)])  # no site, no sector

    status, body = api("POST", "/v1/planner/keywords/move/", key, {"ids": elsewhere, "cluster_id": brew})
    assert status == 409 and str(elsewhere[0]) in body["message"] and "site/sector" in body["message"]
    status, body = api("POST", "/v1/planner/keywords/move/", key, {"ids": brew_ids, "cluster_id": 424242})
    assert status == 404 and "cluster 424242" in body["message"]
    status, body = api("POST", "/v1/planner/keywords/move/", key, {"ids": [424242], "cluster_id": brew})
    assert status == 404 and "424242" in body["message"]
    status, body = api("POST", "/v1/planner/keywords/move/", key, {"ids": brew_ids * 2, "cluster_id": brew})
    assert status == 422 and "duplicates" in body["message"]
    status, body = api("POST", "/v1/planner/keywords/move/", key, {"ids": brew_ids})
    assert status == 422 and "cluster_id" in [e["field"] for e in body["errors"]]
    assert Keyword.get(acc, elsewhere[0]).cluster_id is None
    assert assert_counts_true(key, brew)["keywords_count"] == 1


# ---------------------------------------------------------------- delete keywords
def test_deleted_keywords_leave_true_counts_and_can_be_imported_again(account, scope):
    site, sector = scope
    key, acc = account.api_key, account.account_id
    words = [("cold brew", 100), ("cold brew ratio", 40), ("cold brew jar", 10), ("iced coffee", 70)]
    brew, ids = make_cluster(acc, "Cold brew", words, site, sector)
    fill(key, brew, ids)
    # The same keyword in another sector keeps its own row.
    other_sector = api("POST", "/v1/planner/sectors/", key, {"name": "Gear", "site_id": site})[1]["id"]
    (twin,) = add_keywords(acc, [("cold brew", 100)], site_id=site, sector_id=other_sector)

    status, body = api("DELETE", f"/v1/planner/keywords/{ids[0]}/", key)
    assert status == 200 and body == {"deleted": [ids[0]]}
    status, body = api("POST", "/v1/planner/keywords/delete/", key, {"ids": [ids[1], ids[2]]})
    assert status == 200 and body == {"deleted": [ids[1], ids[2]]}

    assert batch_get(Keyword, acc, ids[:3]) == []
    after = assert_counts_true(key, brew)
    assert (after["keywords_count"], after["volume"]) == (1, 70)
    seed = SeedKeyword.get(acc, "cold brew")
    assert seed.keyword_ids == {f"{site}:{other_sector}": twin}
    assert get_one(Keyword, acc, twin) is not None

    status, again = api(
        "POST",
        "/v1/planner/keywords/",
        key,
        {"keywords": [{"keyword": w, "volume": v} for w, v in words], "site_id": site, "sector_id": sector},
    )
    assert status == 201 and again["created"] == 3 and again["duplicates"] == ["iced coffee"]
    assert {k["keyword"] for k in again["results"]} == {"cold brew", "cold brew ratio", "cold brew jar"}
    assert {k["cluster_id"] for k in again["results"]} == {None}


def test_bulk_delete_is_all_or_nothing(account, scope):
    key, acc = account.api_key, account.account_id
    ids = add_keywords(acc, ["cold brew", "iced coffee"], site_id=scope[0], sector_id=scope[1])
    status, body = api("POST", "/v1/planner/keywords/delete/", key, {"ids": [ids[0], 424242]})
    assert status == 404 and "424242" in body["message"]
    assert len(batch_get(Keyword, acc, ids)) == 2
    status, body = api("POST", "/v1/planner/keywords/delete/", key, {"ids": list(range(1, 1002))})
    assert status == 422 and "ids" in [e["field"] for e in body["errors"]]
    assert api("DELETE", "/v1/planner/keywords/424242/", key)[0] == 404


# ---------------------------------------------------------------- ideas, tasks, articles
def test_delete_article_then_task_then_idea(account, scope):
    key, acc = account.api_key, account.account_id
    cid, _ = make_cluster(acc, "Cold brew", [("cold brew", 100)], *scope)
    idea = make_idea(acc, cid, "Cold brew at home")
    task = make_task(key, idea)
    write_article(acc, task)

    status, body = api("DELETE", f"/v1/planner/ideas/{idea}/", key)
    assert status == 409 and f"writer task {task}" in body["message"]
    status, body = api("DELETE", f"/v1/writer/tasks/{task}/", key)
    assert status == 409 and "article" in body["message"]

    status, body = api("DELETE", f"/v1/writer/content/{task}/", key)
    assert status == 200 and body["deleted"]["task_id"] == task
    assert get_one(Content, acc, task) is None
    assert WriterTask.get(acc, task).status == "queued"
    queued = api("GET", "/v1/writer/tasks/", key, query={"status": "queued"})[1]["results"]
    assert task in [t["id"] for t in queued]
    assert api("GET", f"/v1/writer/content/{task}/", key)[0] == 404
    assert api("DELETE", f"/v1/writer/content/{task}/", key)[0] == 404

    status, body = api("DELETE", f"/v1/writer/tasks/{task}/", key)
    assert status == 200 and body["deleted"]["id"] == task and body["content_deleted"] is False
    assert get_one(WriterTask, acc, task) is None
    back = ContentIdea.get(acc, idea)
    assert (back.status, back.task_id) == ("new", None)
    new_ideas = api("GET", "/v1/planner/ideas/", key, query={"status": "new"})[1]["results"]
    assert [(i["id"], i["task_id"]) for i in new_ideas] == [(idea, None)]
    # The idea can be queued again: a new task, not the deleted one.
    again = make_task(key, idea)
    assert again != task and ContentIdea.get(acc, idea).task_id == again

    status, body = api("DELETE", f"/v1/writer/tasks/{again}/", key)
    assert status == 200
    status, body = api("DELETE", f"/v1/planner/ideas/{idea}/", key)
    assert status == 200 and body["deleted"]["id"] == idea
    assert get_one(ContentIdea, acc, idea) is None
    assert api("DELETE", f"/v1/planner/ideas/{idea}/", key)[0] == 404


def test_forced_deletes(account, scope):
    key, acc = account.api_key, account.account_id
    cid, _ = make_cluster(acc, "Cold brew", [("cold brew", 100)], *scope)
    kept_idea, gone_idea = make_idea(acc, cid, "Kept"), make_idea(acc, cid, "Gone")
    task_with_article, kept_task = make_task(key, kept_idea), make_task(key, gone_idea)
    write_article(acc, task_with_article)
    write_article(acc, kept_task)

    # A forced task delete takes its article with it; the idea is free again.
    status, body = api("DELETE", f"/v1/writer/tasks/{task_with_article}/", key, query={"force": "true"})
    assert status == 200 and body["content_deleted"] is True
    assert get_one(Content, acc, task_with_article) is None
    assert (ContentIdea.get(acc, kept_idea).task_id, ContentIdea.get(acc, kept_idea).status) == (None, "new")

    # A forced idea delete keeps the task and its article, without the idea.
    status, body = api("DELETE", f"/v1/planner/ideas/{gone_idea}/", key, query={"force": "true"})
    assert status == 200
    assert get_one(ContentIdea, acc, gone_idea) is None
    assert WriterTask.get(acc, kept_task).idea_id is None
    assert Content.get(acc, kept_task).idea_id is None
    assert api("GET", f"/v1/writer/tasks/{kept_task}/", key)[1]["content"]["task_id"] == kept_task


# ---------------------------------------------------------------- sites and sectors
def test_read_one_site_and_one_sector_with_counts(account, scope):
    site, sector = scope
    key, acc = account.api_key, account.account_id
    cid, ids = make_cluster(acc, "Cold brew", [("cold brew", 100), ("cold brew ratio", 40)], site, sector)
    fill(key, cid, ids[:1])
    add_keywords(acc, ["coffee blog"], site_id=site)

    status, body = api("GET", f"/v1/planner/sectors/{sector}/", key)
    assert status == 200
    assert body == {
        "id": sector,
        "name": "Brewing",
        "site_id": site,
        "keywords_count": 2,
        "unclustered_count": 1,
        "clusters_count": 1,
    }
    status, body = api("GET", f"/v1/planner/sites/{site}/", key)
    assert status == 200
    assert body == {
        "id": site,
        "name": "Coffee blog",
        "domain": None,
        "sectors": [{"id": sector, "name": "Brewing"}],
        "keywords_count": 3,
        "clusters_count": 1,
    }
    assert api("GET", "/v1/planner/sites/424242/", key)[0] == 404
    assert api("GET", "/v1/planner/sectors/424242/", key)[0] == 404


# ---------------------------------------------------------------- account isolation
def test_another_accounts_ids_are_404_and_untouched(account, scope, other_key):
    site, sector = scope
    key, acc = account.api_key, account.account_id
    cid, ids = make_cluster(acc, "Cold brew", [("cold brew", 100)], site, sector)
    fill(key, cid, ids)
    target, _ = make_cluster(acc, "Iced", [("iced coffee", 5)], site, sector)
    idea = make_idea(acc, cid, "Cold brew at home")
    task = make_task(key, idea)
    write_article(acc, task)

    calls = [
        ("GET", f"/v1/planner/sites/{site}/", None),
        ("GET", f"/v1/planner/sectors/{sector}/", None),
        ("PATCH", f"/v1/planner/clusters/{cid}/", {"name": "Taken over"}),
        ("POST", "/v1/planner/clusters/merge/", {"source_ids": [cid], "target_id": target}),
        ("DELETE", f"/v1/planner/clusters/{cid}/", None),
        ("POST", "/v1/planner/keywords/move/", {"ids": ids, "cluster_id": None}),
        ("DELETE", f"/v1/planner/keywords/{ids[0]}/", None),
        ("POST", "/v1/planner/keywords/delete/", {"ids": ids}),
        ("DELETE", f"/v1/planner/ideas/{idea}/", None),
        ("DELETE", f"/v1/writer/tasks/{task}/", None),
        ("DELETE", f"/v1/writer/content/{task}/", None),
    ]
    for method, path, body in calls:
        status, response = api(
            method, path, other_key, body, query={"force": "true"} if method == "DELETE" else None
        )
        assert status == 404, (method, path, response)

    assert Cluster.get(acc, cid).name == "Cold brew" and get_one(Cluster, acc, target) is not None
    assert assert_counts_true(key, cid)["keywords_count"] == 1
    assert Keyword.get(acc, ids[0]).cluster_id == cid
    assert ContentIdea.get(acc, idea).task_id == task
    assert get_one(Content, acc, task) is not None and WriterTask.get(acc, task).status == "completed"


# ---------------------------------------------------------------- corrections and running jobs


# ---------------------------------------------------------------- pillars and centroids
def test_merge_and_delete_keep_pillars_and_centroids_true(account, scope):
    import numpy as np

    site, sector = scope
    key, acc = account.api_key, account.account_id
    target, t_ids = make_cluster(acc, "Cold brew", [("cold brew", 100)], site, sector)
    hub, h_ids = make_cluster(acc, "Coffee", [("coffee", 900)], site, sector)
    spoke, _ = make_cluster(acc, "Coffee beans", [], site, sector)
    fill(key, target, t_ids)
    fill(key, hub, h_ids)
    tag = "local#2"
    for cid, vector, pillar, samples in (
        (target, [1.0, 0.0], None, ["cold brew"]),
        (hub, [0.0, 1.0], hub, ["coffee", "cold brew"]),
        (spoke, [0.0, 1.0], hub, []),
    ):
        row = Cluster.get(acc, cid)
        row.centroid = np.asarray(vector, dtype="<f2").tobytes()
        row.centroid_tag, row.pillar_id, row.samples = tag, pillar, samples
        row.save()

    status, body = api("POST", "/v1/planner/clusters/merge/", key, {"source_ids": [hub], "target_id": target})

    assert status == 200, body
    merged = Cluster.get(acc, target)
    assert merged.pillar_id == target and Cluster.get(acc, spoke).pillar_id == target
    assert merged.samples == ["cold brew", "coffee"]
    centroid = np.frombuffer(merged.centroid, dtype="<f2").astype(np.float32)
    assert merged.centroid_tag == tag and np.allclose(centroid, [0.7071, 0.7071], atol=1e-3)

    status, _ = api("DELETE", f"/v1/planner/clusters/{target}/", key)
    assert status == 200 and Cluster.get(acc, spoke).pillar_id is None


# ---------------------------------------------------------------- corrections and running jobs
def test_a_record_claimed_by_a_running_job_is_a_409_naming_the_job(account, scope):
    from shared.db.claim_tables import cluster_claim, scope_claim, task_claim
    from shared.db.models import Job
    from shared.engine import claims
    from shared.engine.store import insert_job

    site, sector = scope
    key, acc = account.api_key, account.account_id
    brew, brew_ids = make_cluster(acc, "Cold brew", [("cold brew", 100)], site, sector)
    fill(key, brew, brew_ids)
    iced, _ = make_cluster(acc, "Iced", [], site, sector)
    idea = make_idea(acc, iced, "Iced coffee at home")
    task = make_task(key, idea)
    write_article(acc, task)
    ideas_job = insert_job(acc, "generate_ideas", {"ids": [brew]}, "async")
    writer_job = insert_job(acc, "generate_content", {"ids": [task]}, "async")
    for job in (ideas_job, writer_job):
        job.update(actions=[Job.status.set("running")])
    claims.acquire(acc, ideas_job.task_id, "generate_ideas", [cluster_claim(brew)])
    claims.acquire(acc, writer_job.task_id, "generate_content", [task_claim(task)])

    busy = [
        ("PATCH", f"/v1/planner/clusters/{brew}/", {"name": "Renamed"}, ideas_job),
        ("POST", "/v1/planner/clusters/merge/", {"source_ids": [iced], "target_id": brew}, ideas_job),
        ("DELETE", f"/v1/planner/clusters/{brew}/", None, ideas_job),
        ("POST", "/v1/planner/keywords/move/", {"ids": brew_ids, "cluster_id": None}, ideas_job),
        ("POST", "/v1/planner/keywords/delete/", {"ids": brew_ids}, ideas_job),
        ("DELETE", f"/v1/writer/content/{task}/", None, writer_job),
        ("DELETE", f"/v1/writer/tasks/{task}/", None, writer_job),
        ("DELETE", f"/v1/planner/ideas/{idea}/", None, writer_job),
    ]
    for method, path, body, job in busy:
        status, response = api(
            method, path, key, body, query={"force": "true"} if method == "DELETE" else None
        )
        assert status == 409, (method, path, response)
        assert response["error"] == "RecordBusy" and job.task_id in response["message"], response

    assert Cluster.get(acc, brew).name == "Cold brew" and Keyword.get(acc, brew_ids[0]).cluster_id == brew
    assert get_one(Content, acc, task) is not None and get_one(ContentIdea, acc, idea) is not None

    # A job over the whole scope (auto_cluster) holds its keywords too.
    scope_job = insert_job(acc, "auto_cluster", {"sector_id": sector}, "async")
    claims.acquire(acc, scope_job.task_id, "auto_cluster", [scope_claim(site, sector)])
    loose = add_keywords(acc, ["iced latte"], site_id=site, sector_id=sector)
    status, response = api("DELETE", f"/v1/planner/keywords/{loose[0]}/", key)
    assert status == 409 and scope_job.task_id in response["message"]

    # Once the jobs are over, the same corrections go through.
    for job in (ideas_job, writer_job, scope_job):
        job.update(actions=[Job.status.set("completed")])
    status, body = api("PATCH", f"/v1/planner/clusters/{brew}/", key, {"name": "Renamed"})
    assert status == 200 and body["name"] == "Renamed"
    status, body = api("DELETE", f"/v1/writer/content/{task}/", key)
    assert status == 200
    status, body = api("DELETE", f"/v1/planner/keywords/{loose[0]}/", key)
    assert status == 200
