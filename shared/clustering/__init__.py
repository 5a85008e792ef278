"""Semantic keyword clustering: embed → cluster → group into pillars, numpy only.

- :mod:`shared.clustering.semantic`: ``cluster_vectors`` (deterministic kNN-graph + CPM Louvain
  clustering of L2-normalised vectors, no number of clusters needed), ``centroids``,
  ``representatives`` (most central and highest-volume members, for naming) and
  ``assign_to_existing`` (incremental path).
- :mod:`shared.clustering.pillars`: ``group_pillars`` groups clusters into pillar topics.
- :mod:`shared.clustering.local_embedder`: ``embed_local``, an offline, batch-independent hashed
  character/word n-gram embedder (``LOCAL_EMBEDDING_MODEL``).
- :mod:`shared.clustering.quantize`: ``to_bytes`` / ``from_bytes`` for compact vector storage.

numpy is imported only when one of these names is first used (Lambda cold start stays cheap).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ClusterResult": "semantic",
    "DEFAULT_THRESHOLD": "semantic",
    "DEFAULT_RESOLUTION": "semantic",
    "PROFILES": "semantic",
    "cluster_vectors": "semantic",
    "centroids": "semantic",
    "representatives": "semantic",
    "assign_to_existing": "semantic",
    "knn": "semantic",
    "group_pillars": "pillars",
    "DEFAULT_PILLAR_THRESHOLD": "pillars",
    "embed_local": "local_embedder",
    "LOCAL_EMBEDDING_MODEL": "local_embedder",
    "LOCAL_EMBEDDING_DIMS": "local_embedder",
    "normalize_keyword": "local_embedder",
    "to_bytes": "quantize",
    "from_bytes": "quantize",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
