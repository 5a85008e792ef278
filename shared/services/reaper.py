"""The reaper (a scheduled Lambda): ends the jobs that were accepted but never started.

``start_job`` stores a job with its credits reserved and its records claimed, then starts its
Step Functions execution (named after the job's ``task_id``). A process that dies in between
leaves the job pending with the credits held. Every few minutes the reaper Queries the jobs
table's sparse ``by_unstarted`` index for jobs pending longer than ``older_than_minutes``:

- an execution named after the job exists: its ARN is recorded and the job left to run;
- none exists: the job is failed ("never started"), its reservation refunded and its claims
  released;
- the job started or ended meanwhile: only its index entry is removed.

The rule's input (optional): ``{"older_than_minutes": 10, "limit": 500}``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from shared.config import get_settings
from shared.db.base import utcnow
from shared.engine import claims
from shared.engine.accounting import settle_reservation
from shared.engine.store import load_job
from shared.engine.unstarted import fail_unstarted, leave_index, record_start, unstarted_jobs
from shared.errors import InputInvalid, NotFound
from shared.observability import logger, metrics
from shared.services.jobs import step_functions

#: A job is considered when it has been pending this long (StartExecution follows its storing by
#: well under a second, so ten minutes leaves any slow start alone).
DEFAULT_OLDER_THAN_MINUTES = 10
MAX_OLDER_THAN_MINUTES = 7 * 24 * 60
#: Jobs one run considers at most (the next run takes the rest).
DEFAULT_LIMIT = 500
MAX_LIMIT = 5000


def _bounded(event: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = event.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputInvalid(f"invalid reaper input: {name} must be an integer from {low} to {high}")
    return value


def execution_arn(state_machine_arn: str, task_id: str) -> str:
    """The ARN of the execution ``start_job`` names after the job (``name=task_id``)."""
    prefix, separator, machine = state_machine_arn.rpartition(":stateMachine:")
    if not separator or not machine:
        raise InputInvalid(f"STATE_MACHINE_ARN is not a state machine ARN: {state_machine_arn}")
    return f"{prefix}:execution:{machine}:{task_id}"


def _iso(moment: Any) -> str:
    return str(moment.isoformat(timespec="milliseconds")).replace("+00:00", "Z")


def _execution_exists(arn: str) -> bool:
    client = step_functions()
    try:
        client.describe_execution(executionArn=arn)
    except client.exceptions.ExecutionDoesNotExist:
        return False
    return True


def reap(event: dict[str, Any]) -> dict[str, Any]:
    """One reaper run; what it found, started and reaped."""
    detail = event.get("detail")
    source: dict[str, Any] = detail if isinstance(detail, dict) and detail else event
    minutes = _bounded(source, "older_than_minutes", DEFAULT_OLDER_THAN_MINUTES, 1, MAX_OLDER_THAN_MINUTES)
    limit = _bounded(source, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    machine = get_settings().state_machine_arn
    if not machine:
        raise InputInvalid("STATE_MACHINE_ARN is not configured: the reaper cannot look for executions")
    cutoff = _iso(utcnow() - timedelta(minutes=minutes))
    started: list[dict[str, str]] = []
    reaped: list[dict[str, Any]] = []
    cleared = 0
    for account_id, task_id in unstarted_jobs(cutoff, limit):
        try:
            job = load_job(account_id, task_id, consistent=True)
        except NotFound:
            continue
        if job.status != "pending" or job.execution_arn:
            leave_index(job)
            cleared += 1
            continue
        arn = execution_arn(machine, task_id)
        if _execution_exists(arn):
            record_start(job, arn)  # it started; only the ARN was not recorded
            started.append({"account_id": account_id, "task_id": task_id, "execution_arn": arn})
            continue
        reason = f"the job never started: no execution began within {minutes} minute(s) of its acceptance"
        if not fail_unstarted(job, reason):
            continue  # it started or ended meanwhile
        refund = settle_reservation(job)
        claims.release_job(job)
        reaped.append({"account_id": account_id, "task_id": task_id, "refunded_credits": refund or 0})
        logger.warning("job never started: reaped", extra={"task_id": task_id, "account_id": account_id})
    metrics.add_metric(name="JobsReaped", unit=MetricUnit.Count, value=len(reaped))
    return {
        "older_than_minutes": minutes,
        "cutoff": cutoff,
        "reaped": reaped,
        "started": started,
        "cleared": cleared,
    }
