"""Job events: every job end is one EventBridge event on the stack's own bus.

DONE (``phases.run_done``) and the failure handler (``failures.handle_error``) call
``publish_job_end`` once the job row holds its final status. The event::

    source "igny8", detail-type "Job Succeeded" | "Job Failed",
    detail {task_id, account_id, function, status, model, counts: {items: {total, done, failed},
            <the function's numeric result counts, e.g. clusters_created>},
            tokens: {input, output, total}, cost, credits, finished_at, error?, error_type?}

Subscribers (the webhook Lambda, anything an operator adds) follow jobs without polling. The
event is best effort: a failure to put it is logged and counted (metric ``JobEventsFailed``) and
never fails the job; EventBridge delivers at least once, so receivers dedupe on ``task_id``.
The bus name comes from ``EVENT_BUS_NAME`` (unset: no events); the client, like every boto3
client here, takes its endpoint from the environment (the local stack's moto server).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from shared.config import get_settings
from shared.db.models import Job
from shared.engine import store
from shared.observability import logger, metrics

SOURCE = "igny8"
SUCCEEDED = "Job Succeeded"
FAILED = "Job Failed"
#: The event name webhook receivers see (``X-Igny8-Event``) for each detail type.
EVENT_NAMES = {SUCCEEDED: "job.succeeded", FAILED: "job.failed"}

_clients: dict[tuple[str, str | None], Any] = {}
_clients_lock = threading.Lock()


def _client() -> Any:
    """The EventBridge client of this process (created on first use, one per region/endpoint)."""
    settings = get_settings()
    key = (settings.region, settings.dynamodb_endpoint)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            import boto3

            client = boto3.client("events", region_name=settings.region)
            _clients[key] = client
        return client


def _number(value: Any) -> int | float:
    number = float(value or 0)
    return int(number) if number.is_integer() else number


def job_detail(job: Job) -> dict[str, Any]:
    """The event's detail (and the webhook's body) for a finished job."""
    result = job.result if isinstance(job.result, dict) else {}
    counts: dict[str, Any] = {
        "items": {
            "total": int(job.items_total or 0),
            "done": int(job.items_done or 0),
            "failed": int(job.items_failed or 0),
        }
    }
    for key, value in result.items():
        if isinstance(value, int | float) and not isinstance(value, bool) and key != "task_id":
            counts[key] = value
    detail: dict[str, Any] = {
        "task_id": job.task_id,
        "account_id": job.account_id,
        "function": job.function_name,
        "status": job.status,
        "model": job.model,
        "counts": counts,
        "tokens": {
            "input": int(job.input_tokens or 0),
            "output": int(job.output_tokens or 0),
            "total": job.tokens,
        },
        "cost": round(float(job.cost or 0), 8),
        "credits": _number(job.credits),
        "finished_at": job.finished_at,
    }
    if job.status == "failed":
        detail["error"] = job.error
        detail["error_type"] = job.error_type
    return detail


def publish_job_end(job: Job) -> bool:
    """Put the job's end event on the bus; True when EventBridge accepted it.

    Never raises: the job is finished whatever happens to its event.
    """
    bus = get_settings().event_bus_name
    if not bus:
        return False
    try:
        fresh = store.load_job(job.account_id, job.task_id, consistent=True)
        detail_type = SUCCEEDED if fresh.status == "completed" else FAILED
        answer = _client().put_events(
            Entries=[
                {
                    "EventBusName": bus,
                    "Source": SOURCE,
                    "DetailType": detail_type,
                    "Detail": json.dumps(job_detail(fresh), default=str),
                    "Resources": [],
                }
            ]
        )
        if int(answer.get("FailedEntryCount") or 0):
            entry = (answer.get("Entries") or [{}])[0]
            raise RuntimeError(f"{entry.get('ErrorCode')}: {entry.get('ErrorMessage')}")
    except Exception as exc:  # noqa: BLE001 - an event never fails the job
        metrics.add_metric(name="JobEventsFailed", unit=MetricUnit.Count, value=1)
        logger.warning(
            "could not put the job's event",
            extra={"event_bus": bus, "error_type": type(exc).__name__, "error": str(exc)[:500]},
        )
        return False
    metrics.add_metric(name="JobEventsPut", unit=MetricUnit.Count, value=1)
    return True
