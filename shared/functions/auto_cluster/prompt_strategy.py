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
from shared.db.repo import batch_get, get_one, save_all
from shared.domain.clusters import get_or_create_cluster, keywords_of_cluster
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
    account_id = account.account_id
    keywords = batch_get(Keyword, account_id, [k["id"] for k in original_data["keyword_data"]])
    if not keywords:
        raise InputInvalid("the keywords of this job no longer exist")
    site_id = _int_or_none(keywords[0].site_id)
    sector_id = _int_or_none(keywords[0].sector_id)
    by_text: dict[str, list[Keyword]] = {}
    for keyword in keywords:
        by_text.setdefault(normalize(keyword.keyword), []).append(keyword)

    assigned: dict[int, Keyword] = {}
    previous_cluster = {int(k.id): _int_or_none(k.cluster_id) for k in keywords}
    touched: dict[int, Cluster] = {}
    created = 0
    skipped_empty: list[str] = []
    now = iso_now()
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
        cluster, was_created = get_or_create_cluster(
            account_id, site_id, sector_id, entry["name"], entry["description"]
        )
        created += int(was_created)
        touched[int(cluster.id)] = cluster
        for keyword in matches:
            keyword.cluster_id = int(cluster.id)
            keyword.cluster_ref = f"{account_id}#{cluster.id}"
            keyword.status = "mapped"
            keyword.updated_at = now
            assigned[int(keyword.id)] = keyword
    save_all(assigned.values())

    # Clusters that lost keywords to another cluster need new totals too.
    for keyword_id, old in previous_cluster.items():
        if old is not None and keyword_id in assigned and int(old) not in touched:
            old_cluster = get_one(Cluster, account_id, int(old))
            if old_cluster is not None:
                touched[int(old)] = old_cluster
    for cluster_id, cluster in touched.items():
        _recompute(cluster, cluster_id, assigned, previous_cluster)

    unassigned = [k.keyword for k in keywords if int(k.id) not in assigned]
    return {
        "strategy": "prompt",
        "count": created,
        "clusters_created": created,
        "clusters_updated": len(touched) - created,
        "keywords_updated": len(assigned),
        "clusters": [{"id": cid, "name": c.name} for cid, c in touched.items() if cid in _ids(assigned)],
        "unassigned_keywords": unassigned,
        "unassigned_count": len(unassigned),
        "empty_clusters_skipped": skipped_empty,
    }


def _recompute(
    cluster: Cluster, cluster_id: int, assigned: dict[int, Keyword], previous: dict[int, int | None]
) -> None:
    """Totals from the index, corrected by this job's own writes (GSIs are eventually consistent)."""
    members = {int(k.id): k for k in keywords_of_cluster(cluster.account_id, cluster_id)}
    for keyword_id, keyword in assigned.items():
        if keyword.cluster_id == cluster_id:
            members[keyword_id] = keyword
        elif previous.get(keyword_id) == cluster_id:
            members.pop(keyword_id, None)
    cluster.update(
        actions=[
            Cluster.keywords_count.set(len(members)),
            Cluster.volume.set(sum(k.volume for k in members.values())),
            Cluster.updated_at.set(iso_now()),
        ]
    )


def _ids(assigned: dict[int, Keyword]) -> set[int]:
    return {int(k.cluster_id) for k in assigned.values() if k.cluster_id is not None}


def _int_or_none(value: float | None) -> int | None:
    return None if value is None else int(value)
