"""The link map of a cluster: its articles, their planned URLs and the internal links each holds."""

from __future__ import annotations

from typing import Any

from shared.db.derived import index_key
from shared.db.models import Cluster, Content
from shared.db.repo import get_one
from shared.errors import NotFound

#: Articles of one cluster a map shows at most (one index Query of the cluster's partition).
MAX_ARTICLES = 500


def cluster_link_map(account_id: str, cluster_id: int) -> dict[str, Any]:
    """``{cluster_id, name, articles: [{task_id, title, url, status, links: [...]}], edges}``.

    ``edges`` are the links between the cluster's own articles (``from`` -> ``to`` task ids);
    a link to a planned article not written yet keeps its URL and ``to: null``.
    """
    cluster = get_one(Cluster, account_id, cluster_id)
    if cluster is None:
        raise NotFound(f"cluster {cluster_id} not found")
    contents = [
        c
        for c in Content.by_cluster.query(index_key(account_id, cluster_id), limit=MAX_ARTICLES)
        if c.account_id == account_id
    ]
    by_url = {c.url: int(c.task_id) for c in contents if c.url}
    articles = []
    edges = []
    for content in contents:
        links = [dict(link) for link in content.links or []]
        articles.append(
            {
                "task_id": int(content.task_id),
                "title": content.title,
                "url": content.url,
                "status": content.status,
                "seo_score": (content.seo or {}).get("score"),
                "links": links,
            }
        )
        for link in links:
            if link.get("idea_id") is not None or link.get("url") in by_url:
                edges.append(
                    {"from": int(content.task_id), "to": by_url.get(link["url"]), "url": link["url"]}
                )
    return {"cluster_id": cluster_id, "name": cluster.name, "articles": articles, "edges": edges}
