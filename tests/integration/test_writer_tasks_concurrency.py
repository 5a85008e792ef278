"""Concurrent requests to queue the same ideas: one task per idea, and only its writer says "created"."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.db.models import ContentIdea, WriterTask
from shared.db.repo import batch_get, query_account
from tests.helpers import api
from tests.integration.test_ideas_content_flow import COLD_BREW, make_cluster, make_ideas

pytestmark = pytest.mark.integration


def test_five_concurrent_requests_create_each_task_once(stack, account):
    cluster_id = make_cluster(account.account_id, "Cold brew", COLD_BREW)
    idea_ids = make_ideas(
        account.account_id, cluster_id, ["Cold brew at home", "Cold brew ratios", "Iced vs cold"]
    )
    barrier = threading.Barrier(5)

    def post(_: int) -> tuple[int, dict]:
        barrier.wait()
        return api("POST", "/v1/writer/tasks/", account.api_key, {"idea_ids": idea_ids})

    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(post, range(5)))

    assert all(status in (200, 201) for status, _ in answers), answers
    assert sum(body["created"] for _, body in answers) == 3
    tasks = list(query_account(WriterTask, account.account_id))
    assert len(tasks) == 3
    task_ids = {int(t.id) for t in tasks}
    for status, body in answers:
        # Every answer lists the same three tasks; what it did not create it reports as existing.
        assert {t["id"] for t in body["results"]} == task_ids
        assert len(body["existing"]) == 3 - body["created"]
        assert status == (201 if body["created"] else 200)
    ideas = batch_get(ContentIdea, account.account_id, idea_ids)
    assert sorted(int(i.task_id) for i in ideas) == sorted(task_ids)
    assert {i.status for i in ideas} == {"scheduled"}
