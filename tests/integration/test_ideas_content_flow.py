"""Clusters -> ideas -> writer tasks -> articles, through the real state machine on the local stack.

generate_ideas and generate_content run against the fake OpenAI server (and once offline); the
writer endpoints are exercised through the API Lambda's handler with API Gateway proxy events.
"""

from __future__ import annotations

import json
import re

import pytest

from shared.ai.prompts import read_data_block
from shared.db.models import Account, Content, ContentIdea, Job, JobItem, Keyword, WriterTask
from shared.db.repo import (
    batch_get,
    get_one,
    query_account,
    save_all,
)
from shared.domain.clusters import get_or_create_cluster, recompute_cluster_metrics
from shared.services.content_plan import (
    article_document,
    article_filename,
    create_tasks_from_ideas,
    queue_ideas,
)
from tests.fakes.openai_server import FakeReply, ReceivedRequest
from tests.helpers import add_keywords, api, run_job, run_job_unchecked

pytestmark = pytest.mark.integration

COLD_BREW = [("cold brew recipe", 1000), ("how to make cold brew", 2000), ("cold brew vs iced coffee", 400)]
ESPRESSO = [("espresso machine", 5000), ("best espresso machine", 3000)]


def make_cluster(account_id: str, name: str, keywords: list[tuple[str, int]], **where: int) -> int:
    """A cluster with these keywords mapped to it (what auto_cluster leaves behind)."""
    ids = add_keywords(account_id, keywords, **where)
    cluster, _ = get_or_create_cluster(
        account_id, where.get("site_id"), where.get("sector_id"), name, f"All about {name.lower()}"
    )
    rows = batch_get(Keyword, account_id, ids)
    for row in rows:
        row.cluster_id, row.cluster_ref, row.status = int(cluster.id), f"{account_id}#{cluster.id}", "mapped"
    save_all(rows)
    recompute_cluster_metrics(cluster)
    return int(cluster.id)


def make_ideas(account_id: str, cluster_id: int, titles: list[str]) -> list[int]:
    """Ideas stored as generate_ideas stores them (structured description as JSON text)."""
    from shared.db.repo import allocate_ids

    ids = allocate_ids(account_id, "idea", len(titles))
    outline = {
        "introduction": "Intro",
        "sections": [
            {
                "heading": "Basics",
                "subsections": [{"subheading": "Why", "content_type": "paragraph", "details": "Reasons"}],
            }
        ],
    }
    save_all(
        ContentIdea(
            account_id,
            idea_id,
            idea_title=title,
            description=json.dumps(outline),
            target_keywords="cold brew recipe, how to make cold brew",
            keyword_cluster_id=cluster_id,
            cluster_ref=f"{account_id}#{cluster_id}",
            content_structure="supporting_page",
            content_type="blog_post",
            estimated_word_count=900,
        )
        for idea_id, title in zip(ids, titles, strict=True)
    )
    return ids


def phase_messages(job) -> dict[str, list[str]]:
    messages: dict[str, list[str]] = {}
    for entry in job.history:
        messages.setdefault(entry["phase"], [])
        if entry["message"] not in messages[entry["phase"]]:
            messages[entry["phase"]].append(entry["message"])
    return messages


def revising(respond, revise=None):
    """A responder that answers generate_content's revision calls too: with ``revise(article)``,
    else the article unchanged (so it stays in review)."""

    def answer(request: ReceivedRequest) -> FakeReply:
        if "<<<ARTICLE" in request.prompt:
            current = read_data_block(request.prompt, "ARTICLE")
            return FakeReply(content=json.dumps(revise(current) if revise else current))
        return respond(request)

    return answer


def writes(requests: list[ReceivedRequest]) -> list[ReceivedRequest]:
    """The article-writing calls among ``requests`` (not the revisions)."""
    return [r for r in requests if "<<<ARTICLE" not in r.prompt]


def article(title: str, **extra) -> str:
    return json.dumps(
        {"content": f"<h2>{title}</h2><p>Cold brew steeps for twelve hours.</p>", "title": title, **extra}
    )


# ---------------------------------------------------------------- generate_ideas
def test_generate_ideas_saves_matched_ideas(stack, account, fake_openai):
    from shared.db.models import Sector, Site
    from shared.db.repo import allocate_ids

    (site_id,) = allocate_ids(account.account_id, "site", 1)
    Site(account.account_id, site_id, name="Coffee blog").save()
    (sector_id,) = allocate_ids(account.account_id, "sector", 1)
    Sector(account.account_id, sector_id, site_id=site_id, name="Brewing").save()
    cold = make_cluster(account.account_id, "Cold Brew", COLD_BREW, site_id=site_id, sector_id=sector_id)
    espresso = make_cluster(account.account_id, "Espresso Machines", ESPRESSO)
    outline = {"introduction": "Why", "sections": [{"heading": "Steps", "subsections": []}]}
    answer = {
        "ideas": [
            # by cluster_id (the name is wrong on purpose)
            {
                "title": "Cold Brew at Home",
                "description": outline,
                "cluster_id": cold,
                "cluster_name": "Espresso Machines",
                "content_type": "tutorial",
                "content_structure": "cluster_hub",
                "estimated_word_count": 2200,
                "covered_keywords": "cold brew recipe, how to make cold brew",
            },
            # by cluster_name, target_keywords as a list, seed defaults
            {
                "title": "Best Espresso Machines",
                "description": "A plain outline",
                "cluster_id": 999,
                "cluster_name": "espresso machines",
                "target_keywords": ["best espresso machine"],
            },
            # by position: the third idea, only two clusters -> not matched, reported
            {"title": "Unplaced idea"},
        ]
    }
    fake_openai.queue(FakeReply(content="```json\n" + json.dumps(answer) + "\n```"))

    job = run_job(stack, account.account_id, "generate_ideas", {"ids": [cold, espresso]})

    assert job.status == "completed", job.error
    assert job.result["ideas_created"] == 2 and job.result["unmatched_ideas"] == ["Unplaced idea"]
    ideas = {i.idea_title: i for i in query_account(ContentIdea, account.account_id)}
    assert set(ideas) == {"Cold Brew at Home", "Best Espresso Machines"}
    hub, espresso_idea = ideas["Cold Brew at Home"], ideas["Best Espresso Machines"]
    assert json.loads(hub.description) == outline
    assert (hub.content_type, hub.content_structure, hub.estimated_word_count) == (
        "tutorial",
        "cluster_hub",
        2200,
    )
    assert hub.target_keywords == "cold brew recipe, how to make cold brew"
    assert (hub.keyword_cluster_id, hub.status, hub.site_id, hub.sector_id) == (
        cold,
        "new",
        site_id,
        sector_id,
    )
    assert hub.cluster_ref == f"{account.account_id}#{cold}"
    assert espresso_idea.keyword_cluster_id == espresso and espresso_idea.description == "A plain outline"
    assert (
        espresso_idea.content_type,
        espresso_idea.content_structure,
        espresso_idea.estimated_word_count,
    ) == (
        "blog_post",
        "supporting_page",
        1500,
    )
    assert espresso_idea.target_keywords == "best espresso machine" and espresso_idea.site_id is None
    # The seed's messages, word for word, and the prompt's line formats.
    messages = phase_messages(job)
    assert messages["INIT"] == ["Verifying cluster integrity"]
    assert messages["PREP"] == ["Loading cluster keywords"]
    assert messages["AI_CALL"] == ["Generating ideas with Igny8 Semantic AI"]
    assert messages["PARSE"] == ["3 high-opportunity idea(s) generated"]
    assert messages["SAVE"] == ["Content Outline for Ideas generated"]
    (request,) = fake_openai.requests
    clusters = read_data_block(request.prompt, "CLUSTER_DETAILS")
    assert {"cluster_id": cold, "name": "Cold Brew", "description": "All about cold brew"} in clusters
    keywords = read_data_block(request.prompt, "CLUSTER_KEYWORDS")
    assert {
        "cluster_id": cold,
        "name": "Cold Brew",
        "keywords": ["how to make cold brew", "cold brew recipe", "cold brew vs iced coffee"],
    } in keywords
    assert {
        "cluster_id": espresso,
        "name": "Espresso Machines",
        "keywords": ["espresso machine", "best espresso machine"],
    } in keywords


def test_generate_ideas_input_checks_and_plan_limit(stack, account, fake_openai):
    from shared.errors import InputInvalid, NotFound
    from shared.services.jobs import start_job

    cold = make_cluster(account.account_id, "Cold Brew", COLD_BREW)
    make_cluster(account.account_id, "Espresso Machines", ESPRESSO)

    with pytest.raises(InputInvalid, match=r"at most 10 clusters per request \(got 11\)"):
        start_job(account.account_id, "generate_ideas", {"ids": list(range(1, 12))})
    with pytest.raises(NotFound, match="clusters not found in this account: 98765"):
        start_job(account.account_id, "generate_ideas", {"ids": [cold, 98765]})
    Account(account.account_id).update(actions=[Account.max_clusters.set(1)])
    with pytest.raises(InputInvalid, match="plan limit reached: 2 clusters of 1"):
        start_job(account.account_id, "generate_ideas", {"ids": [cold]})
    # INIT runs the same checks when the job runs (the data may have changed since the request).
    limited = run_job_unchecked(stack, account.account_id, "generate_ideas", {"ids": [cold]})
    unknown = run_job_unchecked(stack, account.account_id, "generate_ideas", {"ids": [98765]})
    Account(account.account_id).update(actions=[Account.max_clusters.remove()])

    assert limited.status == "failed" and limited.phase == "INIT"
    assert limited.error.startswith("plan limit reached: 2 clusters of 1")
    assert unknown.status == "failed" and unknown.error == "clusters not found in this account: 98765"
    assert fake_openai.requests == [] and list(query_account(ContentIdea, account.account_id)) == []


def test_generate_ideas_malformed_answer_saves_nothing(stack, account, fake_openai):
    cold = make_cluster(account.account_id, "Cold Brew", COLD_BREW)
    fake_openai.queue_json({"suggestions": [{"title": "x"}]})

    job = run_job(stack, account.account_id, "generate_ideas", {"ids": [cold]})

    assert job.execution_status == "FAILED" and job.status == "failed" and job.phase == "PARSE"
    assert "ideas" in job.error  # the schema check or the parser names what is missing
    assert list(query_account(ContentIdea, account.account_id)) == []


# ---------------------------------------------------------------- writer tasks and generate_content
def test_tasks_from_ideas_then_articles(stack, account, fake_openai):
    cold = make_cluster(account.account_id, "Cold Brew", COLD_BREW)
    first, second, third = make_ideas(
        account.account_id, cold, ["Cold Brew Basics", "Cold Brew Ratios", "Plain Text Brew"]
    )

    tasks = create_tasks_from_ideas(account.account_id, [first, second, third])
    again = queue_ideas(account.account_id, [second, first])

    assert [t.idea_id for t in tasks] == [first, second, third]
    assert again.created == [] and [int(t.id) for t in again.tasks] == [int(tasks[1].id), int(tasks[0].id)]
    assert len(list(query_account(WriterTask, account.account_id))) == 3  # not duplicated
    task = tasks[0]
    assert (task.title, task.status, task.cluster_id, task.keywords) == (
        "Cold Brew Basics",
        "queued",
        cold,
        "cold brew recipe, how to make cold brew",
    )
    assert (task.description, task.content_structure, task.content_type) == (
        "Intro",
        "supporting_page",
        "blog_post",
    )
    assert {(i.status, i.task_id) for i in batch_get(ContentIdea, account.account_id, [first])} == {
        ("scheduled", int(task.id))
    }

    def respond(request: ReceivedRequest) -> FakeReply:
        if read_data_block(request.prompt, "IDEA")["title"] == "Cold Brew Basics":
            return FakeReply(
                content=json.dumps(
                    {
                        "content": '<h2 onclick="x()">Basics</h2><script>alert(1)</script><p>Cold brew is <a href="javascript:alert(1)">smooth</a>.</p>'
                        '<table><tr><td>12 h</td></tr></table><img src="https://img.test/a.png" alt="jar">',
                        "title": "Cold Brew Basics: The Guide",
                        "meta_title": "Cold Brew Basics",
                        "meta_description": "All you need.",
                        "word_count": 1234,
                        "primary_keyword": "cold brew",
                        "secondary_keywords": "cold brew recipe, how to make cold brew",
                        "tags": "coffee, cold brew",
                        "categories": ["Brewing"],
                        "reading_time": 6,
                        "faq": [{"q": "Is it strong?"}],
                    }
                )
            )
        if read_data_block(request.prompt, "IDEA")["title"] == "Cold Brew Ratios":
            return FakeReply(content=article("Ratios"))
        return FakeReply(
            content="## Plain Text Brew\n\nSteep coarse coffee in cold water overnight.\n\n- grind\n- steep"
        )

    fake_openai.responder = revising(respond)
    ids = [int(t.id) for t in tasks]

    job = run_job(stack, account.account_id, "generate_content", {"ids": ids})

    assert job.status == "completed", job.error
    assert job.result["tasks_updated"] == 3 and job.result["items"]["failed"] == 0
    assert {a["task_id"] for a in job.result["articles"]} == set(ids)
    rich = Content.get(account.account_id, ids[0])
    assert rich.html_content == (
        '<h2>Basics</h2><p>Cold brew is <a rel="noopener noreferrer">smooth</a>.</p>'
        '<table><tbody><tr><td>12 h</td></tr></tbody></table><img src="https://img.test/a.png" alt="jar">'
    )
    assert (rich.title, rich.meta_title, rich.meta_description, rich.word_count) == (
        "Cold Brew Basics: The Guide",
        "Cold Brew Basics",
        "All you need.",
        7,  # the revision's answer gives no word_count: the words are counted (the model said 1234)
    )
    assert rich.primary_keyword == "cold brew"
    assert rich.secondary_keywords == ["cold brew recipe", "how to make cold brew"]
    assert (rich.tags, rich.categories) == (["coffee", "cold brew"], ["Brewing"])
    assert rich.metadata == {"reading_time": 6, "faq": [{"q": "Is it strong?"}], "revised": True}
    # Short answers fail the on-page checks; the revision changed nothing: in review, never silently.
    assert (rich.status, rich.cluster_id, rich.idea_id) == ("review", cold, first)
    assert rich.seo["score"] < 100 and rich.seo["checks"]["meta_description_length"] is False
    ratios = Content.get(account.account_id, ids[1])
    assert ratios.word_count == 7 and ratios.meta_description == "Intro"  # counted; task description
    plain = Content.get(account.account_id, ids[2])
    assert (
        plain.html_content
        == "<h2>Plain Text Brew</h2><p>Steep coarse coffee in cold water overnight.</p><ul><li>grind</li><li>steep</li></ul>"
    )
    assert (plain.title, plain.meta_title, plain.word_count, plain.secondary_keywords) == (
        "Plain Text Brew",
        "Plain Text Brew",
        12,
        [],
    )
    assert {t.status for t in batch_get(WriterTask, account.account_id, ids)} == {"completed"}
    # One writing call per task, then one revision each; each prompt carries its own idea,
    # outline, cluster and keywords.
    assert len(writes(fake_openai.requests)) == 3 and len(fake_openai.requests) == 6
    prompt = next(
        r.prompt
        for r in writes(fake_openai.requests)
        if read_data_block(r.prompt, "IDEA")["title"] == "Cold Brew Basics"
    )
    assert (
        "## Basics\n### Why\nContent Type: paragraph\nDetails: Reasons"
        in read_data_block(prompt, "IDEA")["outline"]
    )
    assert read_data_block(prompt, "CLUSTER")["cluster_name"] == "Cold Brew"
    assert read_data_block(prompt, "TARGET_KEYWORDS")[:2] == ["cold brew recipe", "how to make cold brew"]
    messages = phase_messages(job)
    assert messages["INIT"] == ["Validating task"]
    assert messages["PREP"] == ["Preparing content idea", "Revising 3 article(s) that failed on-page checks"]
    assert messages["AI_CALL"] == [
        "Writing article with Igny8 Semantic AI",
        "Revising article against the on-page checks",
    ]
    assert messages["PARSE"] == ["1 article(s) created", "1 article(s) revised"]
    assert messages["SAVE"] == ["Saving article", "Saving revised article"]
    # A second run regenerates into the same Content row (get or create by task).
    fake_openai.responder = revising(lambda request: FakeReply(content=article("Second take")))
    rerun = run_job(stack, account.account_id, "generate_content", {"ids": ids[:1]})
    assert rerun.result["articles"][0]["content_created"] is False
    assert Content.get(account.account_id, ids[0]).title == "Second take"
    assert len(list(query_account(Content, account.account_id))) == 3
    # The article as a stand-alone page.
    page = article_document(Content.get(account.account_id, ids[1]))
    assert (
        page.startswith("<!doctype html>")
        and "<title>Cold Brew Ratios</title>" in page
        and "<h1>Ratios</h1>\n<h2>Ratios</h2>" in page
    )
    assert re.fullmatch(r"\d{4}-ratios\.html", article_filename(Content.get(account.account_id, ids[1])))


def test_batch_of_twenty_with_one_malformed_answer(stack, account, fake_openai):
    cold = make_cluster(account.account_id, "Cold Brew", COLD_BREW)
    idea_ids = make_ideas(account.account_id, cold, [f"Brew note {n:02d}" for n in range(1, 22)])
    tasks = create_tasks_from_ideas(account.account_id, idea_ids)
    batch, bystander = tasks[:20], tasks[20]
    broken = batch[6]  # "Brew note 07"
    ideas_before = {
        int(i.id): i.attribute_values for i in batch_get(ContentIdea, account.account_id, idea_ids)
    }
    bystander_before = get_one(WriterTask, account.account_id, int(bystander.id)).attribute_values

    def respond(request: ReceivedRequest) -> FakeReply:
        title = read_data_block(request.prompt, "IDEA")["title"]
        if title == broken.title:
            return FakeReply(content='{"content": "<p>This answer was cut o')
        return FakeReply(content=article(title))

    fake_openai.responder = revising(respond)

    job = run_job(
        stack, account.account_id, "generate_content", {"ids": [int(t.id) for t in batch]}, timeout=90
    )

    assert job.execution_status == "SUCCEEDED" and job.status == "completed", job.error
    assert job.result["tasks_updated"] == 19 and len(job.result["articles"]) == 19
    # 20 writing items, then a revision for each of the 19 saved articles.
    assert job.result["items"]["total"] == 39 and job.result["items"]["succeeded"] == 38
    (failure,) = job.result["items"]["failures"]
    assert failure["item"] == f"write#{broken.id}" and failure["error_type"] == "AIResponseInvalid"
    assert "not valid JSON" in failure["error"]
    assert job.message == (
        "19 article(s) saved, 19 revised, 19 in review (failing on-page checks), 1 task(s) failed"
    )
    # 19 articles, 19 tasks completed, the broken one failed with its error.
    contents = {int(c.task_id): c for c in query_account(Content, account.account_id)}
    assert set(contents) == {int(t.id) for t in batch} - {int(broken.id)}
    assert all(c.title == tasks[tid - int(tasks[0].id)].title for tid, c in contents.items())
    statuses = {int(t.id): t for t in batch_get(WriterTask, account.account_id, [int(t.id) for t in batch])}
    assert sum(t.status == "completed" for t in statuses.values()) == 19
    failed = statuses[int(broken.id)]
    assert failed.status == "failed" and "not valid JSON" in failed.error
    item = JobItem.get(f"{account.account_id}#{job.task_id}", f"write#{broken.id}")
    assert item.status == "failed" and item.error == failure["error"]
    # Nothing else touched: the task outside the batch and every idea are as they were.
    assert get_one(WriterTask, account.account_id, int(bystander.id)).attribute_values == bystander_before
    assert {
        int(i.id): i.attribute_values for i in batch_get(ContentIdea, account.account_id, idea_ids)
    } == ideas_before
    assert len(writes(fake_openai.requests)) == 20 and len(fake_openai.requests) == 39
    # Credits: one per saved article (a revision is free).
    assert job.credits == 19


def test_offline_ideas_and_articles_are_labelled_drafts(stack, account):
    cold = make_cluster(account.account_id, "Cold Brew", COLD_BREW)

    ideas_job = run_job(stack, account.account_id, "generate_ideas", {"ids": [cold]})

    assert ideas_job.status == "completed" and ideas_job.offline is True, ideas_job.error
    ideas = list(query_account(ContentIdea, account.account_id))
    assert ideas and all(i.keyword_cluster_id == cold for i in ideas)
    assert all("Offline draft idea" in json.loads(i.description)["introduction"] for i in ideas)
    keywords = {k for k, _ in COLD_BREW}
    assert all(set(i.target_keywords.split(", ")) <= keywords for i in ideas)
    tasks = create_tasks_from_ideas(account.account_id, [int(i.id) for i in ideas])

    content_job = run_job(stack, account.account_id, "generate_content", {"ids": [int(t.id) for t in tasks]})

    assert content_job.status == "completed" and content_job.result["offline"] is True, content_job.error
    assert content_job.model == "igny8-local-offline"
    for row in query_account(Content, account.account_id):
        assert row.html_content.startswith("<p><strong>Offline draft:</strong>")
        assert row.metadata.get("offline_draft") is True and "offline draft" in row.tags
        assert row.primary_keyword in keywords and row.word_count > 200
        assert "<script" not in row.html_content
    assert {t.status for t in batch_get(WriterTask, account.account_id, [int(t.id) for t in tasks])} == {
        "completed"
    }


# ---------------------------------------------------------------- the API
def test_api_ideas_tasks_and_content(stack, account, fake_openai):
    key = account.api_key
    cold = make_cluster(account.account_id, "Cold Brew", COLD_BREW)
    espresso = make_cluster(account.account_id, "Espresso Machines", ESPRESSO)

    def respond(request: ReceivedRequest) -> FakeReply:
        if "content strategist" in request.prompt:
            return FakeReply(
                content=json.dumps(
                    {
                        "ideas": [
                            {
                                "title": "Cold Brew Guide",
                                "cluster_id": cold,
                                "description": {"introduction": "Start", "sections": []},
                            },
                            {"title": "Espresso Buying", "cluster_name": "Espresso Machines"},
                        ]
                    }
                )
            )
        title = read_data_block(request.prompt, "IDEA")["title"]
        return FakeReply(content=article(title, tags="a, b"))

    fake_openai.responder = revising(respond)

    # 4xx first: too many clusters, unknown cluster, no key, empty ids.
    status, body = api("POST", "/v1/planner/clusters/auto_generate_ideas/", key, {"ids": list(range(1, 13))})
    assert status == 400 and body["message"] == "at most 10 clusters per request (got 12)"
    status, body = api("POST", "/v1/planner/clusters/auto_generate_ideas/", key, {"ids": [cold, 4242]})
    assert status == 404 and "4242" in body["message"]
    assert api("POST", "/v1/planner/clusters/auto_generate_ideas/", None, {"ids": [cold]})[0] == 401
    assert api("POST", "/v1/planner/clusters/auto_generate_ideas/", key, {"ids": []})[0] == 422

    status, body = api("POST", "/v1/planner/clusters/auto_generate_ideas/", key, {"ids": [cold, espresso]})
    assert status == 202 and body["success"] is True
    stack.wait_for_execution(Job.get(account.account_id, body["task_id"]).execution_arn)
    status, job = api("GET", f"/v1/jobs/{body['task_id']}", key)
    assert job["status"] == "completed" and job["result"]["ideas_created"] == 2

    status, listed = api("GET", "/v1/planner/ideas/", key)
    assert status == 200 and [i["title"] for i in listed["results"]] == ["Cold Brew Guide", "Espresso Buying"]
    status, by_cluster = api("GET", "/v1/planner/ideas/", key, query={"cluster_id": str(espresso)})
    assert [i["title"] for i in by_cluster["results"]] == ["Espresso Buying"]
    after = {"cluster_id": str(espresso), "after": str(by_cluster["results"][0]["id"])}
    assert api("GET", "/v1/planner/ideas/", key, query=after)[1]["results"] == []
    assert api("GET", "/v1/planner/ideas/", key, query={"status": "scheduled"})[1]["results"] == []
    status, page = api("GET", "/v1/planner/ideas/", key, query={"limit": "1"})
    assert len(page["results"]) == 1 and page["next"] == page["results"][0]["id"]
    idea_id = listed["results"][0]["id"]
    status, idea = api("GET", f"/v1/planner/ideas/{idea_id}/", key)
    assert (
        status == 200
        and idea["outline"] == {"introduction": "Start", "sections": []}
        and idea["status"] == "new"
    )
    assert api("GET", "/v1/planner/ideas/99999/", key)[0] == 404

    # Tasks from ideas: created once, then reported as existing.
    all_ideas = [i["id"] for i in listed["results"]]
    status, created = api("POST", "/v1/writer/tasks/", key, {"idea_ids": all_ideas})
    assert (
        status == 201 and created["created"] == 2 and {t["status"] for t in created["results"]} == {"queued"}
    )
    status, again = api("POST", "/v1/writer/tasks/", key, {"idea_ids": all_ideas})
    assert status == 200 and again["created"] == 0 and len(again["existing"]) == 2
    assert api("POST", "/v1/writer/tasks/", key, {"idea_ids": [99999]})[0] == 404
    assert api("POST", "/v1/writer/tasks/", key, {"idea_ids": []})[0] == 422
    task_ids = [t["id"] for t in created["results"]]
    assert (
        api("GET", "/v1/planner/ideas/", key, query={"status": "scheduled"})[1]["results"][0]["task_id"]
        in task_ids
    )

    status, body = api("POST", "/v1/writer/tasks/auto_generate_content/", key, {"ids": list(range(1, 52))})
    assert status == 400 and body["message"] == "at most 50 tasks per request (got 51)"
    assert api("POST", "/v1/writer/tasks/auto_generate_content/", key, {"ids": [77777]})[0] == 404
    status, body = api("POST", "/v1/writer/tasks/auto_generate_content/", key, {"ids": task_ids})
    assert status == 202
    stack.wait_for_execution(Job.get(account.account_id, body["task_id"]).execution_arn)

    status, tasks = api("GET", "/v1/writer/tasks/", key, query={"status": "completed"})
    assert status == 200 and sorted(t["id"] for t in tasks["results"]) == sorted(task_ids)
    status, tasks = api("GET", "/v1/writer/tasks/", key, query={"cluster_id": str(cold)})
    assert [t["title"] for t in tasks["results"]] == ["Cold Brew Guide"]
    status, task = api("GET", f"/v1/writer/tasks/{task_ids[0]}/", key)
    assert status == 200 and task["content"]["word_count"] > 0 and "html" not in task["content"]
    assert api("GET", "/v1/writer/tasks/99999/", key)[0] == 404

    status, contents = api("GET", "/v1/writer/content/", key)
    assert status == 200 and len(contents["results"]) == 2 and "html" not in contents["results"][0]
    status, one = api("GET", f"/v1/writer/content/{task_ids[0]}/", key)
    assert status == 200 and one["html"].startswith("<h2>Cold Brew Guide</h2>")
    assert one["tags"] == ["a", "b"] and one["status"] == "review" and one["offline_draft"] is False
    assert api("GET", "/v1/writer/content/99999/", key)[0] == 404

    # Another account sees none of it.
    from shared.services.accounts import create_account, create_api_key

    other = create_api_key(create_account("Other agency").account_id)
    assert api("GET", f"/v1/planner/ideas/{idea_id}/", other)[0] == 404
    assert api("GET", f"/v1/writer/tasks/{task_ids[0]}/", other)[0] == 404
    assert api("GET", f"/v1/writer/content/{task_ids[0]}/", other)[0] == 404
    assert api("GET", "/v1/writer/content/", other)[1]["results"] == []
    assert api("POST", "/v1/writer/tasks/", other, {"idea_ids": [idea_id]})[0] == 404
