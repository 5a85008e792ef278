"""Failures and the task log: the seed's ``_handle_error`` and ``_log_to_database``.

``handle_item_failure`` records one failed item and tells the state machine whether the other
items go on; ``handle_error`` marks the job failed in the phase (and stage) the error happened
in. Both run in the FailureFunction Lambda (``scope`` "item" or "job"), and in process in sync
mode. ``write_task_log`` writes the AITaskLog row of a finished job, success or failure.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from shared.ai.providers import redact
from shared.config import get_settings
from shared.db.base import utcnow
from shared.db.models import AITaskLog, Job, JobItem
from shared.engine import accounting, claims, events, store
from shared.engine.context import load_context
from shared.engine.store import State
from shared.observability import logger

ERROR_MESSAGE_LIMIT = 1000


def error_payload(exc: BaseException) -> dict[str, str]:
    """The ``{"Error", "Cause"}`` shape Step Functions gives a Catch, built from an exception."""
    cause = json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)})
    return {"Error": type(exc).__name__, "Cause": cause}


def describe_error(error: dict[str, Any] | None) -> tuple[str, str]:
    """(error type, readable message) from a Catch's ``{"Error", "Cause"}``."""
    error = error or {}
    name = str(error.get("Error") or "UnknownError")
    cause = error.get("Cause")
    message = ""
    if isinstance(cause, str) and cause:
        try:
            decoded = json.loads(cause)
            message = str(decoded.get("errorMessage") or "") if isinstance(decoded, dict) else cause
        except ValueError:
            message = cause
    if name == "States.Timeout" and not message:
        message = "the phase timed out"
    return name, redact(message or name)[:ERROR_MESSAGE_LIMIT]


def handle_item_failure(state: State) -> State:
    """Record one failed item; tell the state machine whether the other items go on."""
    ctx = load_context(state)
    item = store.load_item(ctx.job_ref, state.get("item"))
    error_type, message = describe_error(state.get("error"))
    if item.status != "failed":
        store.mark_item_failed(item, error_type, message)
        store.count_failed(ctx.job)
        ctx.fn.on_item_failed(item.item, message, ctx.account)
    logger.warning("item failed", extra={"item": item.item, "error": message, "stage": ctx.stage_label})
    return {**ctx.base_state(), "item": item.item, "isolated": ctx.fn.isolate_item_failures}


def handle_error(state: State) -> State:
    """The seed's ``_handle_error``: record the error, mark the job failed, write the AITaskLog.

    The job fails in the phase it was in; after a failed item, in that item's phase and with its
    error. A job with several stages also names the stage (``result["stage"]``, the message).
    """
    ctx = load_context(state)
    error_type, message = describe_error(state.get("error"))
    items = store.items(ctx.job_ref)
    phase = ctx.job.phase if ctx.job.phase not in ("QUEUED", None) else "INIT"
    stage = ctx.stage_label if phase not in ("INIT", "DONE") else None
    if error_type == "ItemFailed":
        failed = next((i for i in items if i.status == "failed"), None)
        if failed is not None:
            phase = failed.phase or phase
            stage = store.item_stage(failed, ctx.stages) if ctx.multi_stage else None
            if failed.error and failed.error not in message:
                error_type, message = failed.error_type or error_type, failed.error
    usage = accounting.settle(ctx.job, items)
    result: dict[str, Any] = {
        "success": False,
        "task_id": ctx.job.task_id,
        "error": message,
        "error_type": error_type,
    }
    where = phase
    if stage is not None:
        result["stage"] = stage
        where = f"{phase} of stage {stage}"
    store.mark_failed(ctx.job, phase, error_type, message, result, f"Failed during {where}: {message}")
    write_task_log(
        ctx.job,
        items,
        status="error",
        phase=phase,
        message=message,
        result=result,
        error=message,
        usage=usage,
    )
    logger.error("job failed", extra={"phase": phase, "stage": stage, "error_type": error_type})
    claims.release_job(ctx.job)  # the job's records are free for the next job (never raises)
    events.publish_job_end(ctx.job)  # "Job Failed" on the bus (never fails the handler)
    return {**ctx.base_state(), "status": "failed", "error": message}


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def write_task_log(
    job: Job,
    items: list[JobItem],
    status: str,
    phase: str,
    message: str,
    result: dict[str, Any] | None,
    error: str | None = None,
    usage: dict[str, Any] | None = None,
) -> None:
    """The seed's ``_log_to_database``: one AITaskLog row with the job's totals and steps."""
    job = store.load_job(job.account_id, job.task_id, consistent=True)  # fresh totals
    started = _parse_time(job.started_at or job.created_at)
    duration = max((utcnow() - started).total_seconds(), 0.0) if started else 0.0
    request_steps: list[dict[str, Any]] = []
    response_steps: list[dict[str, Any]] = []
    for item in items:
        request_steps.extend({**s, "item": item.item} for s in (item.request_steps or []))
        response_steps.extend({**s, "item": item.item} for s in (item.response_steps or []))
    AITaskLog(
        job.account_id,
        job.task_id,
        function_name=job.function_name,
        phase=phase,
        message=message[:ERROR_MESSAGE_LIMIT],
        status=status,
        duration=round(duration, 3),
        cost=float(job.cost or 0),
        tokens=job.tokens,
        credits=int(job.credits or 0),
        request_steps=request_steps,
        response_steps=response_steps,
        error=error,
        payload=dict(job.payload or {}),
        result={**(result or {}), "usage": usage} if usage is not None else result,
        expires_at=timedelta(days=get_settings().log_retention_days),
    ).save()
