"""Starting auto_cluster on a sector (``igny8 cluster`` and ``igny8 run``)."""

from __future__ import annotations

from typing import Any

from igny8_cli.client import Api, ApiError
from igny8_cli.importing import Imported
from igny8_cli.target import info

AUTO_CLUSTER = "/v1/planner/keywords/auto_cluster/"


def start_auto_cluster(
    api: Api, sector_id: int, imported: Imported, strategy: str | None, threshold: float | None
) -> tuple[dict[str, Any], str]:
    """Start auto_cluster with the selection form; fall back to ids for an API without it."""
    options: dict[str, Any] = {
        k: v for k, v in (("strategy", strategy), ("threshold", threshold)) if v is not None
    }
    try:
        body: dict[str, Any] = {"sector_id": sector_id, **options}
        return dict(api.call("POST", AUTO_CLUSTER, body)), f"sector {sector_id}"
    except ApiError as exc:
        if not _wants_ids(exc):
            raise
    # FALLBACK for an API that takes only {"ids", "sector_id"} (remove once every deployment takes
    # the selection form). All ids in one request: the prompt strategy cannot be split into chunks.
    if options:
        info("note: this API takes only keyword ids: --strategy/--threshold are not applied")
    ids = sorted(set(imported.ids.values()))
    body = {"ids": ids, "sector_id": sector_id}
    return dict(api.call("POST", AUTO_CLUSTER, body)), f"{len(ids)} keyword ids"


def _wants_ids(exc: ApiError) -> bool:
    return exc.status == 422 and any(
        e.get("field") == "ids" and "required" in str(e.get("message", "")).lower() for e in exc.errors
    )
