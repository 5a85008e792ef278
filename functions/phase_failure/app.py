"""Failure handler Lambda (the seed's ``_handle_error``).

``scope: "item"`` records one failed item and tells the Map whether the other items go on;
``scope: "job"`` marks the job failed and writes the AITaskLog.
"""

from typing import Any

from shared.engine.failures import handle_error, handle_item_failure
from shared.engine.lambda_handler import phase_handler


def _handle(event: dict[str, Any]) -> dict[str, Any]:
    if event.get("scope") == "item":
        return handle_item_failure(event)
    return handle_error(event)


handler = phase_handler("FAILURE", _handle)
