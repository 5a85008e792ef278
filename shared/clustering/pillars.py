"""Group topic clusters into pillar topics (hub → clusters) from their centroids.

A pillar is a hub page that links to the cluster pages of one broader topic. Clusters are joined by
average linkage on centroid cosine similarity: two groups merge while the mean similarity between
their clusters' centroids is at least the threshold, and while the merged pillar has at most
``max_clusters`` clusters. Average linkage (rather than single linkage) keeps a chain of loosely
related clusters from collapsing into one pillar.

The threshold is **relative** by default: the ``quantile`` (0.25) of each cluster's similarity to its
nearest other centroid, so about three clusters in four find a partner in the first merges whatever
the similarity scale of the embedding model (the offline hashed embedder's centroids are far less
similar to each other than MiniLM's or OpenAI's). It never drops below the mean centroid-to-centroid
similarity (unrelated topics never merge) and never exceeds ``DEFAULT_PILLAR_THRESHOLD``. An
explicit ``threshold`` overrides it. Each pillar's id is the
index of its largest cluster (the hub; lowest index on ties), so ids are stable and deterministic. A
cluster close to no other is its own pillar.

Cost: only each cluster's ``_NEIGHBOURS`` nearest centroids are linked (computed in row blocks), and
a pair of groups with no such link counts as similarity 0 in the average, which is conservative.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np

DEFAULT_PILLAR_THRESHOLD = 0.55
"""Upper bound of the relative pillar threshold (mean centroid cosine that always suffices)."""
DEFAULT_PILLAR_QUANTILE = 0.25
"""Quantile of the nearest-centroid similarities used as the relative pillar threshold."""
DEFAULT_MAX_CLUSTERS_PER_PILLAR = 12
"""A pillar (hub page) links to at most this many cluster pages."""
_NEIGHBOURS = 30


def group_pillars(
    centroids: np.ndarray,
    sizes: Sequence[int] | np.ndarray,
    *,
    threshold: float | None = None,
    quantile: float = DEFAULT_PILLAR_QUANTILE,
    max_clusters: int = DEFAULT_MAX_CLUSTERS_PER_PILLAR,
) -> list[int]:
    """Pillar id for each cluster: the index of the hub (largest) cluster of its pillar.

    ``threshold`` (default: relative, see the module docstring) is the mean centroid cosine two
    groups need to merge; ``max_clusters`` bounds the clusters of one pillar.
    """
    c = np.asarray(centroids, dtype=np.float32)
    m = c.shape[0] if c.ndim == 2 else 0
    if m == 0:
        return []
    norms = np.linalg.norm(c, axis=1, keepdims=True)
    c = np.divide(c, norms, out=np.zeros_like(c), where=norms > 0)
    size = np.asarray(sizes, dtype=np.float64)
    # Candidate pairs: each cluster's nearest centroids, blockwise.
    link: dict[tuple[int, int], float] = {}
    k = min(m - 1, _NEIGHBOURS)
    for start in range(0, m, 1024):
        sims = c[start : start + 1024] @ c.T
        for row in range(sims.shape[0]):
            i = start + row
            sims[row, i] = -np.inf
            cand = np.argpartition(-sims[row], k - 1)[:k] if k > 0 else np.zeros(0, dtype=np.int64)
            for j in cand.tolist():
                if sims[row, j] > 0:
                    a, b = (i, j) if i < j else (j, i)
                    link[(a, b)] = float(sims[row, j])
    if threshold is None:
        threshold = _relative_threshold(c, link, quantile)
    # Average linkage over clusters weighted by 1 each; link sums and pair counts per group pair.
    members = {i: 1 for i in range(m)}
    total: dict[int, dict[int, float]] = {i: {} for i in range(m)}
    for (a, b), s in link.items():
        total[a][b] = s
        total[b][a] = s
    parent = list(range(m))
    heap = [(-s, a, b) for (a, b), s in link.items() if s >= threshold]
    heapq.heapify(heap)
    while heap:
        neg, a, b = heapq.heappop(heap)
        if parent[a] != a or parent[b] != b or b not in total[a]:
            continue
        mean = total[a][b] / (members[a] * members[b])
        if abs(mean + neg) > 1e-9:
            continue  # stale entry
        if members[a] + members[b] > max_clusters:
            continue
        # Merge b into a (a < b keeps ids deterministic).
        parent[b] = a
        for other, s in total.pop(b).items():
            total[other].pop(b, None)
            if other == a:
                continue
            total[a][other] = total[a].get(other, 0.0) + s
            total[other][a] = total[a][other]
        members[a] += members.pop(b)
        for other, s in total[a].items():
            avg = s / (members[a] * members[other])
            if avg >= threshold and members[a] + members[other] <= max_clusters:
                x, y = (a, other) if a < other else (other, a)
                heapq.heappush(heap, (-avg, x, y))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    roots = [root(i) for i in range(m)]
    hub: dict[int, int] = {}
    for i, r in enumerate(roots):
        h = hub.get(r)
        if h is None or size[i] > size[h]:
            hub[r] = i
    return [hub[r] for r in roots]


def _relative_threshold(c: np.ndarray, link: dict[tuple[int, int], float], quantile: float) -> float:
    """``quantile`` of the nearest-centroid similarities, clipped to [mean similarity, the cap]."""
    m = c.shape[0]
    nearest = np.zeros(m)
    for (a, b), s in link.items():
        nearest[a] = max(nearest[a], s)
        nearest[b] = max(nearest[b], s)
    total = c.sum(axis=0, dtype=np.float64)
    mean_sim = (float(total @ total) - float((c.astype(np.float64) ** 2).sum())) / max(1, m * (m - 1))
    relative = float(np.quantile(nearest, quantile)) if m > 1 else DEFAULT_PILLAR_THRESHOLD
    return float(min(DEFAULT_PILLAR_THRESHOLD, max(relative, mean_sim, 1e-6)))
