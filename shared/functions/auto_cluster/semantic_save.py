"""auto_cluster's semantic strategy, continued: SAVE of the cluster stage, and the name stage."""

from __future__ import annotations

import base64
import json
from typing import Any

from shared.ai.results import extract_json
from shared.db.base import iso_now
from shared.db.blobs import delete_blobs, get_blob, get_blobs
from shared.db.models import Cluster, Keyword, scope_ref
from shared.db.repo import allocate_ids, batch_delete, batch_get, batch_save
from shared.domain.clusters import cluster_name_ref
from shared.errors import InputInvalid
from shared.functions.auto_cluster.semantic import (
    NAMES_PER_CALL,
    UNASSIGNED_LIST_LIMIT,
    candidates,
    unpack_vectors,
)

NAME_LIMIT = 200
DESCRIPTION_LIMIT = 500


def _unique_name(base: str, taken: set[str]) -> str:
    """``base``, or ``base (2)``, ``base (3)``... when the scope already has that name."""
    name = base.strip()[:NAME_LIMIT] or "Cluster"
    candidate, n = name, 2
    while candidate.casefold() in taken:
        candidate, n = f"{name} ({n})", n + 1
    taken.add(candidate.casefold())
    return candidate


def _scope_names(account_id: str, site_id: int | None, sector_id: int | None) -> dict[str, int]:
    # Names and ids only: the scope's clusters carry centroids and samples (one page, not several).
    rows = Cluster.by_scope.query(
        scope_ref(account_id, site_id, sector_id), attributes_to_get=["account_id", "id", "name"]
    )
    return {c.name.casefold(): int(c.id) for c in rows}


# ---------------------------------------------------------------- cluster SAVE
def save_clusters(account_id: str, task_id: str, payload: dict[str, Any], blobs: list[str]) -> dict[str, Any]:
    """Write the clusters and the keywords of the cluster stage; a cluster is created with its keywords."""
    raw = get_blob(account_id, task_id, "cluster#result")
    if raw is None:
        raise InputInvalid("the clustering result of this job is missing; run the job again")
    result = json.loads(raw)
    site_id, sector_id = result["scope"]
    tag = result["tag"]
    rows = {int(k.id): k for k in candidates(account_id, payload)}
    vectors: dict[int, bytes] = {}
    for data in get_blobs(account_id, task_id, blobs).values():
        vectors.update(unpack_vectors(data))
    new = result["clusters"]
    new_ids = allocate_ids(account_id, "cluster", len(new), once_key=f"{task_id}#clusters")
    names = _scope_names(account_id, site_id, sector_id)
    old_ids = {int(k.cluster_id) for k in rows.values() if k.cluster_id is not None}
    if payload.get("recluster"):
        for cluster_id in old_ids:  # their names are free again: they are rebuilt below
            names = {n: i for n, i in names.items() if i != cluster_id}
    taken = set(names)
    now = iso_now()
    clusters: dict[int, Cluster] = {}
    for cluster_id, spec in zip(new_ids, new, strict=True):
        name = _unique_name(spec["fallback"], taken)
        clusters[cluster_id] = Cluster(
            account_id,
            cluster_id,
            name=name,
            name_ref=cluster_name_ref(account_id, site_id, sector_id, name),
            description="",
            site_id=site_id,
            sector_id=sector_id,
            status="active",
            pillar_id=new_ids[spec["pillar"]],
            centroid=base64.b64decode(spec["centroid"]),
            centroid_tag=tag,
            samples=spec["samples"],
            keywords_count=0,
            volume=0,
        )
    joined = {int(t) for _, kind, t in result["assigned"] if kind == "e"}
    existing = {int(c.id): c for c in batch_get(Cluster, account_id, list(joined))}
    changed: list[Keyword] = []
    for keyword_id, kind, target in result["assigned"]:
        keyword = rows.get(int(keyword_id))
        cluster = clusters.get(new_ids[target]) if kind == "n" else existing.get(int(target))
        if keyword is None or cluster is None:
            continue
        keyword.cluster_id = int(cluster.id)
        keyword.status = "mapped"
        cluster.keywords_count = int(cluster.keywords_count or 0) + 1
        cluster.volume = int(cluster.volume or 0) + keyword.volume
        changed.append(keyword)
    mapped = {int(k.id) for k in changed}
    unassigned = [k for k in rows.values() if int(k.id) not in mapped]
    for keyword in [*changed, *unassigned]:
        if payload.get("recluster") and int(keyword.id) not in mapped:
            keyword.cluster_id = None
            keyword.status = "active"
        vector = vectors.get(int(keyword.id))
        if vector is not None:
            keyword.embedding, keyword.embedding_tag = vector, tag
        keyword.updated_at = now
    for cluster in [*clusters.values(), *existing.values()]:
        cluster.updated_at = now
    batch_save([*clusters.values(), *existing.values(), *changed, *unassigned])
    emptied = (
        _drop_emptied(account_id, old_ids - set(existing) - set(clusters)) if payload.get("recluster") else 0
    )
    delete_blobs(account_id, task_id, "embed#")
    return {
        "strategy": "semantic",
        "count": len(clusters),
        "clusters_created": len(clusters),
        "clusters_updated": len(existing),
        "clusters_removed": emptied,
        "keywords_updated": len(changed),
        "created_ids": list(clusters),
        "pillars": len({c.pillar_id for c in clusters.values()}),
        "unassigned_count": len(unassigned),
        "unassigned_keywords": [k.keyword for k in unassigned][:UNASSIGNED_LIST_LIMIT],
        "without_vector": int(result.get("without_vector") or 0),
        "offline_embeddings": bool(result.get("offline_embeddings")),
    }


def _drop_emptied(account_id: str, cluster_ids: set[int]) -> int:
    """Delete the rebuilt clusters that kept no keyword: no empty shell is left."""
    gone = [
        cid
        for cid in cluster_ids
        if next(iter(Keyword.by_cluster.query(f"{account_id}#{cid}", limit=1)), None) is None
    ]
    return batch_delete(Cluster, [(account_id, cid) for cid in gone]) if gone else 0


# ---------------------------------------------------------------- name
def name_items(account_id: str, cluster_ids: list[int]) -> list[tuple[str, dict[str, Any]]]:
    """Naming calls of ``NAMES_PER_CALL`` clusters each, with their representative keywords."""
    clusters = batch_get(Cluster, account_id, cluster_ids)
    specs = [{"id": int(c.id), "fallback": c.name, "keywords": list(c.samples or [])} for c in clusters]
    batches = [specs[i : i + NAMES_PER_CALL] for i in range(0, len(specs), NAMES_PER_CALL)] or [[]]
    return [(f"names-{n:04d}", {"clusters": batch}) for n, batch in enumerate(batches)]


def naming_data(data: dict[str, Any]) -> str:
    """The clusters of one naming call as the JSON array the prompt carries (data, not instructions)."""
    return json.dumps(
        [{"id": c["id"], "keywords": c["keywords"]} for c in data.get("clusters") or []], ensure_ascii=False
    )


def offline_names(data: dict[str, Any]) -> dict[str, Any]:
    """Without a model: each cluster keeps its fallback name (its highest-volume keyword)."""
    return {
        "clusters": [
            {"id": c["id"], "name": c["fallback"], "description": f"Searches around “{c['fallback']}”."}
            for c in data.get("clusters") or []
        ]
    }


def parse_names(response: str) -> dict[str, Any]:
    """{"names": {id: {name, description}}} of a naming answer; never raises (malformed: none)."""
    value = extract_json(response)
    entries = value.get("clusters") if isinstance(value, dict) else value
    names: dict[str, Any] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        try:
            cluster_id = int(entry.get("id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        name = " ".join(str(entry.get("name") or "").split())
        if name:
            description = " ".join(str(entry.get("description") or "").split())
            names[str(cluster_id)] = {
                "name": name[:NAME_LIMIT],
                "description": description[:DESCRIPTION_LIMIT],
            }
    return {"names": names}


def save_names(account_id: str, parsed: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Give the clusters of this call the names the answer gave; the others keep the fallback.

    Names for clusters this call did not ask about are ignored."""
    asked = {str(int(c["id"])) for c in data.get("clusters") or []}
    names = {i: v for i, v in (parsed.get("names") or {}).items() if i in asked}
    clusters = batch_get(Cluster, account_id, [int(i) for i in names])
    if not clusters:
        return {"clusters_named": 0, "names_fallback": len(asked)}
    site_id = int(clusters[0].site_id) if clusters[0].site_id is not None else None
    sector_id = int(clusters[0].sector_id) if clusters[0].sector_id is not None else None
    taken = {n for n, cid in _scope_names(account_id, site_id, sector_id).items() if str(cid) not in names}
    now = iso_now()
    for cluster in clusters:
        entry = names[str(int(cluster.id))]
        cluster.name = _unique_name(entry["name"], taken)
        cluster.name_ref = cluster_name_ref(account_id, site_id, sector_id, cluster.name)
        cluster.description = entry["description"]
        cluster.updated_at = now
    batch_save(clusters)
    return {"clusters_named": len(clusters), "names_fallback": len(asked) - len(clusters)}
