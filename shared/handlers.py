"""Phase Lambda handlers: one shape for every engine phase.

Each handler logs with the job's correlation ids, runs one engine phase and returns the small
state. Exceptions propagate: Lambda reports the class name as ``errorType`` and the state
machine's Retry/Catch match on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from shared.observability import bind_job, logger, metrics

Phase = Callable[[dict[str, Any]], dict[str, Any]]


def phase_handler(name: str, phase: Phase) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    @logger.inject_lambda_context(clear_state=True)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        bind_job(event)
        logger.info("phase start", extra={"phase": name})
        result = phase(event)
        metrics.add_metric(name=f"Phase{name.title().replace('_', '')}", unit=MetricUnit.Count, value=1)
        return result

    handler.__name__ = f"{name.lower()}_handler"
    return handler
