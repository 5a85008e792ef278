"""Starting jobs: asynchronously through Step Functions, or synchronously in this process."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from shared.ai import validators
from shared.config import get_settings
from shared.db.models import Job
from shared.db.repo import get_account
from shared.engine import claims
from shared.engine.accounting import check_job_budget, settle_reservation
from shared.engine.engine import AIEngine, create_job
from shared.engine.store import job_state
from shared.engine.unstarted import record_start, record_start_failure
from shared.errors import EngineError, NotFound
from shared.functions.registry import get_function_instance
from shared.observability import metrics


class JobStartFailed(EngineError):
    status_code = 503


@lru_cache(maxsize=1)
def step_functions() -> Any:
    """The process's Step Functions client (created on first use: boto3 loads then)."""
    import boto3

    return boto3.client("stepfunctions", region_name=get_settings().region)


def prevalidate(account_id: str, function_name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Run INIT's validation and budget check before anything is stored: the caller gets a 4xx now.

    Returns the payload the job stores: the function resolves what depends on the account's data
    (``resolve_payload``: e.g. auto_cluster's strategy from the number of keywords selected).
    INIT validates again when the job runs (the data may change in between).
    """
    account = get_account(account_id)
    if account is None:
        raise NotFound(f"account {account_id} not found")
    fn = get_function_instance(function_name)
    validators.raise_if_invalid(fn.validate(payload, account))
    payload = fn.resolve_payload(payload, account)
    check_job_budget(account, fn, payload)
    return payload


def start_job(account_id: str, function_name: str, payload: dict[str, Any], sync: bool = False) -> Job:
    """Validate, create the job and start it; async returns at once with the job pending.

    The job is stored with its estimated credits reserved from the account's balance in one
    conditional write (InsufficientCredits when concurrent jobs took them first); DONE or the
    failure handler settles the reservation to the real charge. It claims the records it will
    change (RecordBusy, 409, naming the job that holds one); its end releases them.
    """
    payload = prevalidate(account_id, function_name, payload)
    job = create_job(account_id, function_name, payload, mode="sync" if sync else "async", reserve=True)
    metrics.add_metric(name="JobsStarted", unit=MetricUnit.Count, value=1)
    if sync:
        return AIEngine().run_job(job)
    arn = get_settings().state_machine_arn
    try:
        if not arn:
            raise JobStartFailed("STATE_MACHINE_ARN is not configured")
        execution = step_functions().start_execution(
            stateMachineArn=arn, name=job.task_id, input=json.dumps(job_state(job))
        )
    except Exception as exc:
        record_start_failure(job, f"could not start the job: {type(exc).__name__}")
        settle_reservation(job)  # nothing ran: the whole reservation goes back
        claims.release_job(job)
        raise JobStartFailed("the job could not be started; try again") from exc
    record_start(job, execution["executionArn"])
    return job
