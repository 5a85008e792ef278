"""Logger and Metrics, created once; every handler uses the same decorators in the same order."""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics

# A phase that fails before recording its metric is reported by Step Functions; no warning needed.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(service="igny8")
metrics = Metrics(namespace="Igny8", service="igny8")


def bind_job(state: dict) -> None:
    """Correlation ids on every log line of this invocation: job, account, function, item."""
    logger.append_keys(
        task_id=state.get("task_id"),
        account_id=state.get("account_id"),
        function_name=state.get("function_name"),
        item=state.get("item"),
    )
