"""Every job end is one EventBridge event on the stack's bus, read back through a rule to SQS.

The bus, and the engine's EVENT_BUS_NAME, come from template.yaml (the local stack builds both);
the test adds its own rule on the bus, matching only its account's events, that targets a queue.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator

import pytest

from shared.config import reset_settings
from shared.engine import events
from shared.engine.engine import run_sync
from shared.engine.store import load_job
from shared.observability import metrics
from tests.fakes.openai_server import FakeReply
from tests.helpers import add_keywords, run_job

pytestmark = pytest.mark.integration

Reader = Callable[..., list[dict]]


@pytest.fixture
def job_events(stack, account) -> Iterator[Reader]:
    """A rule on the stack's bus sending this account's events to a queue; returns a reader."""
    client, sqs = stack.client("events"), stack.client("sqs")
    bus = os.environ["EVENT_BUS_NAME"]
    queue_url = sqs.create_queue(QueueName=f"events-{account.account_id}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    rule = f"test-{account.account_id}"
    pattern = {"source": ["igny8"], "detail": {"account_id": [account.account_id]}}
    client.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps(pattern))
    client.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "queue", "Arn": queue_arn}])
    received: list[dict] = []

    def read(count: int = 1, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(received) < count and time.monotonic() < deadline:
            answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            received.extend(json.loads(m["Body"]) for m in answer.get("Messages", []))
            if len(received) < count:
                time.sleep(0.05)
        return list(received)

    yield read
    client.remove_targets(Rule=rule, EventBusName=bus, Ids=["queue"])
    client.delete_rule(Name=rule, EventBusName=bus)
    sqs.delete_queue(QueueUrl=queue_url)


CLUSTERS = {
    "clusters": [
        {"name": "Cold Brew", "keywords": ["cold brew recipe", "cold brew ratio"]},
        {"name": "Espresso", "keywords": ["espresso machine"]},
    ]
}


def test_a_completed_job_puts_one_job_succeeded_event(stack, account, fake_openai, job_events):
    ids = add_keywords(account.account_id, ["cold brew recipe", "cold brew ratio", "espresso machine"])
    fake_openai.queue_json(CLUSTERS, prompt_tokens=321, completion_tokens=123)

    job = run_job(stack, account.account_id, "auto_cluster", {"ids": ids})

    assert job.status == "completed", job.error
    (event,) = job_events(1)
    assert event["source"] == "igny8" and event["detail-type"] == "Job Succeeded"
    detail = event["detail"]
    assert detail["task_id"] == job.task_id and detail["account_id"] == account.account_id
    assert detail["function"] == "auto_cluster" and detail["status"] == "completed"
    assert detail["counts"]["items"] == {"total": 1, "done": 1, "failed": 0}
    assert detail["counts"]["clusters_created"] == 2 and detail["counts"]["keywords_updated"] == 3
    assert detail["tokens"] == {"input": 321, "output": 123, "total": 444}
    assert detail["cost"] == pytest.approx(float(job.cost)) and detail["cost"] > 0
    assert detail["credits"] == int(job.credits) == 1
    assert detail["finished_at"] == job.finished_at and detail["model"] == job.model
    assert "error" not in detail
    time.sleep(0.2)
    assert len(job_events(2, timeout=0.3)) == 1  # one event per job


def test_a_failed_job_puts_a_job_failed_event_with_the_error(stack, account, fake_openai, job_events):
    ids = add_keywords(account.account_id, ["gooseneck kettle"])
    fake_openai.queue(FakeReply(content="not json at all"))

    job = run_job(stack, account.account_id, "auto_cluster", {"ids": ids})

    assert job.status == "failed"
    (event,) = job_events(1)
    assert event["detail-type"] == "Job Failed"
    detail = event["detail"]
    assert detail["task_id"] == job.task_id and detail["status"] == "failed"
    assert detail["error"] == job.error == "the clustering answer contains no JSON"
    assert detail["error_type"] == job.error_type
    assert detail["counts"]["items"]["failed"] == int(job.items_failed)
    assert detail["credits"] == 0 and detail["finished_at"] == job.finished_at


def test_a_job_run_in_process_puts_its_event_too(stack, account, fake_openai, job_events):
    ids = add_keywords(account.account_id, ["chemex filter"])
    fake_openai.queue_json({"clusters": [{"name": "Chemex", "keywords": ["chemex filter"]}]})

    job = run_sync(account.account_id, "auto_cluster", {"ids": ids})

    assert job.status == "completed"
    (event,) = job_events(1)
    assert event["detail-type"] == "Job Succeeded" and event["detail"]["task_id"] == job.task_id


def test_an_event_that_cannot_be_put_is_counted_and_never_fails_the_job(
    stack, account, fake_openai, job_events, monkeypatch
):
    monkeypatch.setenv("EVENT_BUS_NAME", "no-such-bus")
    reset_settings()
    try:
        ids = add_keywords(account.account_id, ["moka pot"])
        fake_openai.queue_json({"clusters": [{"name": "Moka", "keywords": ["moka pot"]}]})

        job = run_job(stack, account.account_id, "auto_cluster", {"ids": ids})

        assert job.status == "completed" and job.execution_status == "SUCCEEDED"
        metrics.clear_metrics()
        assert events.publish_job_end(load_job(account.account_id, job.task_id)) is False
        assert metrics.metric_set["JobEventsFailed"]["Value"] == [1.0]
        metrics.clear_metrics()
    finally:
        monkeypatch.undo()
        reset_settings()
    assert job_events(1, timeout=0.5) == []  # nothing reached the stack's bus
