"""One job at a time per record: a job claims the records it changes from its acceptance to its end.

A second job over claimed records is refused with a 409 naming the running job (nothing of it is
kept: no job row, no credits held); the claims go when the job ends or fails, and a crashed job's
claims expire and are taken over. A cluster is created only with its keywords, and its counts
always equal its members.
"""

from __future__ import annotations

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from shared.db.base import utcnow
from shared.db.claim_tables import cluster_claim, scope_claim, task_claim
from shared.db.models import Claim, Cluster, Job, Keyword
from shared.db.repo import get_account, query_account
from shared.engine.accounting import charged_credits, ledger_entries
from shared.engine.claims import ensure_free
from shared.engine.store import load_job
from shared.errors import RecordBusy
from shared.services.content_plan import create_tasks_from_ideas
from shared.services.jobs import start_job
from tests.fakes.openai_server import FakeReply
from tests.helpers import add_keywords, api
from tests.integration.test_ideas_content_flow import COLD_BREW, make_cluster, make_ideas

pytestmark = pytest.mark.integration

TOPICS = {
    "cold brew": ["recipe", "ratio", "maker", "concentrate", "at home"],
    "espresso machine": ["best", "cheap", "for home", "reviews", "repair"],
    "pour over": ["kettle", "ratio", "technique", "filter", "grind size"],
    "french press": ["ratio", "cleaning", "grind", "recipe", "time"],
}
BUSY = re.compile(
    r"(?P<what>.+) is being changed by job (?P<task>[0-9a-f-]{36}) \((?P<fn>\w+), (?P<status>pending|running)\); "
    r"follow it at /v1/jobs/(?P=task)$"
)


def _site_sector(key: str) -> tuple[int, int]:
    _, site = api("POST", "/v1/planner/sites/", key, {"name": "Claims site"})
    _, sector = api("POST", "/v1/planner/sectors/", key, {"name": "Coffee", "site_id": site["id"]})
    return int(site["id"]), int(sector["id"])


def _topic_keywords(account_id: str, site_id: int, sector_id: int) -> list[int]:
    specs = [
        (f"{head} {tail}", 100 + 10 * n) for head, tails in TOPICS.items() for n, tail in enumerate(tails)
    ]
    return add_keywords(account_id, specs, site_id=site_id, sector_id=sector_id)


def _balance(account_id: str) -> int:
    account = get_account(account_id)
    assert account is not None
    return int(account.credits)


def _claims(account_id: str) -> dict[str, str]:
    """Every claim row of the account: ref -> task id (the jobs' own lists included)."""
    return {c.ref: c.task_id for c in Claim.query(account_id, consistent_read=True)}


def _assert_counts_equal_members(account_id: str) -> list[Cluster]:
    """No cluster without keywords; each cluster's keywords_count and volume are its members'."""
    members: dict[int, list[Keyword]] = {}
    for keyword in query_account(Keyword, account_id):
        if keyword.cluster_id is not None:
            members.setdefault(int(keyword.cluster_id), []).append(keyword)
    clusters = list(query_account(Cluster, account_id))
    assert clusters
    for cluster in clusters:
        mine = members.get(int(cluster.id), [])
        assert mine, f"cluster {cluster.name!r} has no keywords"
        assert int(cluster.keywords_count) == len(mine), cluster.name
        assert int(cluster.volume) == sum(k.volume for k in mine), cluster.name
    assert set(members) <= {int(c.id) for c in clusters}  # no keyword points at a missing cluster
    return clusters


def _concurrently(count: int, call: Any) -> list[Any]:
    barrier = threading.Barrier(count)

    def attempt(_: int) -> Any:
        barrier.wait()
        try:
            return call()
        except RecordBusy as exc:
            return exc

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(attempt, range(count)))


def test_five_concurrent_auto_cluster_requests_start_one_job(stack, account):
    site_id, sector_id = _site_sector(account.api_key)
    _topic_keywords(account.account_id, site_id, sector_id)
    before = _balance(account.account_id)

    outcomes = _concurrently(
        5, lambda: start_job(account.account_id, "auto_cluster", {"sector_id": sector_id})
    )

    (job,) = [o for o in outcomes if isinstance(o, Job)]
    refused = [o for o in outcomes if isinstance(o, RecordBusy)]
    assert len(refused) == 4
    for exc in refused:
        match = BUSY.match(str(exc))
        assert match, str(exc)
        assert match["what"] == f"sector {sector_id} of site {site_id}"
        assert (match["task"], match["fn"]) == (job.task_id, "auto_cluster")
        assert exc.status_code == 409 and exc.task_id == job.task_id
    # Nothing of the refused requests is kept: one job, one reservation.
    assert [j.task_id for j in query_account(Job, account.account_id)] == [job.task_id]
    assert _balance(account.account_id) == before - int(job.reserved_credits)
    assert _claims(account.account_id)[scope_claim(site_id, sector_id)] == job.task_id

    assert stack.wait_for_execution(job.execution_arn, timeout=120)["status"] == "SUCCEEDED"
    done = load_job(account.account_id, job.task_id, consistent=True)
    assert done.status == "completed" and done.result["clusters_created"] >= 2
    _assert_counts_equal_members(account.account_id)
    assert _balance(account.account_id) == before - charged_credits(account.account_id, job.task_id)
    assert _claims(account.account_id) == {}  # released at DONE

    # The same records again, now that the job is over: accepted, and the clusters it joins
    # keep counts equal to their members.
    status, body = api(
        "POST", "/v1/planner/keywords/auto_cluster/", account.api_key, {"sector_id": sector_id}
    )
    assert status == 202, body
    again = load_job(account.account_id, body["task_id"], consistent=True)
    assert stack.wait_for_execution(again.execution_arn, timeout=120)["status"] == "SUCCEEDED"
    assert load_job(account.account_id, again.task_id).result["clusters_updated"] >= 2
    clusters = _assert_counts_equal_members(account.account_id)
    assert len({c.name.casefold() for c in clusters}) == len(clusters)  # nothing made twice


def test_the_api_answers_409_naming_the_running_job_and_accepts_once_it_is_over(stack, account, fake_openai):
    cluster_id = make_cluster(account.account_id, "Cold Brew", COLD_BREW)
    gate = threading.Event()
    ideas = {"ideas": [{"title": "Cold brew at home", "description": "Steps", "cluster_id": cluster_id}]}

    def held_answer(request: Any) -> FakeReply:
        gate.wait(30)  # the job stays in AI_CALL until the test lets it go
        return FakeReply(content=json.dumps(ideas))

    fake_openai.responder = held_answer
    path = "/v1/planner/clusters/auto_generate_ideas/"
    status, first = api("POST", path, account.api_key, {"ids": [cluster_id]})
    assert status == 202, first
    task_id = first["task_id"]
    try:
        for _ in range(200):  # until the job's AI call has reached the provider
            if fake_openai.requests:
                break
            threading.Event().wait(0.05)
        assert fake_openai.requests

        status, body = api("POST", path, account.api_key, {"ids": [cluster_id]})

        assert status == 409
        assert body == {
            "success": False,
            "error": "RecordBusy",
            "message": f"cluster {cluster_id} is being changed by job {task_id} (generate_ideas, running); "
            f"follow it at /v1/jobs/{task_id}",
        }
        # A correction of the cluster is refused the same way while the job runs.
        with pytest.raises(RecordBusy, match=f"cluster {cluster_id} is being changed by job {task_id}"):
            ensure_free(account.account_id, [cluster_claim(cluster_id)])
    finally:
        gate.set()
    job = load_job(account.account_id, task_id, consistent=True)
    assert stack.wait_for_execution(job.execution_arn, timeout=60)["status"] == "SUCCEEDED"
    assert [j.task_id for j in query_account(Job, account.account_id)] == [task_id]

    fake_openai.responder = lambda request: FakeReply(content=json.dumps(ideas))
    status, body = api("POST", path, account.api_key, {"ids": [cluster_id]})
    assert status == 202, body


def test_a_failed_job_releases_its_claims(stack, account, fake_openai):
    site_id, sector_id = _site_sector(account.api_key)
    add_keywords(
        account.account_id, ["pour over ratio", "pour over kettle"], site_id=site_id, sector_id=sector_id
    )
    fake_openai.queue(FakeReply(content="Sorry, I cannot produce clusters right now."))

    job = start_job(account.account_id, "auto_cluster", {"sector_id": sector_id})
    assert _claims(account.account_id)[scope_claim(site_id, sector_id)] == job.task_id
    assert stack.wait_for_execution(job.execution_arn)["status"] == "FAILED"

    assert load_job(account.account_id, job.task_id, consistent=True).status == "failed"
    assert _claims(account.account_id) == {}
    fake_openai.queue_json(
        {"clusters": [{"name": "Pour over", "keywords": ["pour over ratio", "pour over kettle"]}]}
    )
    again = start_job(account.account_id, "auto_cluster", {"sector_id": sector_id})
    assert stack.wait_for_execution(again.execution_arn)["status"] == "SUCCEEDED"
    (cluster,) = _assert_counts_equal_members(account.account_id)
    assert (cluster.name, int(cluster.keywords_count)) == ("Pour over", 2)


def test_a_start_that_fails_releases_its_claims(stack, account, monkeypatch):
    from shared.services import jobs

    site_id, sector_id = _site_sector(account.api_key)
    add_keywords(account.account_id, ["moka pot", "moka pot size"], site_id=site_id, sector_id=sector_id)
    held_at_start: list[dict[str, str]] = []

    class Unavailable:
        def start_execution(self, **kwargs: Any) -> dict[str, str]:
            held_at_start.append(_claims(account.account_id))
            raise RuntimeError("Step Functions is unavailable")

    monkeypatch.setattr(jobs, "step_functions", lambda: Unavailable())
    with pytest.raises(jobs.JobStartFailed, match="the job could not be started; try again"):
        start_job(account.account_id, "auto_cluster", {"sector_id": sector_id})

    (job,) = query_account(Job, account.account_id)
    assert held_at_start[0][scope_claim(site_id, sector_id)] == job.task_id  # claimed before the start
    assert (job.status, job.error_type, job.unstarted) == ("failed", "JobStartFailed", None)
    assert int(job.settled_refund) == int(job.reserved_credits)
    assert _claims(account.account_id) == {}


def test_an_expired_claim_is_taken_over(stack, account):
    site_id, sector_id = _site_sector(account.api_key)
    _topic_keywords(account.account_id, site_id, sector_id)
    ref = scope_claim(site_id, sector_id)
    # A job that crashed while running: its row says running, its claim is still there.
    Job(account.account_id, "crashed-job", function_name="auto_cluster", status="running").save()
    claim = Claim(
        account.account_id,
        ref,
        task_id="crashed-job",
        function_name="auto_cluster",
        expires_at=utcnow() + timedelta(hours=1),
    )
    claim.save()

    with pytest.raises(RecordBusy) as refused:
        start_job(account.account_id, "auto_cluster", {"sector_id": sector_id})
    assert str(refused.value) == (
        f"sector {sector_id} of site {site_id} is being changed by job crashed-job (auto_cluster, running); "
        "follow it at /v1/jobs/crashed-job"
    )

    claim.update(actions=[Claim.expires_at.set(utcnow() - timedelta(seconds=1))])
    job = start_job(account.account_id, "auto_cluster", {"sector_id": sector_id})

    assert _claims(account.account_id)[ref] == job.task_id
    assert stack.wait_for_execution(job.execution_arn, timeout=120)["status"] == "SUCCEEDED"
    assert _claims(account.account_id) == {}


def test_a_finished_jobs_leftover_claim_is_taken_over(stack, account):
    """A release that failed leaves a claim of a completed job: the next job takes it over."""
    cluster_id = make_cluster(account.account_id, "Cold Brew", COLD_BREW)
    Job(account.account_id, "ended-job", function_name="generate_ideas", status="completed").save()
    Claim(
        account.account_id,
        cluster_claim(cluster_id),
        task_id="ended-job",
        function_name="generate_ideas",
        expires_at=utcnow() + timedelta(hours=1),
    ).save()

    job = start_job(account.account_id, "generate_ideas", {"ids": [cluster_id]})

    assert _claims(account.account_id)[cluster_claim(cluster_id)] == job.task_id
    assert stack.wait_for_execution(job.execution_arn)["status"] == "SUCCEEDED"


def test_three_concurrent_generate_content_requests_write_one_article_and_charge_once(stack, account):
    cluster_id = make_cluster(account.account_id, "Cold Brew", COLD_BREW)
    (idea_id,) = make_ideas(account.account_id, cluster_id, ["Cold brew at home"])
    (task,) = create_tasks_from_ideas(account.account_id, [idea_id])
    before = _balance(account.account_id)

    outcomes = _concurrently(
        3, lambda: start_job(account.account_id, "generate_content", {"ids": [int(task.id)]})
    )

    (job,) = [o for o in outcomes if isinstance(o, Job)]
    refused = [o for o in outcomes if isinstance(o, RecordBusy)]
    assert len(refused) == 2
    for exc in refused:
        match = BUSY.match(str(exc))
        assert match and match["what"] == f"writer task {int(task.id)}" and match["task"] == job.task_id
    assert stack.wait_for_execution(job.execution_arn, timeout=120)["status"] == "SUCCEEDED"
    assert [j.task_id for j in query_account(Job, account.account_id)] == [job.task_id]
    entries = ledger_entries(account.account_id, job.task_id)
    assert [int(e.credits) for e in entries] == [1]
    assert _balance(account.account_id) == before - 1
    assert _claims(account.account_id) == {}
    assert task_claim(int(task.id)) == f"task#{int(task.id)}"


def test_a_scheduled_batch_skips_claimed_work_and_starts_the_rest(stack, account):
    from shared.services.scheduler import run_batch

    site_id, coffee = _site_sector(account.api_key)
    _, tea = api("POST", "/v1/planner/sectors/", account.api_key, {"name": "Tea", "site_id": site_id})
    add_keywords(
        account.account_id, ["cold brew recipe", "cold brew ratio"], site_id=site_id, sector_id=coffee
    )
    add_keywords(
        account.account_id, ["green tea", "green tea benefits"], site_id=site_id, sector_id=tea["id"]
    )
    Job(account.account_id, "busy-job", function_name="auto_cluster", status="running").save()
    Claim(
        account.account_id,
        scope_claim(site_id, coffee),
        task_id="busy-job",
        function_name="auto_cluster",
        expires_at=utcnow() + timedelta(hours=1),
    ).save()

    started = run_batch(
        {"account_id": account.account_id, "function_name": "auto_cluster", "selector": "unclustered"}
    )

    (task_id,) = started["jobs"]
    assert load_job(account.account_id, task_id).payload["sector_id"] == tea["id"]
    (skipped,) = started["skipped"]
    assert skipped["payload"] == {"sector_id": coffee, "unclustered": True}
    assert skipped["running_job"] == "busy-job"
    assert skipped["message"].startswith(
        f"sector {coffee} of site {site_id} is being changed by job busy-job"
    )
    job = load_job(account.account_id, task_id)
    assert stack.wait_for_execution(job.execution_arn, timeout=120)["status"] == "SUCCEEDED"


def test_many_refs_are_claimed_in_chunks_and_given_back_when_a_later_chunk_conflicts(stack, account):
    from shared.engine.claims import acquire, release

    for task_id in ("holder-job", "big-job", "second-job"):
        Job(account.account_id, task_id, function_name="generate_content", status="running").save()
    acquire(account.account_id, "holder-job", "generate_content", ["task#9999"])
    big = [f"task#{n}" for n in range(1000, 1250)]  # three transactions of at most 99 claims

    assert acquire(account.account_id, "big-job", "generate_content", big) == sorted(big)
    assert acquire(account.account_id, "big-job", "generate_content", big) == sorted(big)  # a retry: its own
    held = _claims(account.account_id)
    assert sum(1 for ref, task in held.items() if task == "big-job" and ref.startswith("task#")) == 250
    # 150 free refs, then one the holder has: the first chunk is taken, then given back.
    wanted = [f"task#{n}" for n in range(2000, 2150)] + ["task#9999"]
    with pytest.raises(RecordBusy, match="writer task 9999 is being changed by job holder-job"):
        acquire(account.account_id, "second-job", "generate_content", wanted)
    assert "second-job" not in set(_claims(account.account_id).values())

    assert release(account.account_id, "big-job") == 250
    assert release(account.account_id, "big-job") == 0  # a retried release finds nothing
    assert set(_claims(account.account_id).values()) == {"holder-job"}
