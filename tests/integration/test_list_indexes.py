"""Every list filter is a Query of one index partition: a page never reads what it then drops.

Counted on pynamodb's one botocore client: each DynamoDB request of a list call, its index and
the items it read (``ScannedCount``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from pynamodb.transactions import TransactWrite

from shared.db.base import connection
from shared.db.models import Cluster, Content, ContentIdea, Job, Keyword, Sector, Site, WriterTask
from shared.db.repo import save_all
from tests.helpers import add_keywords, api

pytestmark = pytest.mark.integration


@dataclass
class Calls:
    """The DynamoDB requests made inside ``dynamodb_calls()``: (operation, params, response)."""

    made: list[tuple[str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)

    def of(self, operation: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [(params, parsed) for op, params, parsed in self.made if op == operation]

    @property
    def scanned(self) -> int:
        return sum(int(parsed.get("ScannedCount", 0)) for _, parsed in self.of("Query"))

    @property
    def indexes(self) -> list[str | None]:
        return [params.get("IndexName") for params, _ in self.of("Query")]


@contextmanager
def dynamodb_calls() -> Iterator[Calls]:
    calls = Calls()
    pending: list[dict[str, Any]] = []
    events = connection().client.meta.events

    def before(params: dict[str, Any], model: Any, **_: Any) -> None:
        pending.append(dict(params))

    def after(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        calls.made.append((model.name, pending.pop(0) if pending else {}, parsed))

    events.register("before-parameter-build.dynamodb", before, unique_id="h3-before")
    events.register("after-call.dynamodb", after, unique_id="h3-after")
    try:
        yield calls
    finally:
        events.unregister("before-parameter-build.dynamodb", unique_id="h3-before")
        events.unregister("after-call.dynamodb", unique_id="h3-after")


def _ids(body: dict[str, Any], key: str = "id") -> list[int]:
    return [int(r[key]) for r in body["results"]]


def _plan(account_id: str) -> dict[str, Any]:
    """Two sectors, three clusters, ideas, tasks and articles with known statuses."""
    Site(account_id, 1, name="Coffee").save()
    Sector(account_id, 1, site_id=1, name="Brewing").save()
    Sector(account_id, 2, site_id=1, name="Gear").save()
    clusters = [
        Cluster(
            account_id, 1, name="Cold brew", name_ref=f"{account_id}#1#1#cold brew", site_id=1, sector_id=1
        ),
        Cluster(
            account_id, 2, name="Espresso", name_ref=f"{account_id}#1#1#espresso", site_id=1, sector_id=1
        ),
        Cluster(
            account_id, 3, name="Grinders", name_ref=f"{account_id}#1#2#grinders", site_id=1, sector_id=2
        ),
    ]
    ideas = [
        ContentIdea(account_id, i, idea_title=f"Idea {i}", keyword_cluster_id=c, status=s)
        for i, c, s in [(1, 1, "new"), (2, 1, "scheduled"), (3, 2, "new"), (4, 3, "published")]
    ]
    tasks = [
        WriterTask(account_id, i, title=f"Task {i}", cluster_id=c, status=s)
        for i, c, s in [(1, 1, "queued"), (2, 1, "completed"), (3, 2, "queued"), (4, None, "failed")]
    ]
    content = [
        Content(account_id, t, title=f"Article {t}", cluster_id=c, status=s, html_content="<p>x</p>")
        for t, c, s in [(1, 1, "draft"), (2, 1, "published"), (3, 2, "draft")]
    ]
    save_all([*clusters, *ideas, *tasks, *content])
    return {"clusters": clusters}


# ---------------------------------------------------------------- keywords
def test_a_filtered_keyword_list_reads_one_page_of_one_index_partition(account):
    ids = add_keywords(account.account_id, [f"coffee keyword {i}" for i in range(600)])
    rare = ids[17], ids[450]
    for keyword_id in rare:  # a loaded record, updated in place: its status keys follow
        Keyword.get(account.account_id, keyword_id).update(actions=[Keyword.status.set("archived")])
    key = account.api_key

    with dynamodb_calls() as calls:
        status, body = api("GET", "/v1/planner/keywords/", key, query={"status": "archived", "limit": "100"})
    assert status == 200 and _ids(body) == list(rare) and body["next"] is None
    assert len(calls.of("Query")) == 1 and calls.indexes == ["by_status"] and calls.scanned == 2

    with dynamodb_calls() as calls:
        status, body = api("GET", "/v1/planner/keywords/", key, query={"status": "pending"})
    assert status == 200 and body == {"results": [], "next": None} and calls.scanned == 0

    # A page of the 598 active ones reads that page (and the one item that says more follow).
    with dynamodb_calls() as calls:
        status, body = api("GET", "/v1/planner/keywords/", key, query={"status": "active", "limit": "50"})
    assert len(body["results"]) == 50 and body["next"] == body["results"][-1]["id"]
    assert len(calls.of("Query")) == 1 and calls.scanned == 51
    assert all(r["status"] == "active" and r["keyword"].startswith("coffee") for r in body["results"])

    # Unknown status: a 422 naming the allowed values, nothing read.
    with dynamodb_calls() as calls:
        status, body = api("GET", "/v1/planner/keywords/", key, query={"status": "bogus"})
    assert status == 422 and body["errors"][0]["field"] == "query.status"
    assert "'active'" in body["message"] and "'archived'" in body["message"]
    assert calls.of("Query") == []


def test_keyword_status_with_a_sector_or_a_cluster_is_one_index(account):
    account_id = account.account_id
    _plan(account_id)
    brewing = add_keywords(
        account_id, ["v60 ratio", "chemex filter", "aeropress recipe"], site_id=1, sector_id=1
    )
    gear = add_keywords(account_id, ["burr grinder", "hand grinder"], site_id=1, sector_id=2)
    rows = {int(k.id): k for k in Keyword.batch_get([(account_id, i) for i in brewing + gear])}
    rows[brewing[0]].cluster_id, rows[brewing[0]].status = 1, "mapped"
    rows[brewing[1]].cluster_id, rows[brewing[1]].status = 1, "mapped"
    rows[gear[0]].cluster_id, rows[gear[0]].status = 3, "mapped"
    save_all([rows[brewing[0]], rows[brewing[1]], rows[gear[0]]])
    key = account.api_key

    def listed(**query: str) -> tuple[list[int], list[str | None]]:
        with dynamodb_calls() as calls:
            status, body = api("GET", "/v1/planner/keywords/", key, query=query)
        assert status == 200, body
        return _ids(body), calls.indexes

    assert listed(status="mapped", sector_id="1") == (brewing[:2], ["by_sector_status"])
    assert listed(status="active", sector_id="1") == (brewing[2:], ["by_sector_status"])
    assert listed(status="mapped", cluster_id="1") == (brewing[:2], ["by_cluster_status"])
    assert listed(status="active", cluster_id="1") == ([], ["by_cluster_status"])
    assert listed(cluster_id="3") == ([gear[0]], ["by_cluster"])
    assert listed(sector_id="2") == (gear, ["by_sector"])
    assert listed(cluster_id="3", sector_id="1")[0] == []  # the cluster lies in another sector
    # A keyword moved out of its cluster leaves the cluster's indexes with the same write.
    row = Keyword.get(account_id, brewing[0])
    row.update(actions=[Keyword.cluster_id.remove(), Keyword.status.set("active")])
    assert listed(status="mapped", cluster_id="1") == ([brewing[1]], ["by_cluster_status"])
    assert listed(status="active", sector_id="1")[0] == [brewing[0], brewing[2]]

    # What a status index shows is what the table shows (the index projects every listed field).
    full = api("GET", "/v1/planner/keywords/", key)[1]["results"]
    by_status = api("GET", "/v1/planner/keywords/", key, query={"status": "mapped"})[1]["results"]
    assert by_status == [k for k in full if k["status"] == "mapped"] and len(by_status) == 2


# ---------------------------------------------------------------- clusters, ideas, tasks, articles
def test_every_status_and_cluster_filter_of_the_other_lists_is_one_index(account):
    account_id = account.account_id
    _plan(account_id)
    key = account.api_key
    cases = [
        ("/v1/planner/clusters/", {"status": "active"}, [1, 2, 3], "by_status"),
        ("/v1/planner/clusters/", {"status": "active", "sector_id": "2"}, [3], "by_scope_status"),
        ("/v1/planner/clusters/", {"sector_id": "1"}, [1, 2], "by_scope"),
        ("/v1/planner/ideas/", {"status": "new"}, [1, 3], "by_status"),
        ("/v1/planner/ideas/", {"status": "new", "cluster_id": "1"}, [1], "by_cluster_status"),
        ("/v1/planner/ideas/", {"cluster_id": "1"}, [1, 2], "by_cluster"),
        ("/v1/writer/tasks/", {"status": "queued"}, [1, 3], "by_status"),
        ("/v1/writer/tasks/", {"cluster_id": "1"}, [1, 2], "by_cluster"),
        ("/v1/writer/tasks/", {"cluster_id": "1", "status": "completed"}, [2], "by_cluster_status"),
        ("/v1/writer/tasks/", {"status": "failed"}, [4], "by_status"),
        ("/v1/writer/content/", {"status": "draft"}, [1, 3], "by_status"),
        ("/v1/writer/content/", {"cluster_id": "1"}, [1, 2], "by_cluster"),
        ("/v1/writer/content/", {"cluster_id": "2", "status": "draft"}, [3], "by_cluster_status"),
    ]
    for path, query, expected, index in cases:
        with dynamodb_calls() as calls:
            status, body = api("GET", path, key, query=query)
        id_key = "task_id" if "content" in path else "id"
        assert status == 200 and _ids(body, id_key) == expected, (path, query, body)
        assert calls.indexes == [index], (path, query)
        assert calls.scanned == len(expected), (path, query)
    # Pages of one index: limit 1, then after.
    first = api("GET", "/v1/writer/tasks/", key, query={"status": "queued", "limit": "1"})[1]
    assert _ids(first) == [1] and first["next"] == 1
    rest = api("GET", "/v1/writer/tasks/", key, query={"status": "queued", "after": "1"})[1]
    assert _ids(rest) == [3] and rest["next"] is None
    # An article list has no HTML; the article itself has it.
    assert "html" not in api("GET", "/v1/writer/content/", key, query={"status": "draft"})[1]["results"][0]
    assert api("GET", "/v1/writer/content/1/", key)[1]["html"] == "<p>x</p>"
    for path, allowed in [
        ("/v1/planner/clusters/", "'active'"),
        ("/v1/planner/ideas/", "'scheduled'"),
        ("/v1/writer/tasks/", "'queued'"),
        ("/v1/writer/content/", "'draft'"),
    ]:
        status, body = api("GET", path, key, query={"status": "bogus"})
        assert status == 422 and allowed in body["message"], (path, body)


def test_index_keys_follow_every_kind_of_write(account):
    account_id = account.account_id
    _plan(account_id)
    key = account.api_key

    def queued() -> list[int]:
        return _ids(api("GET", "/v1/writer/tasks/", key, query={"status": "queued"})[1])

    # A bare instance (no record read): the guard fails, the record is read, the keys follow.
    WriterTask(account_id, 1).update(actions=[WriterTask.status.set("completed")])
    assert queued() == [3]
    stored = WriterTask.get(account_id, 1)
    assert (stored.status_ref, stored.cluster_status_ref) == (
        f"{account_id}#completed",
        f"{account_id}#1#completed",
    )
    # A stale instance (its cluster changed since it was read): the keys follow the stored record.
    stale = WriterTask.get(account_id, 3)
    WriterTask.get(account_id, 3).update(actions=[WriterTask.cluster_id.set(1)])
    stale.update(actions=[WriterTask.status.set("failed")])
    stored = WriterTask.get(account_id, 3)
    assert stored.cluster_status_ref == f"{account_id}#1#failed" and queued() == []
    failed = api("GET", "/v1/writer/tasks/", key, query={"cluster_id": "1", "status": "failed"})[1]
    assert _ids(failed) == [3]
    # The caller's own condition still decides (and the error is the one it expects).
    from pynamodb.exceptions import UpdateError

    with pytest.raises(UpdateError) as refused:
        stored.update(actions=[WriterTask.status.set("queued")], condition=WriterTask.status == "queued")
    assert refused.value.cause_response_code == "ConditionalCheckFailedException"
    assert WriterTask.get(account_id, 3).status_ref == f"{account_id}#failed"
    # A transaction's update carries the keys too (as the ideas -> tasks flow writes ideas).
    idea = ContentIdea.get(account_id, 3)
    with TransactWrite(connection=connection()) as transaction:
        transaction.update(idea, actions=[ContentIdea.status.set("scheduled"), ContentIdea.task_id.set(99)])
    scheduled = api("GET", "/v1/planner/ideas/", key, query={"status": "scheduled", "cluster_id": "2"})[1]
    assert _ids(scheduled) == [3]
    assert _ids(api("GET", "/v1/planner/ideas/", key, query={"status": "new"})[1]) == [1]


# ---------------------------------------------------------------- jobs
def _jobs(account_id: str) -> list[Job]:
    specs = [  # (task id, function, status, created_at): two share a created_at
        ("a", "auto_cluster", "completed", "2026-11-01T10:00:00.000Z"),
        ("b", "generate_ideas", "failed", "2026-11-02T10:00:00.000Z"),
        ("c", "generate_ideas", "completed", "2026-11-03T10:00:00.000Z"),
        ("d", "generate_content", "running", "2026-11-03T10:00:00.000Z"),
        ("e", "generate_ideas", "completed", "2026-11-04T10:00:00.000Z"),
    ]
    jobs = [
        Job(account_id, f"job-{t}", function_name=f, status=s, created_at=c, updated_at=c)
        for t, f, s, c in specs
    ]
    save_all(jobs)
    return jobs


def _all_pages(key: str, **query: str) -> tuple[list[str], int]:
    seen: list[str] = []
    pages = 0
    after: str | None = None
    while True:
        params = {**query, **({"after": after} if after else {})}
        status, body = api("GET", "/v1/jobs/", key, query=params)
        assert status == 200, body
        pages += 1
        seen.extend(j["task_id"] for j in body["results"])
        if not (after := body["next"]):
            return seen, pages


def test_jobs_newest_first_by_index_with_filters_and_a_cursor(account):
    _jobs(account.account_id)
    key = account.api_key
    with dynamodb_calls() as calls:
        status, body = api("GET", "/v1/jobs/", key, query={"limit": "2"})
    first = [j["task_id"] for j in body["results"]]
    assert status == 200 and first[0] == "job-e" and first[1] in ("job-c", "job-d")
    assert body["next"] == f"2026-11-03T10:00:00.000Z~{first[1]}"
    assert calls.indexes == ["by_created"] and calls.scanned == 3
    # c and d share a created_at (their order is the index's): every page follows on exactly.
    for size in ("1", "2", "3"):
        seen, pages = _all_pages(key, limit=size)
        assert seen[0] == "job-e" and set(seen[1:3]) == {"job-c", "job-d"} and seen[3:] == ["job-b", "job-a"]
        assert pages == -(-5 // int(size))

    cases = [
        ({"function": "generate_ideas"}, ["job-e", "job-c", "job-b"], "by_function"),
        ({"status": "completed"}, ["job-e", "job-c", "job-a"], "by_status"),
        ({"function": "generate_ideas", "status": "completed"}, ["job-e", "job-c"], "by_function_status"),
        ({"function": "generate_content", "status": "failed"}, [], "by_function_status"),
    ]
    for query, expected, index in cases:
        with dynamodb_calls() as calls:
            body = api("GET", "/v1/jobs/", key, query=query)[1]
        assert [j["task_id"] for j in body["results"]] == expected and calls.indexes == [index], query
        assert calls.scanned == len(expected)
        assert _all_pages(key, limit="1", **query)[0] == expected

    # A job's status change moves it between the status indexes (a bare instance, as the engine
    # writes progress): running -> completed.
    Job(account.account_id, "job-d").update(actions=[Job.status.set("completed")])
    completed = api("GET", "/v1/jobs/", key, query={"status": "completed"})[1]
    assert [j["task_id"] for j in completed["results"]] == ["job-e", "job-d", "job-c", "job-a"]
    assert api("GET", "/v1/jobs/", key, query={"status": "running"})[1]["results"] == []

    # Bad input is a 422 naming the field; never a 500.
    for query, field_name in [
        ({"status": "done"}, "query.status"),
        ({"function": "summarise"}, "function"),
        ({"after": "not-a-cursor"}, "query.after"),
        ({"after": "~"}, "query.after"),
    ]:
        status, body = api("GET", "/v1/jobs/", key, query=query)
        assert status == 422 and body["errors"][0]["field"] == field_name, (query, body)
    assert "generate_ideas" in api("GET", "/v1/jobs/", key, query={"function": "summarise"})[1]["message"]
    # A well-formed cursor past the end is an empty page.
    past = api("GET", "/v1/jobs/", key, query={"after": "2000-01-01T00:00:00.000Z~x"})[1]
    assert past == {"results": [], "next": None}


# ---------------------------------------------------------------- scheduled-batch selectors
def test_the_scheduled_selectors_query_their_indexes(account):
    from shared.functions.registry import get_function_instance

    account_id = account.account_id
    _plan(account_id)
    content = get_function_instance("generate_content")
    with dynamodb_calls() as calls:
        assert content.select_batch(account_id, 10) == [1, 3]
    assert calls.indexes == ["by_status"] and calls.scanned == 2
    assert content.select_batch(account_id, 1) == [1]

    ideas = get_function_instance("generate_ideas")
    # Clusters 1..3 were saved with ideas behind the selector's back (no mark cleared): each is
    # checked once, its mark cleared, and a new cluster without ideas is selected.
    save_all(
        [Cluster(account_id, 4, name="Moka pots", name_ref=f"{account_id}#1#1#moka", site_id=1, sector_id=1)]
    )
    with dynamodb_calls() as calls:
        assert ideas.select_batch(account_id, 10) == [4]
    assert set(calls.indexes) == {"needs_ideas", "by_cluster"} and "Scan" not in [
        op for op, _, _ in calls.made
    ]
    assert [bool(Cluster.get(account_id, i).has_ideas) for i in (1, 2, 3, 4)] == [
        True,
        True,
        True,
        False,
    ]
    with dynamodb_calls() as calls:
        assert ideas.select_batch(account_id, 10) == [4]
    assert calls.indexes == ["needs_ideas", "by_cluster"]  # the marks stay cleared: one candidate
    # A re-saved cluster keeps its mark state; a cluster set to has_ideas leaves the index.
    save_all([Cluster.get(account_id, 1)])
    Cluster.get(account_id, 4).update(actions=[Cluster.has_ideas.set(True)])
    assert ideas.select_batch(account_id, 10) == []
