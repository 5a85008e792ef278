"""On-page checks at SAVE and the one revision call: draft when the checks pass, review when not."""

from __future__ import annotations

import json

import pytest

from shared.db.models import Content, WriterTask
from shared.db.repo import batch_get
from shared.functions.generate_content.offline import write_article
from shared.services.content_plan import create_tasks_from_ideas
from tests.fakes.openai_server import FakeReply, ReceivedRequest
from tests.helpers import run_job
from tests.integration.test_ideas_content_flow import COLD_BREW, article, make_cluster, make_ideas

pytestmark = pytest.mark.integration

KEYWORDS = "cold brew recipe, how to make cold brew"


def _good_article() -> dict:
    """An article that passes every check for the make_ideas brief (900 words, its keywords)."""
    answer = write_article(
        {"title": "Cold Brew Recipe at Home", "keywords": KEYWORDS, "estimated_word_count": 900}
    )
    return {k: v for k, v in answer.items() if k != "word_count"}


def _tasks(account_id: str, count: int) -> list[int]:
    cold = make_cluster(account_id, "Cold Brew", COLD_BREW)
    ideas = make_ideas(account_id, cold, [f"Cold Brew Recipe {n}" for n in range(count)])
    return [int(t.id) for t in create_tasks_from_ideas(account_id, ideas)]


def test_a_failing_article_is_revised_once_and_saved_as_draft(stack, account, fake_openai):
    (task_id,) = _tasks(account.account_id, 1)
    revision_prompts: list[str] = []

    def respond(request: ReceivedRequest) -> FakeReply:
        if "<<<ARTICLE" in request.prompt:
            revision_prompts.append(request.prompt)
            return FakeReply(content=json.dumps(_good_article()))
        return FakeReply(content=article("Cold brew", meta_title="x" * 80))

    fake_openai.responder = respond
    job = run_job(stack, account.account_id, "generate_content", {"ids": [task_id]})

    assert job.status == "completed", job.error
    (prompt,) = revision_prompts  # exactly one revision
    assert "the meta title has 80 characters; write 1-60" in prompt
    assert (
        "use more of the secondary keywords listed in MISSING_KEYWORDS below" not in prompt
        or "<<<MISSING_KEYWORDS" in prompt
    )
    content = Content.get(account.account_id, task_id)
    assert content.status == "draft" and content.metadata["revised"] is True
    assert content.seo["score"] == 100 and all(content.seo["checks"].values())
    (entry,) = job.result["articles"]
    assert entry["revised"] is True and entry["status"] == "draft" and entry["failing_checks"] == []
    assert job.message == "1 article(s) saved, 1 revised"
    # Both calls are accounted (tokens and cost), one credit is charged (the revision is free).
    assert len(fake_openai.requests) == 2 and job.input_tokens > 0
    assert job.credits == 1 and job.items_total == 2


def test_what_still_fails_after_the_revision_is_saved_for_review(stack, account, fake_openai):
    task_ids = _tasks(account.account_id, 2)
    fake_openai.responder = lambda request: FakeReply(content=article("Too short"))
    job = run_job(stack, account.account_id, "generate_content", {"ids": task_ids})

    assert job.status == "completed", job.error
    contents = batch_get(Content, account.account_id, task_ids)
    assert {c.status for c in contents} == {"review"}
    assert all(not c.seo["checks"]["word_count_on_target"] for c in contents)
    assert job.result["in_review"] == 2 and job.message.endswith("2 in review (failing on-page checks)")
    assert len(fake_openai.requests) == 4  # one write and one revision each, never more
    assert {t.status for t in batch_get(WriterTask, account.account_id, task_ids)} == {"completed"}


def test_a_failed_revision_leaves_the_written_article_in_review(stack, account, fake_openai):
    (task_id,) = _tasks(account.account_id, 1)

    def respond(request: ReceivedRequest) -> FakeReply:
        if "<<<ARTICLE" in request.prompt:
            return FakeReply(content='{"content": "<p>cut o')
        return FakeReply(content=article("Too short"))

    fake_openai.responder = respond
    job = run_job(stack, account.account_id, "generate_content", {"ids": [task_id]})

    assert job.status == "completed", job.error
    assert Content.get(account.account_id, task_id).status == "review"
    assert WriterTask.get(account.account_id, task_id).status == "completed"  # not failed: it was written
    assert (
        job.result["items"]["failed"] == 1
        and job.result["items"]["failures"][0]["item"] == f"revise#{task_id}"
    )


def test_offline_drafts_pass_their_checks_without_a_revision(stack, account):
    task_ids = _tasks(account.account_id, 2)
    job = run_job(stack, account.account_id, "generate_content", {"ids": task_ids})
    assert job.status == "completed" and job.offline is True, job.error
    for content in batch_get(Content, account.account_id, task_ids):
        assert content.status == "draft" and content.seo["score"] == 100, content.seo
        assert "revised" not in content.metadata
    assert job.result["revised"] == 0 and job.items_total == 2
