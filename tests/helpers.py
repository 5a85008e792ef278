"""Small helpers shared by the tests."""

from __future__ import annotations

import json
from typing import Any

from local_stack.apigw import call_api, proxy_event


def add_keywords(account_id: str, specs: list[tuple[str, int]] | list[str], **kwargs: Any) -> list[int]:
    """Create keywords (text, volume) in the account; returns their ids in order."""
    from shared.services.keywords import create_keywords

    rows = [
        {"keyword": s, "volume": 100, "difficulty": 30, "intent": "Informational"}
        if isinstance(s, str)
        else {"keyword": s[0], "volume": s[1], "difficulty": 30, "intent": "Informational"}
        for s in specs
    ]
    result = create_keywords(account_id, rows, **kwargs)
    return [int(k.id) for k in result.created]


def run_job(
    stack: Any, account_id: str, function_name: str, payload: dict[str, Any], timeout: float = 60
) -> Any:
    """Start a job through Step Functions, wait for the execution, return the Job record."""
    from shared.db.models import Job
    from shared.services.jobs import start_job

    job = start_job(account_id, function_name, payload)
    execution = stack.wait_for_execution(job.execution_arn, timeout=timeout)
    stored = Job.get(account_id, job.task_id)
    stored.execution_status = execution["status"]
    return stored


def api(
    method: str, path: str, key: str | None, body: Any = None, query: dict[str, str] | None = None
) -> tuple[int, Any]:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    response = call_api(proxy_event(method, path, body, headers, query))
    return int(response["statusCode"]), json.loads(response.get("body") or "null")


def run_job_unchecked(stack: Any, account_id: str, function_name: str, payload: dict[str, Any]) -> Any:
    """Start the state machine on a new job without the API's pre-checks, so INIT itself decides."""
    from shared.db.models import Job
    from shared.engine.engine import create_job
    from shared.engine.store import job_state

    job = create_job(account_id, function_name, payload)
    execution = stack.client("stepfunctions").start_execution(
        stateMachineArn=stack.state_machine_arn, name=job.task_id, input=json.dumps(job_state(job))
    )
    stack.wait_for_execution(execution["executionArn"])
    return Job.get(account_id, job.task_id)
