"""API Gateway Lambda: validates requests, starts jobs, reads records (routes in shared/api)."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from shared.api.app import resolve
from shared.observability import logger, metrics


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return resolve(event, context)
