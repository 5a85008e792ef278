"""Deterministic semantic clustering of L2-normalised keyword vectors (numpy only).

Algorithm, chosen by measurement (``bench/clustering_quality.py``):

1. **k nearest neighbours, blockwise.** Cosine similarities are computed a row block at a time
   (``block × n``, never ``n × n``) and each row keeps its ``k`` most similar other rows. The top-k is
   exact: columns are cut into groups, each group's maximum is taken, and only the ``k`` best groups
   are searched, which is several times faster than ``argpartition`` over whole rows.
2. **Graph.** The union of the kNN relations, weighted by cosine similarity; pairs below
   ``threshold`` are never linked (one page cannot rank for two queries that unrelated).
3. **Communities.** Louvain-style local moving and aggregation on the Constant Potts Model: a keyword
   joins the cluster that maximises ``w(i, C) - γ·|C|``, where ``w(i, C)`` is its link weight into
   ``C``. ``γ = resolution × mean weighted degree``, so the objective does not depend on the
   number of keywords (unlike modularity) nor on the similarity scale of the embedding model.
   ``resolution`` bounds how diffuse a cluster may grow: a cluster much larger than
   ``1 / resolution`` members only survives if its members are densely linked.
4. **Leftovers.** Clusters smaller than ``min_cluster_size`` are dissolved; each of their keywords
   joins the nearest centroid of a real cluster when the cosine similarity reaches
   ``attach_threshold``, and is reported unassigned (label ``-1``) otherwise.

Everything is deterministic: nodes are visited in index order, ties go to the lower index, and no
randomness is used. Memory is ``O(n·k + block·n)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

DEFAULT_THRESHOLD = 0.40
"""Cosine similarity below which two keywords are never linked directly."""
DEFAULT_RESOLUTION = 0.005
"""CPM resolution relative to the mean weighted degree (about 1 / typical largest cluster size)."""
DEFAULT_K = 15
"""Neighbours per keyword in the similarity graph."""
DEFAULT_MIN_CLUSTER_SIZE = 2
"""Clusters smaller than this are dissolved into their neighbours or left unassigned."""
ATTACH_QUANTILE = 0.02
"""A leftover joins its nearest centroid when at least as close as the loosest 2% of members are."""

PROFILES: dict[str, dict[str, float]] = {
    "default": {"threshold": DEFAULT_THRESHOLD, "resolution": DEFAULT_RESOLUTION},
    "local": {"threshold": 0.25, "resolution": DEFAULT_RESOLUTION},
}
"""Per-embedder defaults (``cluster_vectors(..., profile=...)``).

``default`` suits sentence-embedding models (MiniLM, OpenAI): related queries have cosine ≥ 0.4.
``local`` is for ``embed_local`` (hashed n-grams): two queries that share one content word out of
three already have cosine ≈ 0.3, so the edge threshold is lower.
"""

_BLOCK_ROWS = 1024
_GROUP = 64
_MAX_PASSES = 12
_MAX_LEVELS = 12
_EPS = 1e-12


@dataclass(frozen=True)
class ClusterResult:
    """Labels of one clustering: ``labels[i]`` is row i's cluster in ``0..n_clusters-1`` or -1."""

    labels: np.ndarray
    n_clusters: int
    params: dict[str, float] = field(default_factory=dict)

    @property
    def unassigned(self) -> np.ndarray:
        """Indices of rows left in no cluster."""
        return np.flatnonzero(self.labels < 0)

    @property
    def sizes(self) -> np.ndarray:
        """Number of members of each cluster."""
        placed = self.labels[self.labels >= 0]
        return np.bincount(placed, minlength=self.n_clusters)


def _as_unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Float32 copy of ``vectors`` with every non-zero row scaled to unit length."""
    x = np.asarray(vectors, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"vectors must be a 2-D array (got shape {x.shape})")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def _topk_rows(sims: np.ndarray, k: int, n_valid: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k columns of each row of ``sims`` sorted by (similarity desc, column asc).

    ``sims`` has a width that is a multiple of ``_GROUP``; columns from ``n_valid`` on are padding
    set to -inf. Columns are cut into groups of ``_GROUP``; the k groups with the largest maxima
    contain the top-k (any element outside them is beaten by k group maxima), so only
    ``k × _GROUP`` candidates are sorted per row.
    """
    rows, cols = sims.shape
    if cols > 4 * k * _GROUP:
        gmax = sims.reshape(rows, -1, _GROUP).max(axis=2)
        best_groups = np.sort(np.argpartition(-gmax, k - 1, axis=1)[:, :k], axis=1)
        cand: np.ndarray = (best_groups[:, :, None] * _GROUP + np.arange(_GROUP)[None, None, :]).reshape(
            rows, -1
        )
        cand_sims = np.take_along_axis(sims, cand, axis=1)
    else:
        cand = np.broadcast_to(np.arange(cols), (rows, cols))
        cand_sims = sims
    # Stable order: similarity descending, then column ascending.
    order = np.lexsort((cand, -cand_sims), axis=1)[:, :k]
    idx = np.take_along_axis(cand, order, axis=1)
    return np.minimum(idx, n_valid - 1), np.take_along_axis(cand_sims, order, axis=1)


def knn(
    vectors: np.ndarray, k: int = DEFAULT_K, *, block_rows: int = _BLOCK_ROWS
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` most similar other rows of every row, computed in row blocks.

    Returns ``(indices, similarities)``, both ``n × k`` (k is capped at n-1), each row ordered by
    similarity descending and index ascending. The full similarity matrix never exists: peak extra
    memory is one reused ``block_rows × n`` float32 buffer.
    """
    x = _as_unit_rows(vectors)
    n = x.shape[0]
    k = max(0, min(k, n - 1))
    indices = np.zeros((n, k), dtype=np.int64)
    sims = np.zeros((n, k), dtype=np.float32)
    if k == 0:
        return indices, sims
    width = n + (-n) % _GROUP
    xt = np.zeros((x.shape[1], width), dtype=np.float32)
    xt[:, :n] = x.T
    buffer = np.empty((min(block_rows, n), width), dtype=np.float32)
    for start in range(0, n, block_rows):
        stop = min(n, start + block_rows)
        block = buffer[: stop - start]
        np.matmul(x[start:stop], xt, out=block)
        block[:, n:] = -np.inf
        block[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        idx, sim = _topk_rows(block, k, n)
        indices[start:stop] = idx
        sims[start:stop] = sim
    return indices, sims


def _graph(
    indices: np.ndarray, sims: np.ndarray, threshold: float, one_sided: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected edge list (both directions) of the kNN union graph with edges ≥ ``threshold``.

    A pair that are each other's neighbours keeps its cosine as weight; a pair where only one lists
    the other gets ``one_sided`` × cosine. Measured with 0.5 (mutual-kNN emphasis): banking77
    resampled +0.01 ARI, full set -0.001, but clean 100-member synthetic topics split in two, so
    the default stays 1.0 (plain kNN union).
    """
    n, k = indices.shape
    src: np.ndarray = np.repeat(np.arange(n, dtype=np.int64), k)
    dst: np.ndarray = indices.ravel()
    weight: np.ndarray = sims.ravel().astype(np.float64)
    keep = (weight >= threshold) & (src != dst)
    src, dst, weight = src[keep], dst[keep], weight[keep]
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    keys, inverse, count = np.unique(lo * n + hi, return_inverse=True, return_counts=True)
    w = np.zeros(keys.size)
    np.maximum.at(w, inverse, weight)
    w *= np.where(count > 1, 1.0, one_sided)
    a, b = keys // n, keys % n
    return np.concatenate([a, b]), np.concatenate([b, a]), np.concatenate([w, w])


def _cpm_louvain(
    n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, gamma: float, init: np.ndarray | None = None
) -> np.ndarray:
    """Communities maximising the Constant Potts Model ``Σ_C [w_in(C) - γ·|C|·(|C|-1)/2]``.

    Louvain scheme: local moving in index order until no node moves (or ``_MAX_PASSES``), then
    aggregation of communities into nodes, repeated while anything moves. Deterministic. With
    ``init`` the first level starts from that partition instead of singletons (refinement).
    """
    labels = np.arange(n)
    size: np.ndarray = np.ones(n)
    cur = n
    cs: np.ndarray = src
    cd: np.ndarray = dst
    cw: np.ndarray = weight
    for _level in range(_MAX_LEVELS):
        order = np.lexsort((cd, cs))
        cs, cd, cw = cs[order], cd[order], cw[order]
        ptr = np.searchsorted(cs, np.arange(cur + 1)).tolist()
        nbr = cd.tolist()
        wts = cw.tolist()
        sizes = size.tolist()
        comm = list(range(cur)) if init is None or _level else init.tolist()
        tot = [0.0] * cur
        for i, c in enumerate(comm):
            tot[c] += sizes[i]
        moved_any = False
        for _pass in range(_MAX_PASSES):
            moved = 0
            for i in range(cur):
                lo, hi = ptr[i], ptr[i + 1]
                if lo == hi:
                    continue
                ci = comm[i]
                si = sizes[i]
                acc: dict[int, float] = {}
                for p in range(lo, hi):
                    c = comm[nbr[p]]
                    acc[c] = acc.get(c, 0.0) + wts[p]
                tot[ci] -= si
                best = ci
                best_gain = acc.get(ci, 0.0) - gamma * si * tot[ci]
                for c, w_ic in acc.items():
                    gain = w_ic - gamma * si * tot[c]
                    if gain > best_gain + _EPS or (gain > best_gain - _EPS and c < best and best != ci):
                        best, best_gain = c, gain
                tot[best] += si
                if best != ci:
                    comm[i] = best
                    moved += 1
            if not moved:
                break
            moved_any = True
        if not moved_any:
            if init is not None and not _level:
                labels = np.unique(init, return_inverse=True)[1]
            break
        _, new = np.unique(np.asarray(comm), return_inverse=True)
        labels = new[labels]
        k2 = int(new.max()) + 1
        a, b = new[cs], new[cd]
        between = a != b
        keys, inverse = np.unique(a[between] * k2 + b[between], return_inverse=True)
        cw = np.bincount(inverse, weights=cw[between]) if keys.size else np.zeros(0)
        cs, cd = keys // k2, keys % k2
        size = np.bincount(new, weights=size, minlength=k2)
        cur = k2
        if cs.size == 0:
            break
    return labels


def _centroid_sums(x: np.ndarray, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """Sum of member vectors per cluster (rows with label -1 are ignored)."""
    sums = np.zeros((n_clusters, x.shape[1]), dtype=np.float64)
    placed = labels >= 0
    np.add.at(sums, labels[placed], x[placed])
    return sums


def _nearest(
    queries: np.ndarray, targets: np.ndarray, block_rows: int = _BLOCK_ROWS
) -> tuple[np.ndarray, np.ndarray]:
    """Index and cosine of the most similar target row for each query row (lowest index on ties)."""
    best = np.full(queries.shape[0], -1, dtype=np.int64)
    best_sim = np.full(queries.shape[0], -np.inf, dtype=np.float32)
    if targets.shape[0] == 0:
        return best, best_sim
    for start in range(0, queries.shape[0], block_rows):
        block = queries[start : start + block_rows] @ targets.T
        arg = np.argmax(block, axis=1)
        best[start : start + block_rows] = arg
        best_sim[start : start + block_rows] = block[np.arange(block.shape[0]), arg]
    return best, best_sim


def _relabel(labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Labels renumbered 0.. in order of each cluster's first member; -1 stays -1."""
    out = np.full(labels.shape, -1, dtype=np.int64)
    placed = labels >= 0
    if not placed.any():
        return out, 0
    uniq, first = np.unique(labels[placed], return_index=True)
    rank = np.empty(uniq.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(uniq.size)
    out[placed] = rank[np.searchsorted(uniq, labels[placed])]
    return out, int(uniq.size)


def cluster_vectors(
    vectors: np.ndarray,
    *,
    threshold: float | None = None,
    resolution: float | None = None,
    k: int = DEFAULT_K,
    min_cluster_size: int = DEFAULT_MIN_CLUSTER_SIZE,
    attach_threshold: float | None = None,
    profile: str = "default",
) -> ClusterResult:
    """Cluster keyword vectors into topics without being told how many there are.

    ``threshold`` is the granularity: the cosine similarity below which two keywords are never
    linked (raise it for tighter, more numerous clusters). ``resolution`` is the CPM resolution
    relative to the graph's mean weighted degree. ``attach_threshold`` (default ``threshold``) is
    the centroid similarity a leftover keyword needs to join a cluster; by default it is relative:
    the ``ATTACH_QUANTILE`` of the placed members' similarity to their own centroid, capped at
    ``threshold``. ``profile`` picks the defaults of ``threshold`` and ``resolution`` for the
    embedder (see ``PROFILES``: ``"local"`` for ``embed_local`` vectors). Rows that are all zero
    or otherwise end alone get label -1.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r} (use one of {sorted(PROFILES)})")
    threshold = PROFILES[profile]["threshold"] if threshold is None else threshold
    resolution = PROFILES[profile]["resolution"] if resolution is None else resolution
    x = _as_unit_rows(vectors)
    n = x.shape[0]
    attach = threshold if attach_threshold is None else attach_threshold
    params = {
        "threshold": threshold,
        "resolution": resolution,
        "k": float(k),
        "min_cluster_size": float(min_cluster_size),
        "attach_threshold": attach,
    }
    if n == 0:
        return ClusterResult(np.zeros(0, dtype=np.int64), 0, params)
    indices, sims = knn(x, k)
    src, dst, weight = _graph(indices, sims, threshold)
    if src.size:
        degree = np.bincount(src, weights=weight, minlength=n)
        gamma = resolution * float(degree[degree > 0].mean())
        raw = _cpm_louvain(n, src, dst, weight, gamma)
        # Refinement: node-level moves from the aggregated partition fix members that the coarse
        # levels placed by their group rather than by their own links.
        raw = _cpm_louvain(n, src, dst, weight, gamma, init=raw)
    else:
        raw = np.arange(n)
    counts = np.bincount(raw)
    raw = np.where(counts[raw] >= max(1, min_cluster_size), raw, -1)
    raw[np.linalg.norm(x, axis=1) == 0] = -1
    labels, n_clusters = _relabel(raw)
    leftovers = np.flatnonzero((labels < 0) & (np.linalg.norm(x, axis=1) > 0))
    if leftovers.size and n_clusters:
        cents = centroids(ClusterResult(labels, n_clusters), x)
        if attach_threshold is None:
            placed = np.flatnonzero(labels >= 0)
            own = np.einsum("ij,ij->i", x[placed], cents[labels[placed]])
            attach = min(threshold, float(np.quantile(own, ATTACH_QUANTILE)))
            params["attach_threshold"] = attach
        nearest, near_sim = _nearest(x[leftovers], cents)
        joins = near_sim >= attach
        labels[leftovers[joins]] = nearest[joins]
    return ClusterResult(labels, n_clusters, params)


def centroids(result: ClusterResult, vectors: np.ndarray) -> np.ndarray:
    """Unit-length mean direction of each cluster (``n_clusters × dims``, float32)."""
    x = _as_unit_rows(vectors)
    sums = _centroid_sums(x, result.labels, result.n_clusters)
    return _as_unit_rows(sums)


def representatives(
    result: ClusterResult,
    vectors: np.ndarray,
    weights: Sequence[float] | np.ndarray | None = None,
    n: int = 5,
) -> list[dict[str, list[int]]]:
    """For each cluster, the indices of its ``n`` most central and ``n`` highest-weight members.

    ``central`` orders members by cosine to the cluster centroid (then index); ``top_weight``
    orders them by ``weights`` (e.g. search volume; missing or NaN counts as 0), then centrality,
    then index. Naming uses both: the highest-volume keyword is the fallback cluster name.
    """
    x = _as_unit_rows(vectors)
    cents = centroids(result, x)
    labels = result.labels
    w = np.zeros(len(labels)) if weights is None else np.nan_to_num(np.asarray(weights, dtype=np.float64))
    out: list[dict[str, list[int]]] = [{"central": [], "top_weight": []} for _ in range(result.n_clusters)]
    placed = np.flatnonzero(labels >= 0)
    if placed.size == 0:
        return out
    centrality = np.einsum("ij,ij->i", x[placed], cents[labels[placed]])
    by_cluster = placed[np.argsort(labels[placed], kind="stable")]
    cent_of = np.empty(len(labels))
    cent_of[placed] = centrality
    bounds = np.searchsorted(labels[by_cluster], np.arange(result.n_clusters + 1))
    for c in range(result.n_clusters):
        members = by_cluster[bounds[c] : bounds[c + 1]]
        central = members[np.lexsort((members, -cent_of[members]))]
        heavy = members[np.lexsort((members, -cent_of[members], -w[members]))]
        out[c] = {"central": central[:n].tolist(), "top_weight": heavy[:n].tolist()}
    return out


def assign_to_existing(
    new_vectors: np.ndarray, existing_centroids: np.ndarray, threshold: float = DEFAULT_THRESHOLD
) -> np.ndarray:
    """Nearest existing cluster for each new vector, or -1 when its cosine is below ``threshold``.

    The incremental path: keywords added after a clustering join the closest cluster when close
    enough; the rest (-1) are clustered among themselves.
    """
    q = _as_unit_rows(new_vectors)
    c = (
        _as_unit_rows(existing_centroids)
        if np.asarray(existing_centroids).size
        else np.zeros((0, q.shape[1]), np.float32)
    )
    nearest, sim = _nearest(q, c)
    return np.where(sim >= threshold, nearest, -1)
