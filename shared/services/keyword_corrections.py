"""Corrections by hand of keywords: move them between clusters, delete them.

Keywords are read by key in the caller's account (another account's ids are 404, nothing is
touched). The old and the new clusters' ``keywords_count`` and ``volume`` change with atomic
``ADD`` updates of the moved (or deleted) keywords' count and volume: concurrent moves add up, and
the cost does not grow with the clusters' sizes. A keyword of a cluster or site/sector a running
job has claimed is a 409 naming the job (``shared.engine.claims.ensure_free``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from pynamodb.exceptions import UpdateError

from shared.db.base import iso_now
from shared.db.claim_tables import cluster_claim, scope_claim
from shared.db.models import Cluster, Keyword, SeedKeyword
from shared.db.repo import batch_delete, batch_get, batch_save
from shared.engine.claims import ensure_free
from shared.errors import NotFound, StateConflict
from shared.services.corrections import (
    cluster_refs,
    get_cluster_or_404,
    id_list,
    same_scope,
    scope_text,
)
from shared.services.keywords import normalize_keyword

MAX_KEYWORDS_PER_REQUEST = 1000


def _keywords_or_404(account_id: str, ids: Sequence[int]) -> list[Keyword]:
    wanted = list(dict.fromkeys(int(i) for i in ids))
    keywords = batch_get(Keyword, account_id, wanted, consistent_read=True)
    found = {int(k.id) for k in keywords}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound(f"keywords not found in this account: {id_list(missing)}")
    return keywords


def _keyword_refs(keywords: list[Keyword]) -> list[str]:
    refs = {cluster_claim(int(k.cluster_id)) for k in keywords if k.cluster_id is not None}
    refs |= {scope_claim(k.site_id, k.sector_id) for k in keywords}
    return sorted(refs)


def _adjust(account_id: str, deltas: dict[int, list[int]], now: str) -> list[int]:
    """Add ``[count, volume]`` to each cluster atomically (a cluster deleted meanwhile is skipped).

    Returns the clusters left without keywords: they stay (a correction deletes no cluster the
    caller did not name; ``DELETE /v1/planner/clusters/<id>/`` does).
    """
    emptied: list[int] = []
    for cluster_id, (count, volume) in deltas.items():
        if count == 0 and volume == 0:
            continue
        cluster = Cluster(account_id, cluster_id)
        try:
            cluster.update(
                actions=[
                    Cluster.keywords_count.add(count),
                    Cluster.volume.add(volume),
                    Cluster.updated_at.set(now),
                ],
                condition=Cluster.id.exists(),
            )
        except UpdateError as exc:
            if getattr(exc, "cause_response_code", "") != "ConditionalCheckFailedException":
                raise
            continue
        if int(cluster.keywords_count or 0) <= 0:
            emptied.append(cluster_id)
    return sorted(emptied)


@dataclass
class KeywordMove:
    keywords: list[Keyword] = field(default_factory=list)
    moved: int = 0
    emptied: list[int] = field(default_factory=list)


def move_keywords(account_id: str, ids: Sequence[int], cluster_id: int | None) -> KeywordMove:
    """Move keywords to ``cluster_id`` (``mapped``), or out of any cluster with None (``active``).

    The keywords must be in the cluster's site/sector (409 otherwise). The old and the new
    clusters' counts and volumes change by the moved keywords' with atomic ADD updates.
    """
    keywords = _keywords_or_404(account_id, ids)
    target = get_cluster_or_404(account_id, cluster_id) if cluster_id is not None else None
    if target is not None:
        elsewhere = [int(k.id) for k in keywords if not same_scope(k, target)]
        if elsewhere:
            raise StateConflict(
                f"keywords {id_list(elsewhere)} are not in cluster {cluster_id}'s {scope_text(target)}: "
                "a keyword can only join a cluster of its own site/sector"
            )
    to_move = [k for k in keywords if k.cluster_id != cluster_id]
    refs = set(_keyword_refs(to_move)) | (
        set(cluster_refs(target)) if target is not None and to_move else set()
    )
    ensure_free(account_id, sorted(refs))
    now = iso_now()
    deltas: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for keyword in to_move:
        if keyword.cluster_id is not None:
            deltas[int(keyword.cluster_id)][0] -= 1
            deltas[int(keyword.cluster_id)][1] -= keyword.volume
        if cluster_id is not None:
            deltas[cluster_id][0] += 1
            deltas[cluster_id][1] += keyword.volume
        keyword.cluster_id = cluster_id
        keyword.status = "mapped" if cluster_id is not None else "active"
        keyword.updated_at = now
    batch_save(to_move)
    emptied = _adjust(account_id, deltas, now)
    return KeywordMove(keywords=keywords, moved=len(to_move), emptied=emptied)


def delete_keywords(account_id: str, ids: Sequence[int]) -> list[int]:
    """Delete keywords; their clusters' counts drop, and their seed keywords forget them.

    The keyword rows go first, then the seed keyword's slot (``keyword_ids["site:sector"]``): the
    keyword can be imported into that site/sector again, and a delete stopped half-way leaves a
    slot without a row, which the import treats as not yet written (it writes the keyword again).
    """
    keywords = _keywords_or_404(account_id, ids)
    ensure_free(account_id, _keyword_refs(keywords))
    now = iso_now()
    deltas: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for keyword in keywords:
        if keyword.cluster_id is not None:
            deltas[int(keyword.cluster_id)][0] -= 1
            deltas[int(keyword.cluster_id)][1] -= keyword.volume
    batch_delete(Keyword, [(account_id, int(k.id)) for k in keywords])
    _adjust(account_id, deltas, now)
    slots: dict[str, dict[str, int]] = defaultdict(dict)
    for keyword in keywords:
        slot = f"{int(keyword.site_id or 0)}:{int(keyword.sector_id or 0)}"
        slots[normalize_keyword(keyword.keyword)][slot] = int(keyword.id)
    seeds = batch_get(SeedKeyword, account_id, list(slots), consistent_read=True)
    changed = []
    for seed in seeds:
        kept = {
            slot: kid
            for slot, kid in (seed.keyword_ids or {}).items()
            if slots[seed.keyword_norm].get(slot) != int(kid)
        }
        if kept != (seed.keyword_ids or {}):
            seed.keyword_ids = kept
            changed.append(seed)
    batch_save(changed)
    return [int(k.id) for k in keywords]
