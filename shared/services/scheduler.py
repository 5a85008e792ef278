"""Scheduled batches (EventBridge): find an account's pending work and start jobs for it.

The rule's input names the account and what to do:
``{"account_id": "...", "function_name": "auto_cluster", "selector": "unclustered"}``.
Each function declares the selector that feeds it (``batch_selector``) and how it selects
(``select_batch``): ``unclustered`` for auto_cluster, ``clusters_without_ideas`` for
generate_ideas, ``queued_tasks`` for generate_content. Work is split into jobs no larger than
each function's batch size (else its item limit).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.db.repo import get_account
from shared.errors import InputInvalid, NotFound
from shared.functions.base import BaseAIFunction
from shared.functions.registry import canonical_name, get_function_instance, list_functions
from shared.services.jobs import start_job


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    account_id: str = Field(min_length=1)
    function_name: str
    selector: str
    limit: int = Field(default=1000, ge=1, le=10_000)


def _function_for(selector: str) -> BaseAIFunction:
    """The function a selector feeds (each function declares its own ``batch_selector``)."""
    functions = [get_function_instance(name) for name in list_functions()]
    for fn in functions:
        if fn.batch_selector == selector:
            return fn
    known = ", ".join(str(fn.batch_selector) for fn in functions if fn.batch_selector)
    raise InputInvalid(f"unknown selector {selector!r}; use one of {known}")


def run_batch(event: dict[str, Any]) -> dict[str, Any]:
    """Start the jobs a scheduled rule asks for; returns their task ids."""
    detail = event.get("detail")
    source: dict[str, Any] = detail if isinstance(detail, dict) and detail else event
    try:
        request = BatchRequest(**source)
    except ValidationError as exc:
        raise InputInvalid(f"invalid scheduled batch input: {exc.errors()[0]['msg']}") from None
    fn = _function_for(request.selector)
    if fn.name != canonical_name(request.function_name):
        raise InputInvalid(f"selector {request.selector!r} feeds {fn.name}, not {request.function_name}")
    if get_account(request.account_id) is None:
        raise NotFound(f"account {request.account_id} not found")
    ids = fn.select_batch(request.account_id, request.limit)
    size = fn.batch_size or fn.get_max_items() or len(ids) or 1
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
