"""Phase Lambda handlers: one shape for every engine phase.

Each handler logs with the job's correlation ids, runs one engine phase and returns the small
state. Exceptions propagate: Lambda reports the class name as ``errorType`` and the state
machine's Retry/Catch match on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from shared.engine.store import load_job
from shared.observability import bind_job, logger, metrics, tracer

Phase = Callable[[dict[str, Any]], dict[str, Any]]


def phase_handler(name: str, phase: Phase) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        bind_job(event)
        logger.info("phase start", extra={"phase": name})
        result = phase(event)
        metrics.add_metric(name=f"Phase{name.title().replace('_', '')}", unit=MetricUnit.Count, value=1)
        _job_metrics(name, event, result)
        return result

    handler.__name__ = f"{name.lower()}_handler"
    return handler


def _job_metrics(name: str, event: dict[str, Any], result: dict[str, Any]) -> None:
    """Jobs succeeded/failed with their tokens and cost, as embedded metric format."""
    if name == "DONE" or (name == "FAILURE" and event.get("scope") != "item"):
        job = load_job(event["account_id"], event["task_id"])
        metrics.add_metric(
            name="JobsSucceeded" if job.status == "completed" else "JobsFailed",
            unit=MetricUnit.Count,
            value=1,
        )
        metrics.add_metric(name="Tokens", unit=MetricUnit.Count, value=job.tokens)
        metrics.add_metric(name="CostUSD", unit=MetricUnit.NoUnit, value=float(job.cost or 0))
