"""Internal links among a 5-article cluster, and a German site written, checked and tagged in German."""

from __future__ import annotations

import json
import re

import pytest

from local_stack.apigw import call_api, proxy_event
from shared.ai.prompts import read_data_block
from shared.db.models import Content, ContentIdea
from shared.db.repo import allocate_ids, batch_get, save_all
from shared.domain.structured_data import article_structured_data
from shared.services.content_plan import article_document, create_tasks_from_ideas
from tests.fakes.openai_server import FakeReply, ReceivedRequest
from tests.helpers import api, run_job
from tests.integration.test_ideas_content_flow import make_cluster

pytestmark = pytest.mark.integration

TOPICS = [
    "cold brew ratio",
    "cold brew grinder",
    "cold brew jar",
    "cold brew concentrate",
    "cold brew filter",
]


def _site(key: str, **settings) -> int:
    status, body = api("POST", "/v1/planner/sites/", key, {"name": "Coffee", "domain": "coffee.example"})
    assert status == 201
    status, body = api("PATCH", f"/v1/planner/sites/{body['id']}/", key, settings)
    assert status == 200, body
    return int(body["id"])


def _ideas(account_id: str, site_id: int, cluster_id: int, topics: list[str]) -> list[int]:
    ids = allocate_ids(account_id, "idea", len(topics))
    save_all(
        ContentIdea(
            account_id,
            idea_id,
            idea_title=topic.title(),
            description="Brief",
            target_keywords=topic,
            keyword_cluster_id=cluster_id,
            cluster_ref=f"{account_id}#{cluster_id}",
            slug=topic.replace(" ", "-"),
            site_id=site_id,
            estimated_word_count=60,
        )
        for idea_id, topic in zip(ids, topics, strict=True)
    )
    return ids


def test_articles_of_a_cluster_link_to_each_other(stack, account, fake_openai):
    key = account.api_key
    site_id = _site(key, path_prefix="/blog")
    cluster_id = make_cluster(
        account.account_id, "Cold brew gear", [(t, 100) for t in TOPICS], site_id=site_id
    )
    ideas = _ideas(account.account_id, site_id, cluster_id, TOPICS)
    tasks = create_tasks_from_ideas(account.account_id, ideas)
    prompts: dict[str, str] = {}

    def respond(request: ReceivedRequest) -> FakeReply:
        if "<<<ARTICLE" in request.prompt:  # revisions: the article as it was
            return FakeReply(content=json.dumps(read_data_block(request.prompt, "ARTICLE")))
        own = read_data_block(request.prompt, "TARGET_KEYWORDS")[0]
        prompts[own] = request.prompt
        others = ", ".join(t for t in TOPICS if t != own)
        return FakeReply(
            content=json.dumps(
                {
                    "title": own.title(),
                    "content": f"<h2>{own.title()}</h2><p>All about {own}. See also {others}.</p>",
                    "primary_keyword": own,
                }
            )
        )

    fake_openai.responder = respond
    job = run_job(stack, account.account_id, "generate_content", {"ids": [int(t.id) for t in tasks]})
    assert job.status == "completed", job.error

    # Each prompt names the four siblings with their planned URLs, never the article itself.
    related = read_data_block(prompts["cold brew jar"], "RELATED_ARTICLES")
    assert sorted(r["url"] for r in related) == sorted(
        f"https://coffee.example/blog/{t.replace(' ', '-')}/" for t in TOPICS if t != "cold brew jar"
    )
    contents = {
        c.primary_keyword: c for c in batch_get(Content, account.account_id, [int(t.id) for t in tasks])
    }
    for topic, content in contents.items():
        assert content.url == f"https://coffee.example/blog/{topic.replace(' ', '-')}/"
        hrefs = [link["url"] for link in content.links]
        assert sorted(hrefs) == sorted(contents[t].url for t in TOPICS if t != topic), topic
        assert content.html_content.count("<a ") == 4 and content.seo["checks"]["internal_links"]
    status, links = api("GET", f"/v1/planner/clusters/{cluster_id}/links", key)
    assert status == 200 and len(links["articles"]) == 5
    assert len(links["edges"]) == 20 and all(e["to"] is not None for e in links["edges"])
    assert api("GET", "/v1/planner/clusters/999999/links", key)[0] == 404
    # The report draws the same map: each article's row lists the articles it links to.
    response = call_api(proxy_event("GET", "/v1/report", None, {"authorization": f"Bearer {key}"}))
    page = response["body"]
    rows = re.findall(r'<tr data-task-id="(\d+)">(.*?)</tr>', page.split('<table id="articles">')[1])
    assert len(rows) == 5
    jar = next(row for _, row in rows if ">Cold Brew Jar<" in row)
    linked = re.findall(r"<td>([^<]*)</td></tr>$", jar + "</tr>")[0].split(", ")
    assert sorted(linked) == sorted(t.title() for t in TOPICS if t != "cold brew jar")


GERMAN_ARTICLE = (
    "<h2>Kaltbrühkaffee: die Grundlagen</h2><p>Kaltbrühkaffee zieht zwölf Stunden im Kühlschrank. "
    "Danach filtert man ihn durch ein Tuch. Er schmeckt mild und süß.</p>"
    "<h2>Häufig gestellte Fragen</h2><h3>Ist Kaltbrühkaffee stärker?</h3><p>Pro Tasse meist ja.</p>"
    "<h3>Wie lange hält er?</h3><p>Etwa eine Woche im Kühlschrank.</p>"
)


def test_a_german_site_is_written_and_checked_in_german(stack, account, fake_openai):
    key = account.api_key
    site_id = _site(
        key, language="de", country="DE", style_guide={"voice": "freundlich", "avoid": ["billig"]}
    )
    cluster_id = make_cluster(
        account.account_id, "Kaltbrühkaffee", [("kaltbrühkaffee", 900)], site_id=site_id
    )
    (idea,) = _ideas(account.account_id, site_id, cluster_id, ["kaltbrühkaffee"])
    (task,) = create_tasks_from_ideas(account.account_id, [idea])
    seen: list[str] = []

    def respond(request: ReceivedRequest) -> FakeReply:
        seen.append(request.prompt)
        return FakeReply(
            content=json.dumps(
                {
                    "title": "Kaltbrühkaffee zu Hause",
                    "content": GERMAN_ARTICLE,
                    "primary_keyword": "kaltbrühkaffee",
                    "meta_description": "Wie Kaltbrühkaffee gelingt: Verhältnis, Zeit und Filter, dazu die "
                    "häufigsten Fragen, freundlich erklärt für zu Hause.",
                }
            )
        )

    fake_openai.responder = respond
    job = run_job(stack, account.account_id, "generate_content", {"ids": [int(task.id)]})
    assert job.status == "completed", job.error

    assert "Write the article in German" in seen[0]
    assert read_data_block(seen[0], "STYLE_GUIDE") == {"voice": "freundlich", "avoid": ["billig"]}
    content = Content.get(account.account_id, int(task.id))
    assert content.lang == "de" and content.seo["details"]["lang"] == "de"
    assert content.seo["checks"]["keyword_in_intro"] and content.seo["checks"]["keyword_in_h2"]
    assert [o["@type"] for o in content.structured_data] == ["Article", "FAQPage"]
    assert content.structured_data[0]["inLanguage"] == "de"
    page = article_document(content)
    assert page.startswith('<!doctype html>\n<html lang="de">')
    script = re.search(r'<script type="application/ld\+json">\n(.*?)\n</script>', page, re.DOTALL)
    assert script is not None and json.loads(script.group(1))[1]["@type"] == "FAQPage"
    status, view = api("GET", f"/v1/writer/content/{int(task.id)}/", key)
    assert status == 200 and view["lang"] == "de" and view["structured_data"] == content.structured_data
    assert article_structured_data(html=GERMAN_ARTICLE, title="x", description=None, lang="de")[1][
        "mainEntity"
    ]


def test_ideas_for_a_german_site_are_asked_in_german(stack, account, fake_openai):
    site_id = _site(account.api_key, language="de", style_guide={"audience": "Kaffeeliebhaber"})
    cluster_id = make_cluster(
        account.account_id, "Kaltbrühkaffee", [("kaltbrühkaffee", 900)], site_id=site_id
    )
    fake_openai.queue_json({"ideas": [{"title": "Kaltbrühkaffee: der Leitfaden", "cluster_id": cluster_id}]})
    job = run_job(stack, account.account_id, "generate_ideas", {"ids": [cluster_id]})
    assert job.status == "completed", job.error
    (request,) = fake_openai.requests
    assert "Write the titles and outlines in German." in request.prompt
    assert read_data_block(request.prompt, "STYLE_GUIDE") == {"audience": "Kaffeeliebhaber"}
    (idea,) = ContentIdea.by_cluster.query(f"{account.account_id}#{cluster_id}")
    assert idea.slug == "kaltbruhkaffee-der-leitfaden"
