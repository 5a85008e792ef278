"""auto_cluster's semantic strategy (embed -> cluster -> name) through the real state machine.

Against the fake OpenAI server's /v1/embeddings (with the real limits) and chat completions; the
selection forms, the vector cache, the incremental path, naming that keeps fallback names, and
every keyword in exactly one cluster or listed as unassigned.
"""

from __future__ import annotations

import itertools
import json
import re
import time

import pytest

from shared.db.models import Cluster, Keyword
from shared.domain.keyword_selection import Selection, select_keywords
from tests.fakes.openai_server import FakeReply
from tests.helpers import add_keywords, api, run_job

pytestmark = pytest.mark.integration

TOPICS = [
    "espresso machine", "cold brew", "french press", "pour over", "moka pot", "latte art", "burr grinder",
    "decaf beans", "milk frother", "drip brewer", "aeropress filter", "matcha latte", "chai tea",
    "green tea", "oat milk", "coffee scale", "gooseneck kettle", "turkish coffee", "iced americano",
    "nitro brew", "kona beans", "arabica roast", "robusta blend", "siphon brewer", "chemex carafe",
    "cortado cup", "cappuccino foam", "mocha syrup", "caramel macchiato", "vanilla creamer",
    "descaling solution", "portafilter basket", "tamper tool", "knock box", "coffee subscription",
    "office coffee", "single origin", "light roast", "dark roast", "cold foam", "flat white",
]  # fmt: skip
MODIFIERS = [
    "best", "cheap", "review", "price", "guide", "near me", "for beginners", "vs alternatives", "2025",
    "recipe", "how to use", "problems", "buy", "sale", "comparison", "tips", "ideas", "kit", "set",
    "brands", "online", "deal", "top rated", "small", "large", "professional", "home", "travel",
    "electric", "manual", "used", "new", "quiet", "fast", "easy", "premium", "budget", "organic",
    "strong", "mild", "uk", "usa", "australia", "canada", "amazon", "target", "walmart", "costco",
    "gift", "accessories",
]  # fmt: skip


def _keywords(count: int) -> list[tuple[str, int]]:
    pairs = itertools.product(TOPICS, MODIFIERS)
    return [
        (f"{modifier} {topic}", 100 + (n * 37) % 900)
        for n, (topic, modifier) in zip(range(count), pairs, strict=False)
    ]


def _site_sector(key: str) -> tuple[int, int]:
    _, site = api("POST", "/v1/planner/sites/", key, {"name": "Coffee site"})
    _, sector = api("POST", "/v1/planner/sectors/", key, {"name": "Coffee", "site_id": site["id"]})
    return int(site["id"]), int(sector["id"])


def _namer(skip_every: int = 0):
    """A chat responder that names the clusters a naming prompt lists (skipping some ids)."""

    def respond(request) -> FakeReply:
        data = re.search(r"<<<CLUSTERS\n(.*)\nCLUSTERS>>>", request.prompt, re.DOTALL)
        clusters = json.loads(data.group(1)) if data else []
        names = [
            {"id": c["id"], "name": f"Topic {c['keywords'][0]}", "description": "A page on it."}
            for n, c in enumerate(clusters)
            if not (skip_every and n % skip_every == 0)
        ]
        names.append({"id": 999_999, "name": "Not asked for"})  # must be ignored
        return FakeReply(content=json.dumps({"clusters": names}))

    return respond


def _every_keyword_once(
    account_id: str, sector_id: int, result: dict, handled: int | None = None
) -> tuple[list[Keyword], list[Cluster]]:
    keywords = list(select_keywords(account_id, Selection(sector_id=sector_id)))
    clusters = list(Cluster.by_scope.query(f"{account_id}#{keywords[0].site_id}#{sector_id}"))
    members: dict[int, int] = {}
    for keyword in keywords:
        if keyword.cluster_id is not None:
            members[int(keyword.cluster_id)] = members.get(int(keyword.cluster_id), 0) + 1
    unassigned = [k for k in keywords if k.cluster_id is None]
    assert result["unassigned_count"] == len(unassigned)
    assert result["keywords_updated"] + result["unassigned_count"] == (
        len(keywords) if handled is None else handled
    )
    for cluster in clusters:  # counts always equal members, and no empty shell
        assert int(cluster.keywords_count) == members.get(int(cluster.id), 0) > 0
        assert cluster.volume == sum(k.volume for k in keywords if k.cluster_id == cluster.id)
    return keywords, clusters


def test_2049_keywords_make_two_embedding_requests_and_a_rerun_embeds_nothing(stack, account, fake_openai):
    site_id, sector_id = _site_sector(account.api_key)
    add_keywords(account.account_id, _keywords(2049), site_id=site_id, sector_id=sector_id)
    fake_openai.responder = _namer(skip_every=5)

    job = run_job(stack, account.account_id, "auto_cluster", {"sector_id": sector_id}, timeout=240)

    assert job.status == "completed", job.error
    result = job.result
    assert result["strategy"] == "semantic" and job.payload["strategy"] == "semantic"
    assert sorted(fake_openai.embedding_input_counts()) == [1, 2048]
    assert result["embedding"] == {"embedded": 2049, "requests": 2, "model": "text-embedding-3-small"}
    keywords, clusters = _every_keyword_once(account.account_id, sector_id, result)
    assert len(clusters) >= 30 and result["unassigned_count"] <= 0.05 * 2049  # >= 95% placed
    assert all(k.embedding_tag == "text-embedding-3-small#256" for k in keywords)
    # Names: the model's where it named a cluster, the highest-volume keyword where it skipped one.
    named = [c for c in clusters if c.name.startswith("Topic ")]
    assert named and result["clusters_named"] == len(named)
    fallback = [c for c in clusters if not c.name.startswith("Topic ")]
    assert fallback and result["names_fallback"] == len(fallback)
    for cluster in fallback:
        top = max((k for k in keywords if k.cluster_id == cluster.id), key=lambda k: (k.volume, -int(k.id)))
        assert cluster.name.split(" (")[0] == top.keyword
    assert not any(c.name == "Not asked for" for c in clusters)
    assert all(c.pillar_id is not None for c in clusters)
    assert job.credits == 205  # one credit per started block of 10 keywords
    phases = [h["phase"] for h in job.history]
    assert "AI_CALL" in phases and phases[-1] == "DONE"
    assert "Generating clusters with Igny8 Semantic SEO Model" in [h["message"] for h in job.history]

    # The same keywords again, rebuilt: nothing is embedded a second time.
    requests_before = len(fake_openai.embedding_requests())
    again = run_job(stack, account.account_id, "auto_cluster", {"sector_id": sector_id, "recluster": True})
    assert again.status == "completed", again.error
    assert len(fake_openai.embedding_requests()) == requests_before
    assert again.result["embedding"]["embedded"] == 0
    _every_keyword_once(account.account_id, sector_id, again.result)
    assert len(list(Cluster.by_scope.query(f"{account.account_id}#{site_id}#{sector_id}"))) == len(
        {
            k.cluster_id
            for k in select_keywords(account.account_id, Selection(sector_id=sector_id))
            if k.cluster_id
        }
    )


def test_new_keywords_join_existing_clusters_and_new_topics_get_their_own(stack, account, fake_openai):
    site_id, sector_id = _site_sector(account.api_key)
    add_keywords(account.account_id, _keywords(400), site_id=site_id, sector_id=sector_id)
    fake_openai.responder = _namer()
    first = run_job(
        stack, account.account_id, "auto_cluster", {"sector_id": sector_id, "strategy": "semantic"}
    )
    assert first.status == "completed", first.error
    before = {int(c.id) for c in Cluster.by_scope.query(f"{account.account_id}#{site_id}#{sector_id}")}

    known = [("wholesale espresso machine", 50), ("espresso machine wholesale deals", 40)]
    fresh = [(f"{m} bubble tea", 30) for m in ("best", "cheap", "recipe", "kit", "shop near me")]
    add_keywords(account.account_id, known + fresh, site_id=site_id, sector_id=sector_id)
    embedded = len(fake_openai.embedded_inputs())
    second = run_job(
        stack, account.account_id, "auto_cluster", {"sector_id": sector_id, "strategy": "semantic"}
    )

    assert second.status == "completed", second.error
    assert len(fake_openai.embedded_inputs()) - embedded == len(known) + len(fresh)  # only the new ones
    rows = {k.keyword: k for k in select_keywords(account.account_id, Selection(sector_id=sector_id))}
    espresso = {rows[f"{m} espresso machine"].cluster_id for m in MODIFIERS[:5]} - {None}
    assert rows["wholesale espresso machine"].cluster_id in espresso | {None}
    assert second.result["clusters_updated"] >= 1
    bubble = {rows[k].cluster_id for k, _ in fresh}
    assert len(bubble) == 1 and next(iter(bubble)) not in before  # a new topic: a new cluster
    _every_keyword_once(account.account_id, sector_id, second.result, handled=len(known) + len(fresh))


def test_429_on_an_embedding_batch_is_retried(stack, account, fake_openai):
    site_id, sector_id = _site_sector(account.api_key)
    add_keywords(account.account_id, _keywords(320), site_id=site_id, sector_id=sector_id)
    fake_openai.queue_embedding_error(status=429, headers={"retry-after": "0"})
    fake_openai.responder = _namer()

    job = run_job(stack, account.account_id, "auto_cluster", {"sector_id": sector_id})

    assert job.status == "completed", job.error
    assert job.result["strategy"] == "semantic"
    assert fake_openai.embedding_input_counts() == [320, 320]  # the 429, then the retry


def test_a_malformed_naming_answer_keeps_fallback_names(stack, account, fake_openai):
    site_id, sector_id = _site_sector(account.api_key)
    add_keywords(account.account_id, _keywords(350), site_id=site_id, sector_id=sector_id)
    fake_openai.responder = lambda request: FakeReply(content="Sure! Here are some names: coffee, tea.")

    job = run_job(stack, account.account_id, "auto_cluster", {"sector_id": sector_id, "strategy": "semantic"})

    assert job.status == "completed", job.error
    assert (
        job.result["clusters_named"] == 0 and job.result["names_fallback"] == job.result["clusters_created"]
    )
    keywords, clusters = _every_keyword_once(account.account_id, sector_id, job.result)
    texts = {k.keyword for k in keywords}
    assert all(c.name.split(" (")[0] in texts for c in clusters)


def _wait(key: str, task_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, job = api("GET", f"/v1/jobs/{task_id}", key)
        assert status == 200
        if job["status"] in ("completed", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {task_id} still running after {timeout}s")


def test_selection_forms_and_clear_errors(stack, account, fake_openai):
    site_id, sector_id = _site_sector(account.api_key)
    _, tea = api("POST", "/v1/planner/sectors/", account.api_key, {"name": "Tea", "site_id": site_id})
    add_keywords(account.account_id, _keywords(12), site_id=site_id, sector_id=sector_id)
    tea_ids = add_keywords(
        account.account_id,
        [("green tea benefits", 10), ("green tea recipe", 20)],
        site_id=site_id,
        sector_id=tea["id"],
    )
    fake_openai.responder = _namer()
    start = "/v1/planner/keywords/auto_cluster/"

    status, body = api("POST", start, account.api_key, {"sector_id": 99999})
    assert status == 404 and "sector 99999 not found" in body["message"]
    status, body = api("POST", start, account.api_key, {"site_id": 424242})
    assert status == 404 and "site 424242 not found" in body["message"]
    status, body = api("POST", start, account.api_key, {})
    assert status == 422 and "sector_id" in body["message"]
    status, body = api("POST", start, account.api_key, {"site_id": site_id, "threshold": 2})
    assert status == 422

    # The whole site (both sectors), semantically.
    status, body = api("POST", start, account.api_key, {"site_id": site_id, "strategy": "semantic"})
    assert status == 202 and body["strategy"] == "semantic" and "14 keyword(s)" in body["message"]
    job = _wait(account.api_key, body["task_id"])
    assert job["status"] == "completed", job.get("error")
    assert job["result"]["keywords_updated"] + job["result"]["unassigned_count"] == 14
    # Nothing is left unclustered in the tea sector but what the result lists as unassigned.
    left = {
        k.keyword
        for k in select_keywords(account.account_id, Selection(unclustered=True, sector_id=tea["id"]))
    }
    assert left <= set(job["result"]["unassigned_keywords"])
    # unclustered + sector: what is left there, or a clear 400 before any job when nothing is.
    status, body = api("POST", start, account.api_key, {"unclustered": True, "sector_id": tea["id"]})
    if left:
        assert status == 202 and f"{len(left)} keyword(s)" in body["message"]
    else:
        assert status == 400 and "no keywords selected" in body["message"]
    assert all(
        k.cluster_id is not None
        for k in select_keywords(account.account_id, Selection(ids=tuple(tea_ids)))
        if k.keyword not in left
    )


def test_offline_the_same_pipeline_runs_with_the_local_embedder(stack, account):
    site_id, sector_id = _site_sector(account.api_key)
    add_keywords(account.account_id, _keywords(400), site_id=site_id, sector_id=sector_id)

    job = run_job(stack, account.account_id, "auto_cluster", {"sector_id": sector_id})

    assert job.status == "completed", job.error
    assert job.result["strategy"] == "semantic" and job.result.get("offline") is True
    assert job.result["embedding"]["model"].startswith("igny8-local-hash")
    keywords, clusters = _every_keyword_once(account.account_id, sector_id, job.result)
    assert 6 <= len(clusters) <= 16 and job.result["unassigned_count"] <= 0.05 * len(keywords)  # 8 topics


def test_scheduled_batches_cluster_each_sector_into_its_existing_clusters(stack, account, fake_openai):
    from shared.db.models import Job
    from shared.services.scheduler import run_batch

    site_id, coffee = _site_sector(account.api_key)
    _, tea = api("POST", "/v1/planner/sectors/", account.api_key, {"name": "Tea", "site_id": site_id})
    add_keywords(account.account_id, _keywords(360), site_id=site_id, sector_id=coffee)
    add_keywords(
        account.account_id,
        [(f"{m} {t}", 50) for t in TOPICS[10:14] for m in MODIFIERS[:8]],
        site_id=site_id,
        sector_id=tea["id"],
    )
    fake_openai.responder = _namer()
    event = {"account_id": account.account_id, "function_name": "auto_cluster", "selector": "unclustered"}

    def run() -> list[Job]:
        started = run_batch(event)
        jobs = [Job.get(account.account_id, task_id) for task_id in started["jobs"]]
        for job in jobs:
            stack.wait_for_execution(job.execution_arn, timeout=120)
        return [Job.get(account.account_id, job.task_id) for job in jobs]

    first = run()
    assert len(first) == 2 and all(j.status == "completed" for j in first), [j.error for j in first]
    assert sorted(j.payload["sector_id"] for j in first) == sorted([coffee, tea["id"]])
    scope = f"{account.account_id}#{site_id}#{coffee}"
    before = {c.name: int(c.id) for c in Cluster.by_scope.query(scope)}

    add_keywords(account.account_id, [("wholesale espresso machine", 20)], site_id=site_id, sector_id=coffee)
    second = run()

    # Every sector that still has keywords without a cluster gets its job; coffee's has the new one.
    (job,) = [j for j in second if j.payload.get("sector_id") == coffee]
    assert job.status == "completed", job.error
    after = {c.name: int(c.id) for c in Cluster.by_scope.query(scope)}
    assert len(after) == len(set(after.values()))  # no two clusters of one name in the sector
    assert set(before.values()) <= set(after.values())  # nothing rebuilt in parallel
    _every_keyword_once(
        account.account_id, coffee, second[0].result, handled=1 + second[0].result["unassigned_count"] - 0
    )


def test_generate_ideas_plans_a_pillar_page_for_a_pillar_hub(stack, account):
    from shared.db.models import ContentIdea

    site_id, sector_id = _site_sector(account.api_key)
    add_keywords(account.account_id, _keywords(1000), site_id=site_id, sector_id=sector_id)
    job = run_job(stack, account.account_id, "auto_cluster", {"sector_id": sector_id}, timeout=180)
    assert job.status == "completed", job.error
    clusters = list(Cluster.by_scope.query(f"{account.account_id}#{site_id}#{sector_id}"))
    hubs = [
        c
        for c in clusters
        if c.pillar_id == c.id and any(o.pillar_id == c.id and o.id != c.id for o in clusters)
    ]
    assert hubs, "the semantic clustering groups some clusters into pillars"
    status, body = api("GET", f"/v1/planner/clusters/{hubs[0].id}/", account.api_key)
    assert status == 200 and body["pillar_id"] == hubs[0].id and body["pillar_name"] == hubs[0].name

    ideas_job = run_job(stack, account.account_id, "generate_ideas", {"ids": [int(hubs[0].id)]})

    assert ideas_job.status == "completed", ideas_job.error
    ideas = list(ContentIdea.by_cluster.query(f"{account.account_id}#{hubs[0].id}"))
    pillar_pages = [i for i in ideas if i.content_structure == "pillar_page"]
    assert len(pillar_pages) == 1
    members = [c.name for c in clusters if c.pillar_id == hubs[0].id and c.id != hubs[0].id]
    assert any(name.lower() in pillar_pages[0].target_keywords.lower() for name in members)


def test_a_retried_embed_item_does_not_embed_its_stored_batches_again(stack, account, fake_openai):
    """Two batches in one embed item; the second request fails once: only it is sent again."""
    site_id, sector_id = _site_sector(account.api_key)
    add_keywords(account.account_id, _keywords(2049), site_id=site_id, sector_id=sector_id)
    fake_openai.queue_embedding(None, FakeReply(status=429, headers={"retry-after": "0"}))
    fake_openai.responder = _namer()

    job = run_job(stack, account.account_id, "auto_cluster", {"sector_id": sector_id}, timeout=240)

    assert job.status == "completed", job.error
    assert fake_openai.embedding_input_counts() == [2048, 1, 1]  # the batch stored first is kept
    assert job.result["embedding"] == {"embedded": 2049, "requests": 2, "model": "text-embedding-3-small"}
    _every_keyword_once(account.account_id, sector_id, job.result)
