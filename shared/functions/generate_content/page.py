"""generate_content's page context: PREP's data of each task (``load_tasks``: its idea, cluster,
site and siblings), the site (language, style guide, URLs), the sibling articles an article
links to, and what SAVE adds to the page (links, URL, language, JSON-LD).

Siblings are the other ideas of the article's cluster and the hub ideas of its pillar (the
cluster hub and pillar page of the pillar's hub cluster), each with its planned URL
(``shared.domain.internal_links``). The writer's prompt carries them; after the answer, the link
pass adds a link where the article names a sibling's primary keyword and does not link it yet.
"""

from __future__ import annotations

from typing import Any

from shared.db.models import Cluster, Content, ContentIdea, Site, WriterTask
from shared.db.repo import batch_get
from shared.domain.clusters import keywords_of_cluster
from shared.domain.internal_links import Sibling, add_links, links_in, planned_url, slugify
from shared.domain.outline import split_list
from shared.domain.structured_data import article_structured_data

#: Keywords of its cluster an article's PREP data carries (highest volume first).
CLUSTER_KEYWORDS_LIMIT = 50
#: Siblings one article is told about (the cluster's ideas first, then the pillar's hubs).
MAX_SIBLINGS = 12
HUB_STRUCTURES = ("cluster_hub", "pillar_page")


def site_context(site: Site | None) -> dict[str, Any] | None:
    if site is None:
        return None
    return {
        "id": int(site.id),
        "name": site.name,
        "domain": site.domain,
        "language": (site.language or "en").lower(),
        "country": site.country,
        "path_prefix": site.path_prefix,
        "style_guide": site.style_guide or None,
    }


def idea_url(idea: ContentIdea, site: dict[str, Any] | None) -> str:
    site = site or {}
    return planned_url(
        site.get("domain"), site.get("path_prefix"), idea.slug or slugify(idea.idea_title or "")
    )


def _ideas_of(account_id: str, cluster_id: int) -> list[ContentIdea]:
    return [
        i for i in ContentIdea.by_cluster.query(f"{account_id}#{cluster_id}") if i.account_id == account_id
    ]


def sibling_articles(
    account_id: str, clusters: dict[int, Cluster], sites: dict[int, dict[str, Any] | None]
) -> dict[int, list[dict[str, Any]]]:
    """``{cluster id: [{idea_id, title, keyword, url}]}``: what an article of the cluster links to."""
    cache: dict[int, list[ContentIdea]] = {}

    def ideas(cluster_id: int) -> list[ContentIdea]:
        if cluster_id not in cache:
            cache[cluster_id] = _ideas_of(account_id, cluster_id)
        return cache[cluster_id]

    found: dict[int, list[dict[str, Any]]] = {}
    for cluster_id, cluster in clusters.items():
        site = sites.get(int(cluster.site_id)) if cluster.site_id is not None else None
        candidates = list(ideas(cluster_id))
        hub = int(cluster.pillar_id) if cluster.pillar_id is not None else None
        if hub is not None and hub != cluster_id:
            candidates += [i for i in ideas(hub) if i.content_structure in HUB_STRUCTURES]
        found[cluster_id] = [
            {
                "idea_id": int(i.id),
                "title": i.idea_title,
                "keyword": (split_list(i.target_keywords) or [i.idea_title])[0],
                "url": idea_url(i, site),
            }
            for i in candidates[: MAX_SIBLINGS + 1]
        ]
    return found


def siblings_for(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The item's siblings, without the article itself."""
    own = (data.get("idea") or {}).get("id")
    return [s for s in data.get("siblings") or [] if s.get("idea_id") != own][:MAX_SIBLINGS]


def finish_page(content: Content, data: dict[str, Any], now: str) -> None:
    """SAVE's additions: the link pass, the page's language, slug and URL, links and JSON-LD."""
    site = data.get("site") or {}
    siblings = siblings_for(data)
    html, _ = add_links(
        content.html_content or "", [Sibling(s["keyword"], s["title"], s["url"]) for s in siblings]
    )
    content.html_content = html
    idea = data.get("idea") or {}
    content.lang = site.get("language") or "en"
    content.slug = idea.get("slug") or slugify(content.title or "")
    content.url = planned_url(site.get("domain"), site.get("path_prefix"), content.slug)
    urls = {s["url"]: s["idea_id"] for s in siblings}
    content.links = [{"url": href, "idea_id": urls.get(href)} for href in links_in(html)]
    keywords = [content.primary_keyword or "", *(content.secondary_keywords or [])]
    content.structured_data = article_structured_data(
        html=html,
        title=content.title,
        description=content.meta_description,
        url=content.url if site.get("domain") else None,
        site_name=site.get("name"),
        lang=content.lang,
        keywords=[k for k in keywords if k],
        published=content.created_at,
        modified=now,
        word_count=int(content.word_count or 0) or None,
    )


def load_tasks(account_id: str, task_ids: list[int]) -> dict[str, Any]:
    """PREP of the write stage: each task with its idea, cluster (top keywords), site and siblings."""
    tasks = batch_get(WriterTask, account_id, task_ids)
    idea_ids = [int(t.idea_id) for t in tasks if t.idea_id is not None]
    cluster_ids = [int(t.cluster_id) for t in tasks if t.cluster_id is not None]
    ideas = {int(i.id): i for i in batch_get(ContentIdea, account_id, idea_ids)}
    site_ids = [int(t.site_id) for t in tasks if t.site_id is not None]
    sites = {int(s.id): site_context(s) for s in batch_get(Site, account_id, site_ids)}
    clusters = {int(c.id): c for c in batch_get(Cluster, account_id, cluster_ids)}
    siblings = sibling_articles(account_id, clusters, sites)
    cluster_keywords = {
        cid: [
            k.keyword
            for k in sorted(keywords_of_cluster(account_id, cid), key=lambda k: (-k.volume, int(k.id)))
        ][:CLUSTER_KEYWORDS_LIMIT]
        for cid in clusters
    }
    items: list[dict[str, Any]] = []
    for task in tasks:
        idea = ideas.get(int(task.idea_id)) if task.idea_id is not None else None
        cluster = clusters.get(int(task.cluster_id)) if task.cluster_id is not None else None
        site = sites.get(int(task.site_id)) if task.site_id is not None else None
        items.append(
            {
                "task": {
                    "id": int(task.id),
                    "title": task.title,
                    "description": task.description or "",
                    "keywords": task.keywords or "",
                    "cluster_id": task.cluster_id,
                    "idea_id": task.idea_id,
                    "content_structure": task.content_structure,
                    "content_type": task.content_type,
                    "meta_title": task.meta_title,
                    "meta_description": task.meta_description,
                },
                "idea": None
                if idea is None
                else {
                    "id": int(idea.id),
                    "title": idea.idea_title,
                    "description": idea.description or "",
                    "content_structure": idea.content_structure,
                    "content_type": idea.content_type,
                    "estimated_word_count": int(idea.estimated_word_count or 0) or None,
                    "target_keywords": idea.target_keywords or "",
                    "slug": idea.slug,
                },
                "cluster": None
                if cluster is None
                else {
                    "id": int(cluster.id),
                    "name": cluster.name,
                    "description": cluster.description or "",
                    "status": cluster.status,
                    "keywords": cluster_keywords.get(int(cluster.id), []),
                },
                "site": site,
                "siblings": siblings.get(int(task.cluster_id), []) if task.cluster_id is not None else [],
            }
        )
        # An article with siblings must link to at least one of them (the on-page checks).
        items[-1]["min_internal_links"] = 1 if siblings_for(items[-1]) else 0
    return {"tasks": items}
