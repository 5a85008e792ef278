"""Jobs accepted but not started yet: recording the start, or ending a job that never started.

An async job is stored pending with ``unstarted`` set, so it is in the jobs table's sparse
``by_unstarted`` index (oldest first). It leaves the index when its execution is recorded
(``record_start``), when starting it failed (``record_start_failure``), or when the reaper fails
it because no execution was ever started for it (``fail_unstarted``). A job refused after it
was stored (``discard``: its records were claimed first) is removed altogether.
"""

from __future__ import annotations

from collections.abc import Iterator

from pynamodb.exceptions import DeleteError, UpdateError

from shared.db.base import iso_now
from shared.db.engine_tables import UNSTARTED
from shared.db.models import Job
from shared.engine import accounting

NEVER_STARTED = "NeverStarted"


def record_start(job: Job, execution_arn: str) -> None:
    """The job's execution started: its ARN is recorded and the job leaves the unstarted index."""
    job.update(actions=[Job.execution_arn.set(execution_arn), Job.unstarted.remove()])


def record_start_failure(job: Job, reason: str) -> None:
    """The job's execution could not be started (the API answers 503)."""
    now = iso_now()
    job.update(
        actions=[
            Job.status.set("failed"),
            Job.error.set(reason),
            Job.error_type.set("JobStartFailed"),
            Job.message.set(f"Failed before it started: {reason}"),
            Job.finished_at.set(now),
            Job.updated_at.set(now),
            Job.unstarted.remove(),
        ]
    )


def unstarted_jobs(created_before: str, limit: int) -> Iterator[tuple[str, str]]:
    """(account_id, task_id) of the jobs stored before ``created_before`` and not started, oldest first."""
    rows = Job.by_unstarted.query(UNSTARTED, Job.created_at < created_before, limit=limit)
    for row in rows:
        yield str(row.account_id), str(row.task_id)


def leave_index(job: Job) -> None:
    """A job in the index that is started or finished already: only the index entry goes."""
    job.update(actions=[Job.unstarted.remove()])


def fail_unstarted(job: Job, reason: str) -> bool:
    """Fail a job no execution was started for; False when it started or ended meanwhile.

    Conditioned on the job still pending without an execution, so a start that lands at the
    same moment is never overwritten.
    """
    now = iso_now()
    result = {"success": False, "task_id": job.task_id, "error": reason, "error_type": NEVER_STARTED}
    try:
        job.update(
            actions=[
                Job.status.set("failed"),
                Job.error.set(reason),
                Job.error_type.set(NEVER_STARTED),
                Job.message.set(f"Failed before it started: {reason}"),
                Job.result.set(result),
                Job.finished_at.set(now),
                Job.updated_at.set(now),
                Job.unstarted.remove(),
            ],
            condition=(Job.status == "pending") & Job.execution_arn.does_not_exist(),
        )
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def discard(job: Job) -> None:
    """Remove a job refused after it was stored, before anything ran: its reservation goes back
    (``settle_reservation``: the whole estimate) and its row is deleted. Should this process die
    in between, the job stays pending and unstarted, and the reaper ends it."""
    accounting.settle_reservation(job)
    try:
        job.delete(condition=(Job.status == "pending") & Job.execution_arn.does_not_exist())
    except DeleteError as exc:
        if getattr(exc, "cause_response_code", "") != "ConditionalCheckFailedException":
            raise
