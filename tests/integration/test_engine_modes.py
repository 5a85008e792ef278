"""The synchronous mode runs the same phases in one process; phases are safe to retry."""

from __future__ import annotations

import pytest

from shared.db.models import AITaskLog, Cluster, Job
from shared.db.repo import query_account
from shared.engine import phases as engine
from shared.engine.engine import create_job, run_ai_task, run_sync
from shared.engine.store import job_state
from tests.fakes.openai_server import FakeReply
from tests.helpers import add_keywords

pytestmark = pytest.mark.integration


def test_sync_mode_completes_with_the_same_records(account, fake_openai):
    ids = add_keywords(account.account_id, ["chemex filter", "chemex filters"])
    fake_openai.queue_json(
        {"clusters": [{"name": "Chemex", "keywords": ["chemex filter", "chemex filters"]}]}
    )

    job = run_ai_task("auto_cluster", {"ids": ids}, account.account_id)  # the seed's entry point

    assert job.mode == "sync" and job.status == "completed" and job.progress == 100
    assert job.execution_arn is None
    assert [c.name for c in query_account(Cluster, account.account_id)] == ["Chemex"]
    assert AITaskLog.get(account.account_id, job.task_id).status == "success"


def test_sync_mode_failure_goes_through_the_failure_handler(account, fake_openai):
    ids = add_keywords(account.account_id, ["gooseneck kettle"])
    fake_openai.queue(FakeReply(content="not json at all"))

    job = run_sync(account.account_id, "auto_cluster", {"ids": ids})

    assert job.status == "failed" and job.phase == "PARSE"
    assert job.error == "the clustering answer contains no JSON"
    assert AITaskLog.get(account.account_id, job.task_id).status == "error"


def test_transient_provider_error_is_retried_in_sync_mode(account, fake_openai):
    ids = add_keywords(account.account_id, ["drip coffee maker"])
    fake_openai.queue(
        FakeReply(status=503, headers={"retry-after": "0"}),
        FakeReply(content='{"clusters": [{"name": "Drip", "keywords": ["drip coffee maker"]}]}'),
    )

    job = run_sync(account.account_id, "auto_cluster", {"ids": ids})

    assert job.status == "completed", job.error
    assert len(fake_openai.requests) >= 2


def test_phases_are_idempotent_when_retried(account, fake_openai):
    ids = add_keywords(account.account_id, ["siphon coffee", "siphon brewer"])
    fake_openai.queue_json({"clusters": [{"name": "Siphon", "keywords": ["siphon coffee", "siphon brewer"]}]})
    job = create_job(account.account_id, "auto_cluster", {"ids": ids})
    state = job_state(job)
    engine.run_init(state)
    items = engine.run_prep(state)["items"]
    item_state = {**state, "item": items[0]}
    for phase in (engine.run_ai_call, engine.run_parse, engine.run_save):
        phase(item_state)
        phase(item_state)  # a retried state must not call the model again or save twice
    engine.run_done(state)

    stored = Job.get(account.account_id, job.task_id)
    assert len(fake_openai.requests) == 1
    assert stored.items_done == 1 and stored.status == "completed"
    (cluster,) = list(query_account(Cluster, account.account_id))
    assert cluster.keywords_count == 2


def test_unknown_function_and_missing_job_are_clear_errors(account):
    from shared.errors import InputInvalid, NotFound

    with pytest.raises(InputInvalid, match="unknown AI function 'summarise'"):
        create_job(account.account_id, "summarise", {"ids": [1]})
    with pytest.raises(NotFound, match="job nope not found"):
        engine.run_init(
            {"task_id": "nope", "account_id": account.account_id, "function_name": "auto_cluster"}
        )
    with pytest.raises(InputInvalid, match="job state lacks account_id"):
        engine.run_init({"task_id": "x", "function_name": "auto_cluster"})


def test_ideas_save_retried_after_a_crash_does_not_duplicate(account):
    """SAVE wrote the ideas, then crashed before marking the item saved: the retry overwrites."""
    from shared.db.models import Account, ContentIdea, JobItem
    from shared.functions.generate_ideas.function import GenerateIdeasFunction

    ids = add_keywords(account.account_id, ["cold brew ratio", "cold brew concentrate", "cold brew maker"])
    run_sync(account.account_id, "auto_cluster", {"ids": ids})
    (cluster,) = list(query_account(Cluster, account.account_id))
    job = create_job(account.account_id, "generate_ideas", {"ids": [int(cluster.id)]})
    state = job_state(job)
    engine.run_init(state)
    item_state = {**state, "item": engine.run_prep(state)["items"][0]}
    engine.run_ai_call(item_state)
    engine.run_parse(item_state)
    item = JobItem.get(f"{account.account_id}#{job.task_id}", item_state["item"])
    data = {**item.data, engine.SAVE_KEY: f"{job.task_id}#{item.item}"}
    GenerateIdeasFunction().save_output(
        item.parsed, data, Account.get(account.account_id)
    )  # the "crashed" SAVE
    first = sorted(int(i.id) for i in query_account(ContentIdea, account.account_id))

    engine.run_save(item_state)  # the retry

    assert sorted(int(i.id) for i in query_account(ContentIdea, account.account_id)) == first
    assert len(first) == len(item.parsed)
