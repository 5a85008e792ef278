"""auto_cluster's semantic strategy: embed -> cluster -> name, for 5,000-100,000 keywords.

- **embed**: the selected keywords that have no vector of the account's embedding model yet (a
  vector is kept on the keyword row; a keyword imported into several sectors reuses the vector
  of another row through its seed keyword) are embedded in batches that fit one request of the
  endpoint. Each batch's vectors go to a stage blob, never into state or a job item.
- **cluster**: local compute (``shared.clustering``): keywords join the nearest existing
  cluster of the scope when close enough (unless ``recluster``), the rest are clustered among
  themselves; clusters are grouped into pillars from their centroids. SAVE writes the clusters
  (named after their highest-volume keyword until the name stage runs) and the keywords, in
  BatchWrite requests; a cluster is never created without its keywords.
- **name**: the model names many clusters per call from their representative keywords. A
  malformed answer, or one that skips clusters or names others, never fails the job: those
  clusters keep their fallback name.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from typing import Any

import shared.clustering as clustering  # numpy loads when a clustering name is first used
from shared.ai.ai_core import AICore
from shared.ai.embeddings import EmbeddingConfig, plan_batches
from shared.ai.model_settings import get_embedding_config
from shared.db.blobs import blob_names, get_blobs, put_blob
from shared.db.models import Account, Cluster, Keyword, SeedKeyword, scope_ref
from shared.db.repo import batch_get
from shared.domain.keyword_selection import Selection, select_keywords
from shared.keyword_files import normalize_keyword

STAGES = ("embed", "cluster", "name")
#: Clusters named per chat call: ~45 answer tokens each, so 100 stay well inside max_tokens (8,000),
#: and 50,000 keywords (~2,500 clusters) take ~25 calls.
NAMES_PER_CALL = 150  # ~40 answer tokens a name: ~6,000 of the 8,000-token budget
#: Embeddings requests (batches of up to 2,048 inputs) one embed item makes in turn: 50,000
#: keywords take 25 requests in 7 items, so the per-item bookkeeping stays small.
EMBED_REQUESTS_PER_ITEM = 4
SAMPLES = 5  # representative keywords kept per cluster: highest volume, then most central
UNASSIGNED_LIST_LIMIT = 1000
VECTOR_ENCODING = "float16"


# ---------------------------------------------------------------- shared
def embedding_setup(account_id: str) -> tuple[EmbeddingConfig, str, bool]:
    """(config, the tag vectors are cached under, offline) for the account's embeddings."""
    config = get_embedding_config(account_id)
    api_key, _ = AICore.provider_credentials(config)
    if not api_key:
        return config, f"{clustering.LOCAL_EMBEDDING_MODEL}#{clustering.LOCAL_EMBEDDING_DIMS}", True
    return config, config.cache_tag, False


def candidates(account_id: str, payload: dict[str, Any]) -> list[Keyword]:
    """The keywords the job clusters: the selection, less those already clustered (unless recluster)."""
    rows = select_keywords(account_id, Selection.from_payload(payload))
    if payload.get("recluster"):
        return list(rows)
    return [k for k in rows if k.cluster_id is None]


def job_scope(payload: dict[str, Any], rows: Sequence[Keyword]) -> tuple[int | None, int | None]:
    """(site_id, sector_id) of the clusters a job makes: the selection's, else its first keyword's."""
    if payload.get("sector_id") is not None or payload.get("site_id") is not None:
        sector = payload.get("sector_id")
        site = payload.get("site_id")
        if site is None and sector is not None and rows:
            site = int(rows[0].site_id) if rows[0].site_id is not None else None
        return site, sector
    if not rows:
        return None, None
    first = rows[0]
    return (
        int(first.site_id) if first.site_id is not None else None,
        int(first.sector_id) if first.sector_id is not None else None,
    )


def pack_vectors(ids: Sequence[int], matrix: Any) -> bytes:
    """ids and float16 vectors as one blob."""
    import numpy as np

    header = json.dumps({"ids": [int(i) for i in ids], "dims": int(matrix.shape[1])}).encode()
    body = np.asarray(matrix, dtype=np.float16).tobytes()
    return len(header).to_bytes(4, "big") + header + body


def unpack_vectors(data: bytes) -> dict[int, bytes]:
    size = int.from_bytes(data[:4], "big")
    header = json.loads(data[4 : 4 + size])
    width = 2 * int(header["dims"])
    body = data[4 + size :]
    return {int(i): body[n * width : (n + 1) * width] for n, i in enumerate(header["ids"])}


# ---------------------------------------------------------------- embed
def prepare_embed(account: Account, payload: dict[str, Any]) -> dict[str, Any]:
    config, tag, offline = embedding_setup(account.account_id)
    rows = candidates(account.account_id, payload)
    missing = [k for k in rows if not (k.embedding and k.embedding_tag == tag)]
    reusable = _reusable(account.account_id, [k for k in missing if k.seed_shared], tag)
    todo = [k for k in missing if int(k.id) not in reusable]
    limits = config.limits
    batches = [
        [[int(k.id), k.keyword] for k in todo[start:end]]
        for start, end in plan_batches([k.keyword for k in todo], limits)
    ]
    return {
        "batches": batches,
        "selected": len(rows),
        "cached": len(rows) - len(missing),
        "reused": len(reusable),
        "to_embed": len(todo),
        "model": clustering.LOCAL_EMBEDDING_MODEL if offline else config.model,
        "offline": offline,
    }


def _reusable(account_id: str, rows: Sequence[Keyword], tag: str) -> dict[int, bytes]:
    """Vectors other rows of the same seed keyword already hold (keyword in several sectors)."""
    if not rows:
        return {}
    seeds = batch_get(SeedKeyword, account_id, list({normalize_keyword(k.keyword) for k in rows}))
    others: dict[int, list[int]] = {}
    for seed in seeds:
        for value in (seed.keyword_ids or {}).values():
            others.setdefault(int(value), [])
    by_norm = {normalize_keyword(k.keyword): int(k.id) for k in rows}
    found: dict[int, bytes] = {}
    for other in batch_get(Keyword, account_id, list(others)):
        target = by_norm.get(normalize_keyword(other.keyword))
        if target is not None and target != int(other.id) and other.embedding and other.embedding_tag == tag:
            found[target] = bytes(other.embedding)
    return found


def embed_items(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """One item per ``EMBED_REQUESTS_PER_ITEM`` batches (each batch is one embeddings request)."""
    batches = data["batches"] or [[]]
    groups = [
        batches[i : i + EMBED_REQUESTS_PER_ITEM] for i in range(0, len(batches), EMBED_REQUESTS_PER_ITEM)
    ]
    return [(f"batch-{n:04d}", {"batches": group}) for n, group in enumerate(groups)]


def call_embed(data: dict[str, Any], ai: Any) -> tuple[dict[str, Any], str | None, bool]:
    """Embed an item's batches, one request each, and store each batch's vectors as a blob.

    Returns (summary, model, offline). A retried item (an earlier attempt recorded usage) skips
    the batches whose blob that attempt stored completely (one Query lists them), so no batch is
    embedded or paid twice; a first attempt makes no such read.
    """
    import numpy as np

    batches = [b for b in (data.get("batches") or [data.get("keywords") or []]) if b]
    if not batches:
        return {"embedded": 0, "blobs": [], "requests": 0}, None, False
    config, _tag, _offline = embedding_setup(ai.account_id)
    done = blob_names(ai.account_id, ai.task_id, "embed#") if getattr(ai, "prior_usage", None) else set()
    names: list[str] = []
    model, dims, offline = None, None, False
    for pairs in batches:
        name = f"embed#{int(pairs[0][0])}"
        names.append(name)
        if name in done:
            continue
        result = ai.embed([text for _, text in pairs], config)
        matrix = np.asarray(result.vectors, dtype=np.float32)
        matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
        put_blob(ai.account_id, ai.task_id, name, pack_vectors([i for i, _ in pairs], matrix))
        model, dims, offline = result.model, result.dimensions, result.offline
    summary = {
        "embedded": sum(len(pairs) for pairs in batches),
        "blobs": names,
        "requests": len(names),  # one answered request per batch, this attempt's or an earlier one's
        "model": model,
        "dims": dims,
    }
    return summary, model, offline


# ---------------------------------------------------------------- cluster
def _vectors(
    account_id: str, task_id: str, rows: Sequence[Keyword], blobs: Iterable[str], tag: str
) -> dict[int, bytes]:
    """Each keyword's vector (float16 bytes): its own row, this job's batches, another row."""
    vectors = {int(k.id): bytes(k.embedding) for k in rows if k.embedding and k.embedding_tag == tag}
    for data in get_blobs(account_id, task_id, blobs).values():
        vectors.update(unpack_vectors(data))
    missing = [k for k in rows if int(k.id) not in vectors and k.seed_shared]
    vectors.update(_reusable(account_id, missing, tag))
    return vectors


def call_cluster(
    account_id: str, task_id: str, payload: dict[str, Any], data: dict[str, Any]
) -> dict[str, Any]:
    """Cluster the job's keywords (local compute); the full result goes to a blob."""
    import numpy as np

    _config, tag, offline = embedding_setup(account_id)
    rows = candidates(account_id, payload)
    vectors = _vectors(account_id, task_id, rows, data.get("blobs") or [], tag)
    placed = [k for k in rows if int(k.id) in vectors]
    threshold = float(
        payload.get("threshold") or clustering.PROFILES["local" if offline else "default"]["threshold"]
    )
    matrix = (
        np.frombuffer(b"".join(vectors[int(k.id)] for k in placed), dtype=np.float16)
        .reshape(len(placed), -1)
        .astype(np.float32)
        if placed
        else np.zeros((0, 1), dtype=np.float32)
    )
    site_id, sector_id = job_scope(payload, rows)
    existing = [] if payload.get("recluster") else _existing_clusters(account_id, site_id, sector_id, tag)
    joined: dict[int, int] = {}
    rest = list(range(len(placed)))
    if existing and placed:
        centroids = np.stack(
            [np.frombuffer(bytes(c.centroid), dtype=np.float16).astype(np.float32) for c in existing]
        )
        targets = clustering.assign_to_existing(matrix, centroids, threshold=threshold)
        joined = {int(placed[i].id): int(existing[t].id) for i, t in enumerate(targets) if t >= 0}
        rest = [i for i, t in enumerate(targets) if t < 0]
    new = _new_clusters(placed, matrix, rest, threshold, "local" if offline else "default")
    assigned = {kw: ("e", cid) for kw, cid in joined.items()}
    for index, cluster in enumerate(new):
        for member in cluster.pop("members"):
            assigned[member] = ("n", index)
    result = {
        "assigned": [[kw, kind, target] for kw, (kind, target) in assigned.items()],
        "clusters": new,
        "scope": [site_id, sector_id],
        "tag": tag,
        "offline_embeddings": offline,
        "selected": len(rows),
        "without_vector": len(rows) - len(placed),
    }
    put_blob(account_id, task_id, "cluster#result", json.dumps(result).encode())
    return {
        "clusters": len(new),
        "joined_existing": len(joined),
        "assigned": len(assigned),
        "unassigned": len(rows) - len(assigned),
        "pillars": len({c["pillar"] for c in new}),
    }


def _existing_clusters(
    account_id: str, site_id: int | None, sector_id: int | None, tag: str
) -> list[Cluster]:
    scope = scope_ref(account_id, site_id, sector_id)
    return [c for c in Cluster.by_scope.query(scope) if c.centroid and c.centroid_tag == tag]


def _new_clusters(
    rows: Sequence[Keyword], matrix: Any, rest: list[int], threshold: float, profile: str
) -> list[dict[str, Any]]:
    """Clusters of the keywords that joined no existing cluster, with their pillars and samples."""
    import numpy as np

    if len(rest) < 2:
        return []
    sub = matrix[rest]
    found = clustering.cluster_vectors(sub, threshold=threshold, profile=profile)
    if not found.n_clusters:
        return []
    volumes = np.asarray([rows[i].volume for i in rest], dtype=np.float64)
    centroids = clustering.centroids(found, sub)
    reps = clustering.representatives(found, sub, weights=volumes, n=SAMPLES)
    sizes = [int(s) for s in found.sizes]
    pillars = clustering.group_pillars(centroids, sizes)
    clusters = []
    for label in range(found.n_clusters):
        members = [rest[i] for i in np.flatnonzero(found.labels == label)]
        order = list(dict.fromkeys([*reps[label]["top_weight"], *reps[label]["central"]]))
        samples = [rows[rest[i]].keyword for i in order][: 2 * SAMPLES]
        clusters.append(
            {
                "members": [int(rows[i].id) for i in members],
                "fallback": rows[rest[reps[label]["top_weight"][0]]].keyword,
                "samples": samples,
                "pillar": int(pillars[label]),
                "centroid": base64.b64encode(
                    np.asarray(centroids[label], dtype=np.float16).tobytes()
                ).decode(),
            }
        )
    return clusters
