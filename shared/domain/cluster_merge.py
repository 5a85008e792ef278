"""What a cluster merged from others keeps of them: representative keywords and a centroid."""

from __future__ import annotations

from shared.db.models import Cluster

#: Representative keywords a merged cluster keeps (as many as the clustering keeps).
MAX_SAMPLES = 10


def combined_samples(clusters: list[Cluster]) -> list[str]:
    """The representative keywords of the clusters, in order, without repeats, at most ``MAX_SAMPLES``."""
    samples: dict[str, None] = {}
    for cluster in clusters:
        samples.update(dict.fromkeys(str(s) for s in cluster.samples or []))
    return list(samples)[:MAX_SAMPLES]


def combined_centroid(target: Cluster, sources: list[Cluster]) -> tuple[bytes, str] | None:
    """The merged cluster's centroid and its tag, or None to keep the target's.

    The mean of the clusters' centroids weighted by their sizes, when every cluster with a
    centroid has one of the same embedding model (``centroid_tag``) and size; a target without a
    centroid takes a source's.
    """
    parts = [c for c in [target, *sources] if c.centroid and c.centroid_tag]
    if not parts or (len(parts) == 1 and parts[0] is target):
        return None
    tag = str(parts[0].centroid_tag)
    if len({c.centroid_tag for c in parts}) != 1 or len({len(c.centroid) for c in parts}) != 1:
        return None if target.centroid else (bytes(parts[0].centroid), tag)
    import numpy as np  # only a merge of semantic clusters needs it

    vectors = np.stack([np.frombuffer(bytes(c.centroid), dtype="<f2").astype(np.float32) for c in parts])
    weights = np.array([max(1, int(c.keywords_count or 0)) for c in parts], dtype=np.float32)
    mean = (vectors * weights[:, None]).sum(axis=0) / weights.sum()
    norm = float(np.linalg.norm(mean))
    return (mean / norm if norm > 0 else mean).astype("<f2").tobytes(), tag
