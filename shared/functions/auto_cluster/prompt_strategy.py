"""auto_cluster's prompt strategy (seed §2): read the model's clusters and save them.

The seed's single prompt: the model answers with every cluster and its keywords; keywords are
matched to the job's case- and whitespace-insensitively, each ends in one cluster (the first that
names it) or is reported unassigned, and clusters are got or created by name in the scope.
"""

from __future__ import annotations

import json
from typing import Any

from shared.ai.results import extract_json
from shared.ai.tracker import StepTracker
from shared.db.base import iso_now
from shared.db.models import Account, Cluster, Keyword
from shared.db.repo import allocate_ids, batch_get, get_one, save_all
from shared.domain.clusters import cluster_name_ref, find_cluster, new_cluster, settle_clusters
from shared.errors import AIResponseInvalid, InputInvalid
from shared.functions.base import ProgressReporter


def normalize(text: str) -> str:
    """Case-insensitive, whitespace-insensitive form used to match the AI's keywords to ours."""
    return " ".join(str(text).lower().split())


def parse_clusters(response: str, step_tracker: StepTracker | None = None) -> list[dict[str, Any]]:
    try:
        value = json.loads(response)
    except ValueError:
        value = extract_json(response)
    if value is None:
        raise AIResponseInvalid("the clustering answer contains no JSON")
    raw = value.get("clusters") if isinstance(value, dict) else value
    if not isinstance(raw, list):
        raise AIResponseInvalid('the clustering answer has no "clusters" list')
    clusters = []
    for entry in raw:
        if not isinstance(entry, dict) or not str(entry.get("name") or "").strip():
            continue
        keywords = entry.get("keywords") or []
        if isinstance(keywords, str):
            keywords = [k for k in keywords.split(",")]
        clusters.append(
            {
                "name": str(entry["name"]).strip()[:200],
                "description": str(entry.get("description") or "").strip(),
                "keywords": [str(k).strip() for k in keywords if str(k).strip()],
            }
        )
    if step_tracker is not None:
        step_tracker.add_response_step("PARSE", message=f"{len(clusters)} cluster(s) in the answer")
    return clusters


def save_clusters(
    parsed: Any,
    original_data: dict[str, Any],
    account: Account,
    progress_tracker: ProgressReporter | None = None,
    step_tracker: StepTracker | None = None,
) -> dict[str, Any]:
    """Map the job's keywords to the answer's clusters and write them.

    Keywords are written first, then each new cluster with the totals of its keywords (never an
    empty shell), then the totals of the existing clusters the job changed, from their members.
    A retried SAVE (``_save_key``) gets the same new ids back, so it overwrites what the first
    attempt wrote and creates nothing twice.
    """
    account_id = account.account_id
    keywords = batch_get(Keyword, account_id, [k["id"] for k in original_data["keyword_data"]])
    if not keywords:
        raise InputInvalid("the keywords of this job no longer exist")
    site_id = _int_or_none(keywords[0].site_id)
    sector_id = _int_or_none(keywords[0].sector_id)
    by_text: dict[str, list[Keyword]] = {}
    for keyword in keywords:
        by_text.setdefault(normalize(keyword.keyword), []).append(keyword)

    previous = {int(k.id): _int_or_none(k.cluster_id) for k in keywords}
    assigned: dict[int, Keyword] = {}
    plan: list[tuple[dict[str, Any], list[Keyword]]] = []
    skipped_empty: list[str] = []
    for entry in parsed:
        matches = [
            k
            for text in entry["keywords"]
            for k in by_text.get(normalize(text), [])
            if int(k.id) not in assigned
        ]
        matches = list({int(k.id): k for k in matches}.values())
        if not matches:
            skipped_empty.append(entry["name"])
            continue
        plan.append((entry, matches))
        for keyword in matches:
            assigned[int(keyword.id)] = keyword

    save_key = original_data.get("_save_key")
    fresh_ids = allocate_ids(
        account_id, "cluster", len(plan), once_key=f"{save_key}#clusters" if save_key else None
    )
    created: dict[int, tuple[dict[str, Any], list[Keyword]]] = {}
    existing: dict[int, Cluster] = {}
    by_ref: dict[str, int] = {}
    now = iso_now()
    for (entry, matches), fresh_id in zip(plan, fresh_ids, strict=True):
        ref = cluster_name_ref(account_id, site_id, sector_id, entry["name"])
        cluster_id = by_ref.get(ref)
        if cluster_id is None:
            found = find_cluster(account_id, site_id, sector_id, entry["name"])
            # A cluster with one of this SAVE's ids was created by an earlier attempt of it.
            if found is not None and int(found.id) not in fresh_ids:
                cluster_id = int(found.id)
                existing[cluster_id] = found
            else:
                cluster_id = fresh_id
                created[cluster_id] = (entry, [])
            by_ref[ref] = cluster_id
        if cluster_id in created:
            created[cluster_id][1].extend(matches)
        for keyword in matches:
            keyword.cluster_id = cluster_id
            keyword.cluster_ref = f"{account_id}#{cluster_id}"
            keyword.status = "mapped"
            keyword.updated_at = now
    save_all(assigned.values())  # the keywords first: a cluster row never exists without them

    save_all(
        new_cluster(
            account_id, cid, site_id, sector_id, entry["name"], members, description=entry["description"]
        )
        for cid, (entry, members) in created.items()
    )
    # Clusters that lost keywords to another cluster need new totals too.
    for keyword_id, old in previous.items():
        if old is not None and keyword_id in assigned and old not in created and old not in existing:
            old_cluster = get_one(Cluster, account_id, old)
            if old_cluster is not None:
                existing[old] = old_cluster
    removed = settle_clusters(account_id, existing.values(), assigned, previous)

    unassigned = [k.keyword for k in keywords if int(k.id) not in assigned]
    names = {cid: entry["name"] for cid, (entry, _) in created.items()}
    names.update({cid: c.name for cid, c in existing.items()})
    mapped = {int(k.cluster_id) for k in assigned.values() if k.cluster_id is not None}
    return {
        "strategy": "prompt",
        "count": len(created),
        "clusters_created": len(created),
        "clusters_updated": len(existing) - len(removed),
        "clusters_removed": len(removed),
        "keywords_updated": len(assigned),
        "clusters": [{"id": cid, "name": names[cid]} for cid in names if cid in mapped],
        "unassigned_keywords": unassigned,
        "unassigned_count": len(unassigned),
        "empty_clusters_skipped": skipped_empty,
    }


def _int_or_none(value: float | None) -> int | None:
    return None if value is None else int(value)
