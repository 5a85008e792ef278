"""Scheduled batches (EventBridge): find an account's pending work and start jobs for it.

The rule's input names the account and what to do:
``{"account_id": "...", "function_name": "auto_cluster", "selector": "unclustered"}``.
Selectors: ``unclustered`` (active keywords without a cluster, for auto_cluster),
``clusters_without_ideas`` (generate_ideas), ``queued_tasks`` (generate_content).
Work is split into jobs no larger than each function's item limit.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.db.models import Cluster, ContentIdea, Keyword, WriterTask
from shared.db.repo import get_account, query_account
from shared.errors import InputInvalid, NotFound
from shared.functions.registry import get_function_instance
from shared.services.jobs import start_job

SELECTORS = {
    "unclustered": "auto_cluster",
    "clusters_without_ideas": "generate_ideas",
    "queued_tasks": "generate_content",
}
AUTO_CLUSTER_BATCH = 500


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    account_id: str = Field(min_length=1)
    function_name: str
    selector: str
    limit: int = Field(default=1000, ge=1, le=10_000)


def _select(request: BatchRequest) -> list[int]:
    account_id = request.account_id
    if request.selector == "unclustered":
        rows = query_account(Keyword, account_id, filter_condition=(Keyword.status == "active"))
        return [int(k.id) for k in rows if k.cluster_id is None][: request.limit]
    if request.selector == "clusters_without_ideas":
        with_ideas = {
            int(i.keyword_cluster_id) for i in query_account(ContentIdea, account_id) if i.keyword_cluster_id
        }
        clusters = query_account(Cluster, account_id, filter_condition=(Cluster.status == "active"))
        return [int(c.id) for c in clusters if int(c.id) not in with_ideas][: request.limit]
    tasks = query_account(WriterTask, account_id, filter_condition=(WriterTask.status == "queued"))
    return [int(t.id) for t in tasks][: request.limit]


def run_batch(event: dict[str, Any]) -> dict[str, Any]:
    """Start the jobs a scheduled rule asks for; returns their task ids."""
    detail = event.get("detail")
    source: dict[str, Any] = detail if isinstance(detail, dict) and detail else event
    try:
        request = BatchRequest(**source)
    except ValidationError as exc:
        raise InputInvalid(f"invalid scheduled batch input: {exc.errors()[0]['msg']}") from None
    expected = SELECTORS.get(request.selector)
    if expected is None:
        raise InputInvalid(f"unknown selector {request.selector!r}; use one of {', '.join(SELECTORS)}")
    if expected != request.function_name:
        raise InputInvalid(f"selector {request.selector!r} feeds {expected}, not {request.function_name}")
    if get_account(request.account_id) is None:
        raise NotFound(f"account {request.account_id} not found")
    ids = _select(request)
    size = get_function_instance(request.function_name).get_max_items() or AUTO_CLUSTER_BATCH
    task_ids = [
        start_job(request.account_id, request.function_name, {"ids": ids[i : i + size]}).task_id
        for i in range(0, len(ids), size)
    ]
    return {
        "account_id": request.account_id,
        "function_name": request.function_name,
        "selected": len(ids),
        "jobs": task_ids,
    }
