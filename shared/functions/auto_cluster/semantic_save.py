"""auto_cluster's semantic strategy, continued: SAVE of the cluster stage, and the name stage."""

from __future__ import annotations

import base64
import json
from typing import Any

from shared.ai.results import extract_json
from shared.db.base import iso_now
from shared.db.blobs import delete_blobs, get_blob, get_blobs
from shared.db.models import Cluster, Keyword, scope_ref
from shared.db.repo import allocate_ids, batch_get, batch_save
from shared.domain.clusters import cluster_name_ref, new_cluster, settle_clusters
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
    """Write the keywords and the clusters of the cluster stage; a cluster is created with its keywords.

    The keywords are written first, then each new cluster that has keywords, with their totals,
    then the totals of the existing clusters the job joined keywords to (or, rebuilding, took
    keywords from), read from their members. A retried SAVE gets the same new ids
    (``once_key``) and reads back the keywords the first attempt already mapped, so the totals
    stay those of the members.
    """
    raw = get_blob(account_id, task_id, "cluster#result")
    if raw is None:
        raise InputInvalid("the clustering result of this job is missing; run the job again")
    result = json.loads(raw)
    site_id, sector_id = result["scope"]
    tag = result["tag"]
    rows = {int(k.id): k for k in candidates(account_id, payload)}
    # Keywords an earlier attempt of this SAVE mapped are no longer candidates: read them back.
    missing = [int(kw) for kw, _, _ in result["assigned"] if int(kw) not in rows]
    rows.update({int(k.id): k for k in batch_get(Keyword, account_id, missing)})
    previous: dict[int, int | None] = {
        kid: int(k.cluster_id) if k.cluster_id is not None else None for kid, k in rows.items()
    }
    vectors: dict[int, bytes] = {}
    for data in get_blobs(account_id, task_id, blobs).values():
        vectors.update(unpack_vectors(data))
    new = result["clusters"]
    new_ids = allocate_ids(account_id, "cluster", len(new), once_key=f"{task_id}#clusters")
    joined = {int(t) for _, kind, t in result["assigned"] if kind == "e"}
    existing = {int(c.id): c for c in batch_get(Cluster, account_id, list(joined))}
    members: dict[int, list[Keyword]] = {cid: [] for cid in new_ids}
    changed: list[Keyword] = []
    for keyword_id, kind, target in result["assigned"]:
        keyword = rows.get(int(keyword_id))
        cluster_id = new_ids[target] if kind == "n" else int(target)
        if keyword is None or (kind == "e" and cluster_id not in existing):
            continue
        keyword.cluster_id = cluster_id
        keyword.status = "mapped"
        if kind == "n":
            members[cluster_id].append(keyword)
        changed.append(keyword)
    mapped = {int(k.id) for k in changed}
    unassigned = [k for k in rows.values() if int(k.id) not in mapped]
    now = iso_now()
    for keyword in [*changed, *unassigned]:
        if payload.get("recluster") and int(keyword.id) not in mapped:
            keyword.cluster_id = None
            keyword.status = "active"
        vector = vectors.get(int(keyword.id))
        if vector is not None:
            keyword.embedding, keyword.embedding_tag = vector, tag
        keyword.updated_at = now
    batch_save([*changed, *unassigned])  # the keywords first: a cluster row never exists without them

    clusters = _new_clusters(account_id, (site_id, sector_id), tag, payload, new, new_ids, members, previous)
    for cluster in clusters.values():
        cluster.updated_at = now
    batch_save(clusters.values())
    # Rebuilding: the clusters the keywords left get their totals (or go, when left empty).
    left = {cid for cid in previous.values() if cid is not None} if payload.get("recluster") else set()
    settled = [
        *existing.values(),
        *batch_get(Cluster, account_id, sorted(left - set(existing) - set(new_ids))),
    ]
    written = {int(k.id): k for k in [*changed, *unassigned]}
    removed = settle_clusters(account_id, settled, written, previous)
    delete_blobs(account_id, task_id, "embed#")
    return {
        "strategy": "semantic",
        "count": len(clusters),
        "clusters_created": len(clusters),
        "clusters_updated": len(existing),
        "clusters_removed": len(removed),
        "keywords_updated": len(changed),
        "created_ids": list(clusters),
        "pillars": len({c.pillar_id for c in clusters.values()}),
        "unassigned_count": len(unassigned),
        "unassigned_keywords": [k.keyword for k in unassigned][:UNASSIGNED_LIST_LIMIT],
        "without_vector": int(result.get("without_vector") or 0),
        "offline_embeddings": bool(result.get("offline_embeddings")),
    }


def _new_clusters(
    account_id: str,
    scope: tuple[int | None, int | None],
    tag: str,
    payload: dict[str, Any],
    specs: list[dict[str, Any]],
    new_ids: list[int],
    members: dict[int, list[Keyword]],
    previous: dict[int, int | None],
) -> dict[int, Cluster]:
    """The rows of the new clusters that have keywords (named after their fallback until the
    name stage), with their members' totals."""
    site_id, sector_id = scope
    names = _scope_names(account_id, site_id, sector_id)
    if payload.get("recluster"):  # the rebuilt clusters' names are free again
        old_ids = {cid for cid in previous.values() if cid is not None}
        names = {n: i for n, i in names.items() if i not in old_ids}
    taken = {n for n, i in names.items() if i not in members}  # a retry's own names are free
    clusters: dict[int, Cluster] = {}
    for cluster_id, spec in zip(new_ids, specs, strict=True):
        if not members[cluster_id]:
            continue  # its keywords are gone: no empty shell
        hub = new_ids[spec["pillar"]]
        clusters[cluster_id] = new_cluster(
            account_id,
            cluster_id,
            site_id,
            sector_id,
            _unique_name(spec["fallback"], taken),
            members[cluster_id],
            description="",
            pillar_id=hub if members[hub] else cluster_id,
            centroid=base64.b64decode(spec["centroid"]),
            centroid_tag=tag,
            samples=spec["samples"],
        )
    return clusters


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
