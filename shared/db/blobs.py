"""Stage blobs: bytes one stage of a job hands to a later stage, stored in parts.

A stage's output can be far larger than a DynamoDB item (the embeddings of 2,048 keywords, the
assignments of 50,000 keywords to clusters) and must never travel in Step Functions state. It is
stored zlib-compressed, split into parts of at most ``PART_BYTES`` (well below the 400 KB item
limit), as ``StageBlob`` rows in the job's own ``{account}#{task_id}#blobs`` partition; reading
one back is one Query.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterable

from shared.db.engine_tables import StageBlob
from shared.db.repo import batch_delete, batch_save

#: Largest part of a blob (bytes): an item stays far below DynamoDB's 400 KB.
PART_BYTES = 128_000


def _ref(account_id: str, task_id: str) -> str:
    return f"{account_id}#{task_id}#blobs"


def put_blob(account_id: str, task_id: str, name: str, data: bytes) -> int:
    """Store ``data`` under ``name`` (replacing it); returns the number of parts."""
    packed = zlib.compress(data, 6)
    parts = [packed[i : i + PART_BYTES] for i in range(0, len(packed), PART_BYTES)] or [b""]
    ref = _ref(account_id, task_id)
    rows = [
        StageBlob(ref, f"{name}#{index:05d}", blob=part, parts=len(parts)) for index, part in enumerate(parts)
    ]
    batch_save(rows)
    return len(parts)


def get_blob(account_id: str, task_id: str, name: str) -> bytes | None:
    """The bytes stored under ``name``, or None when there are none (or some part is missing)."""
    rows = list(StageBlob.query(_ref(account_id, task_id), StageBlob.item.startswith(f"{name}#")))
    if not rows or len(rows) != int(rows[0].parts or 0):
        return None
    rows.sort(key=lambda r: r.item)
    return zlib.decompress(b"".join(bytes(r.blob) for r in rows))


def delete_blobs(account_id: str, task_id: str, prefix: str = "") -> int:
    """Delete the job's blobs whose name starts with ``prefix`` (all of them by default)."""
    ref = _ref(account_id, task_id)
    condition = StageBlob.item.startswith(prefix) if prefix else None
    keys = [(ref, r.item) for r in StageBlob.query(ref, condition, attributes_to_get=["job_ref", "item"])]
    return batch_delete(StageBlob, keys) if keys else 0


def blob_names(account_id: str, task_id: str, prefix: str = "") -> set[str]:
    """Names of the job's complete blobs starting with ``prefix`` (one Query of keys and counts)."""
    condition = StageBlob.item.startswith(prefix) if prefix else None
    rows = StageBlob.query(
        _ref(account_id, task_id), condition, attributes_to_get=["job_ref", "item", "parts"]
    )
    found: dict[str, list[int]] = {}
    for row in rows:
        name = str(row.item).rsplit("#", 1)[0]
        found.setdefault(name, []).append(int(row.parts or 0))
    return {name for name, parts in found.items() if len(parts) == parts[0]}


def get_blobs(account_id: str, task_id: str, names: Iterable[str]) -> dict[str, bytes]:
    """Several blobs at once: one paginated Query over the job's blobs (pages of 1 MB) instead of
    one Query (or more) per blob. Names with no complete blob are left out."""
    wanted = set(names)
    if not wanted:
        return {}
    prefix = os.path.commonprefix(sorted(wanted))
    condition = StageBlob.item.startswith(prefix) if prefix else None
    parts: dict[str, list[StageBlob]] = {}
    for row in StageBlob.query(_ref(account_id, task_id), condition):
        name = str(row.item).rsplit("#", 1)[0]
        if name in wanted:
            parts.setdefault(name, []).append(row)
    found: dict[str, bytes] = {}
    for name, rows in parts.items():
        if len(rows) == int(rows[0].parts or 0):
            rows.sort(key=lambda r: r.item)
            found[name] = zlib.decompress(b"".join(bytes(r.blob) for r in rows))
    return found
