"""Concurrent requests to queue the same ideas: one task per idea, and only its writer says "created".

The five calls run the service concurrently in threads, as five Lambda instances would run the
route (the in-process API handler takes one request at a time, as one instance does); then the
route itself answers a repeat with 200 and the same tasks.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.db.models import ContentIdea, WriterTask
from shared.db.repo import batch_get, query_account
from shared.services.content_plan import TaskCreation, queue_ideas
from tests.helpers import api
from tests.integration.test_ideas_content_flow import COLD_BREW, make_cluster, make_ideas

pytestmark = pytest.mark.integration


def test_five_concurrent_requests_create_each_task_once(stack, account):
    cluster_id = make_cluster(account.account_id, "Cold brew", COLD_BREW)
    idea_ids = make_ideas(
        account.account_id, cluster_id, ["Cold brew at home", "Cold brew ratios", "Iced vs cold"]
    )
    barrier = threading.Barrier(5)

    def queue(_: int) -> TaskCreation:
        barrier.wait()
        return queue_ideas(account.account_id, idea_ids)

    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(queue, range(5)))

    assert sum(len(a.created) for a in answers) == 3
    tasks = list(query_account(WriterTask, account.account_id))
    assert len(tasks) == 3
    task_ids = {int(t.id) for t in tasks}
    for answer in answers:
        # Every answer lists the same three tasks; what it did not create it reports as existing.
        assert {int(t.id) for t in answer.tasks} == task_ids
        assert len(answer.existing) == 3 - len(answer.created)
    status, body = api("POST", "/v1/writer/tasks/", account.api_key, {"idea_ids": idea_ids})
    assert status == 200 and body["created"] == 0 and sorted(body["existing"]) == sorted(task_ids)
    ideas = batch_get(ContentIdea, account.account_id, idea_ids)
    assert sorted(int(i.task_id) for i in ideas) == sorted(task_ids)
    assert {i.status for i in ideas} == {"scheduled"}
