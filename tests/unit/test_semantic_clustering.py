"""Unit tests of the numpy semantic clustering package (``shared.clustering``)."""

from __future__ import annotations

import numpy as np
import pytest

from shared.clustering import (
    LOCAL_EMBEDDING_MODEL,
    assign_to_existing,
    centroids,
    cluster_vectors,
    embed_local,
    from_bytes,
    group_pillars,
    knn,
    representatives,
    to_bytes,
)


def _ari(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Adjusted Rand index in pure numpy; -1 labels count as singletons."""
    p = predicted.copy()
    lone = np.flatnonzero(p < 0)
    p[lone] = p.max(initial=-1) + 1 + np.arange(lone.size)
    _, t = np.unique(truth, return_inverse=True)
    _, q = np.unique(p, return_inverse=True)
    joint = np.unique(t * (q.max() + 1) + q, return_counts=True)[1]

    def comb(c: np.ndarray) -> float:
        return float((c * (c - 1) / 2).sum())

    index, a, b = comb(joint), comb(np.bincount(t)), comb(np.bincount(q))
    expected = a * b / (len(t) * (len(t) - 1) / 2)
    maximum = (a + b) / 2
    return 1.0 if maximum == expected else (index - expected) / (maximum - expected)


def _blobs(n: int = 600, topics: int = 12, dims: int = 64, noise: float = 0.6, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((topics, dims))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    truth = rng.integers(0, topics, size=n)
    x = centres[truth] + rng.standard_normal((n, dims)) * (noise / np.sqrt(dims))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), truth


def test_separated_blobs_recovered_and_every_row_labelled_once() -> None:
    x, truth = _blobs()
    result = cluster_vectors(x)
    assert result.labels.shape == (len(x),)
    assert result.labels.min() >= -1 and result.labels.max() < result.n_clusters
    assert (result.labels >= 0).mean() >= 0.95
    assert _ari(truth, result.labels) > 0.95
    assert result.sizes.sum() == (result.labels >= 0).sum()


def test_deterministic() -> None:
    x, _ = _blobs(seed=3)
    first = cluster_vectors(x).labels
    assert np.array_equal(first, cluster_vectors(x.copy()).labels)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_tiny_inputs(n: int) -> None:
    x = np.random.default_rng(0).standard_normal((n, 16)).astype(np.float32)
    result = cluster_vectors(x)
    assert result.labels.shape == (n,)
    assert result.n_clusters <= 1


def test_identical_vectors_form_one_cluster() -> None:
    x = np.tile(np.array([[0.6, 0.8, 0.0]], dtype=np.float32), (7, 1))
    result = cluster_vectors(x)
    assert result.n_clusters == 1 and (result.labels == 0).all()


def test_zero_vectors_are_unassigned() -> None:
    x, _ = _blobs(n=50, topics=2)
    x[5] = 0.0
    assert cluster_vectors(x).labels[5] == -1


def test_higher_threshold_gives_more_clusters() -> None:
    x, _ = _blobs(n=600, topics=6, noise=1.2, seed=5)
    loose = cluster_vectors(x, threshold=0.2)
    tight = cluster_vectors(x, threshold=0.7)
    assert tight.n_clusters > loose.n_clusters


def test_blockwise_knn_matches_brute_force() -> None:
    x = np.random.default_rng(2).standard_normal((5000, 24)).astype(np.float32)
    indices, sims = knn(x, 9, block_rows=777)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    full = unit @ unit.T
    np.fill_diagonal(full, -np.inf)
    brute = np.argsort(-full, axis=1, kind="stable")[:, :9]
    assert np.array_equal(indices, brute)
    assert np.allclose(sims, np.take_along_axis(full, brute, axis=1), atol=1e-5)


def test_representatives_central_and_heaviest() -> None:
    x, _ = _blobs(n=200, topics=4, seed=1)
    result = cluster_vectors(x)
    volumes = np.arange(len(x), dtype=float)
    reps = representatives(result, x, volumes, n=3)
    assert len(reps) == result.n_clusters
    for c, rep in enumerate(reps):
        members = np.flatnonzero(result.labels == c)
        assert set(rep["central"]) <= set(members.tolist()) and len(rep["central"]) == min(3, members.size)
        assert rep["top_weight"][0] == int(members.max())


def test_assign_to_existing() -> None:
    x, truth = _blobs(n=300, topics=3, seed=4)
    result = cluster_vectors(x[:200])
    cents = centroids(result, x[:200])
    joined = assign_to_existing(x[200:], cents)
    assert (joined >= 0).all()
    # Same topic → same cluster as the training rows of that topic.
    topic_cluster = {int(truth[i]): int(result.labels[i]) for i in range(200)}
    assert all(topic_cluster[int(truth[200 + j])] == joined[j] for j in range(100))
    far = -cents[:1]
    assert assign_to_existing(far, cents, threshold=0.9).tolist() == [-1]
    assert assign_to_existing(x[:2], np.zeros((0, x.shape[1]))).tolist() == [-1, -1]


def test_group_pillars() -> None:
    base = np.eye(4, dtype=np.float32)
    near = base[0] * 0.9 + base[1] * 0.44
    cents = np.vstack([base[0], near, base[2], base[3] * 0.6 + base[2] * 0.8])
    pillars = group_pillars(cents, [10, 30, 5, 7], threshold=0.7)
    assert pillars[0] == pillars[1] == 1  # hub is the larger cluster
    assert pillars[2] == pillars[3] == 3
    assert group_pillars(np.eye(3), [1, 1, 1]) == [0, 1, 2]
    assert group_pillars(np.zeros((0, 4)), []) == []


def test_local_embedder_deterministic_and_batch_independent() -> None:
    alone = embed_local(["coffee grinder"])[0]
    others = [f"keyword number {i} brew" for i in range(1000)]
    in_batch = embed_local(others[:500] + ["coffee grinder"] + others[500:])[500]
    assert np.array_equal(alone, in_batch)
    assert alone.dtype == np.float32 and abs(float(np.linalg.norm(alone)) - 1) < 1e-5
    assert LOCAL_EMBEDDING_MODEL.startswith("igny8-local")


def test_local_embedder_similarity_and_normalisation() -> None:
    v = embed_local(["coffee grinder", "best coffee grinders", "Café Grinder", "dog training tips"])
    assert float(v[0] @ v[1]) > float(v[0] @ v[3]) + 0.3
    assert float(v[0] @ embed_local(["COFFEE  grinder!"])[0]) > 0.999
    assert float(embed_local(["cafe grinder"])[0] @ v[2]) > 0.999
    assert embed_local([]).shape == (0, 256)


@pytest.mark.parametrize("encoding,tolerance", [("float16", 1e-3), ("int8", 2e-2)])
def test_quantize_round_trip(encoding: str, tolerance: float) -> None:
    vec = embed_local(["espresso machine"])[0]
    data = to_bytes(vec, encoding)  # type: ignore[arg-type]
    assert len(data) == (512 if encoding == "float16" else 260)
    back = from_bytes(data, encoding)  # type: ignore[arg-type]
    assert np.abs(back - vec).max() < tolerance
    assert float(back @ vec) > 0.999


def test_profiles_and_relative_attach() -> None:
    x, _ = _blobs(n=200, topics=4, seed=6)
    local = cluster_vectors(x, profile="local")
    assert local.params["threshold"] == 0.25
    assert cluster_vectors(x, profile="local", threshold=0.5).params["threshold"] == 0.5
    assert cluster_vectors(x).params["attach_threshold"] <= cluster_vectors(x).params["threshold"]
    with pytest.raises(ValueError):
        cluster_vectors(x, profile="nope")


def test_local_profile_places_sample_like_keywords() -> None:
    topics = ["espresso machine", "french press", "cold brew", "coffee grinder", "pour over"]
    extras = [
        "best",
        "cheap",
        "how to use",
        "for home",
        "reviews",
        "vs",
        "ratio",
        "recipe",
        "small",
        "manual",
    ]
    keywords = [f"{e} {t}" if i % 2 else f"{t} {e}" for t in topics for i, e in enumerate(extras)]
    x = embed_local(keywords)
    result = cluster_vectors(x, profile="local")
    assert (result.labels >= 0).mean() >= 0.95
    truth = np.repeat(np.arange(len(topics)), len(extras))
    assert _ari(truth, result.labels) > 0.8


def test_group_pillars_relative_threshold_and_size_bound() -> None:
    rng = np.random.default_rng(0)
    topics = rng.standard_normal((4, 32))
    # 4 topics × 5 clusters; clusters of a topic are similar (cosine ≈ 0.6), topics unrelated.
    cents = np.repeat(topics, 5, axis=0) + rng.standard_normal((20, 32)) * 0.8
    cents /= np.linalg.norm(cents, axis=1, keepdims=True)
    pillars = np.asarray(group_pillars(cents, np.arange(20, 0, -1)))
    topic = np.repeat(np.arange(4), 5)
    assert 3 <= len(set(pillars.tolist())) <= 10
    assert all(len(set(topic[pillars == p].tolist())) == 1 for p in set(pillars.tolist()))
    bounded = np.asarray(group_pillars(cents, np.ones(20), threshold=-1.0, max_clusters=3))
    assert np.bincount(bounded).max() <= 3


def test_local_embedder_stems_plurals_and_downweights_fillers() -> None:
    v = embed_local(["card payments", "card payment", "please tell me about my card payment"])
    assert float(v[0] @ v[1]) > 0.999
    assert float(v[1] @ v[2]) > 0.8
