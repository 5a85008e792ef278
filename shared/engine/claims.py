"""Record claims: one job at a time per record.

A job claims the records it will change when it is accepted (``create_job``): each function
says which (``BaseAIFunction.claim_refs``: auto_cluster its site/sector scopes, generate_ideas
its clusters, generate_content its writer tasks). A claim is a conditional put of a ``Claim``
row, ``TransactWriteItems`` of at most 100 rows (99 claims and the job's list of claims); more
refs are claimed in chunks, and what was taken is given back when a later chunk conflicts.
A second job over a claimed record is refused with ``RecordBusy`` (409) naming the job.

The claims are released when the job ends: DONE (``run_done``), the failure handler
(``handle_error``), a start that failed (``start_job``), the reaper (a job that never started).
A crashed job's claims expire: ``expires_at`` lies past the longest a job can run (the state
machine's ``TimeoutSeconds``), and the claim condition lets a new job take an expired claim in
the same write; a claim whose job is finished (a release that failed) is taken over too.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import DeleteError, TransactWriteError
from pynamodb.transactions import TransactWrite

from shared.db.base import connection, utcnow
from shared.db.claim_tables import describe_claim, job_claims_ref
from shared.db.models import Claim, Job, JobClaims
from shared.db.repo import batch_get
from shared.errors import RecordBusy
from shared.observability import logger

#: The longest a job can run: the state machine's ``TimeoutSeconds`` (statemachine/engine.asl.json).
JOB_MAX_RUN_SECONDS = 6 * 3600
#: A claim expires this long after it was taken: past any job's end, with a margin.
CLAIM_SECONDS = JOB_MAX_RUN_SECONDS + 15 * 60
#: TransactWriteItems takes at most 100 items: 99 claims and the update of the job's list.
CLAIMS_PER_TRANSACTION = 99
FINISHED = ("completed", "failed")
ATTEMPTS = 4


@dataclass(frozen=True)
class Holder:
    """The job holding a claimed record."""

    ref: str
    task_id: str
    function_name: str
    status: str

    def error(self) -> RecordBusy:
        return RecordBusy(
            f"{describe_claim(self.ref)} is being changed by job {self.task_id} "
            f"({self.function_name}, {self.status}); follow it at /v1/jobs/{self.task_id}",
            ref=self.ref,
            task_id=self.task_id,
            function_name=self.function_name,
            status=self.status,
        )


def _job_status(account_id: str, task_id: str) -> str | None:
    try:
        return str(Job.get(account_id, task_id, consistent_read=True).status)
    except Job.DoesNotExist:
        return None


def _expired(claim: Claim, now: datetime) -> bool:
    return claim.expires_at is None or claim.expires_at <= now


def holders(account_id: str, refs: Iterable[str], task_id: str | None = None) -> dict[str, Holder]:
    """The refs claimed by a job still running (other than ``task_id``): ``{ref: Holder}``.

    Expired claims, and claims of a job that is finished or gone, are free: the next claim
    takes them over.
    """
    wanted = sorted(set(refs))
    if not wanted:
        return {}
    now = utcnow()
    statuses: dict[str, str | None] = {}
    found: dict[str, Holder] = {}
    for claim in batch_get(Claim, account_id, wanted, consistent_read=True):
        if claim.task_id == task_id or _expired(claim, now):
            continue
        if claim.task_id not in statuses:
            statuses[claim.task_id] = _job_status(account_id, claim.task_id)
        status = statuses[claim.task_id]
        if status is None or status in FINISHED:
            continue
        found[claim.ref] = Holder(claim.ref, claim.task_id, claim.function_name, status)
    return found


def ensure_free(account_id: str, refs: Iterable[str], task_id: str | None = None) -> None:
    """Raise ``RecordBusy`` (409) naming the job when any of ``refs`` is claimed by a running job.

    A read: nothing is claimed. Use it before changing records outside a job (corrections), and
    before a job is stored, so a refused request stores nothing.
    """
    busy = holders(account_id, refs, task_id)
    if busy:
        raise busy[min(busy)].error()


def _chunks(refs: Sequence[str], size: int) -> list[list[str]]:
    return [list(refs[i : i + size]) for i in range(0, len(refs), size)]


def _codes(exc: TransactWriteError) -> list[str | None]:
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return [r.code if r is not None else None for r in reasons]


def _claim_chunk(
    account_id: str, task_id: str, function_name: str, chunk: list[str], stale: dict[str, str]
) -> list[str]:
    """Claim ``chunk`` in one transaction; the refs whose condition failed ([] when claimed)."""
    now = utcnow()
    expires = now + timedelta(seconds=CLAIM_SECONDS)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with TransactWrite(connection=connection()) as transaction:
                for ref in chunk:
                    condition = (
                        Claim.ref.does_not_exist() | (Claim.expires_at <= now) | (Claim.task_id == task_id)
                    )
                    if ref in stale:  # held by a job that is over: taken over if still that job's
                        condition = condition | (Claim.task_id == stale[ref])
                    transaction.save(
                        Claim(
                            account_id, ref, task_id=task_id, function_name=function_name, expires_at=expires
                        ),
                        condition=condition,
                    )
                transaction.update(
                    JobClaims(account_id, job_claims_ref(task_id)),
                    actions=[
                        JobClaims.task_id.set(task_id),
                        JobClaims.refs.add(set(chunk)),
                        JobClaims.expires_at.set(expires),
                    ],
                )
        except TransactWriteError as exc:
            codes = _codes(exc)
            failed = [
                ref for ref, code in zip(chunk, codes, strict=False) if code == "ConditionalCheckFailed"
            ]
            if failed:
                return failed
            if "TransactionConflict" in codes and attempt < ATTEMPTS:
                time.sleep(random.uniform(0, 0.05 * 2**attempt))
                continue
            raise
        return []
    raise AssertionError("unreachable")


def acquire(account_id: str, task_id: str, function_name: str, refs: Iterable[str]) -> list[str]:
    """Claim every ref for the job, or none: ``RecordBusy`` naming the job holding one of them.

    Refs are claimed in sorted order, in chunks of ``CLAIMS_PER_TRANSACTION``; on a conflict the
    chunks already taken are released. A retried claim by the same job succeeds. Returns the refs.
    """
    wanted = sorted(set(refs))
    taken: list[str] = []
    try:
        for chunk in _chunks(wanted, CLAIMS_PER_TRANSACTION):
            stale: dict[str, str] = {}
            for _attempt in range(ATTEMPTS):
                failed = _claim_chunk(account_id, task_id, function_name, chunk, stale)
                if not failed:
                    break
                busy = holders(account_id, failed, task_id)
                if busy:
                    raise busy[min(busy)].error()
                # The holders are over (or released meanwhile): take over what they still hold.
                for claim in batch_get(Claim, account_id, failed, consistent_read=True):
                    stale[claim.ref] = claim.task_id
            else:
                raise RecordBusy(f"{describe_claim(chunk[0])} is being changed by another job; try again")
            taken.extend(chunk)
    except BaseException:
        if taken:
            release(account_id, task_id)
        raise
    return wanted


def release(account_id: str, task_id: str) -> int:
    """Release every claim the job holds (those still its own); how many were released.

    Idempotent: a retried DONE or failure handler finds nothing left to release.
    """
    try:
        held = JobClaims.get(account_id, job_claims_ref(task_id), consistent_read=True)
    except JobClaims.DoesNotExist:
        return 0
    refs = sorted(held.refs or ())
    released = 0
    for chunk in _chunks(refs, 100):
        try:
            with TransactWrite(connection=connection()) as transaction:
                for ref in chunk:
                    transaction.delete(
                        Claim(account_id, ref),
                        condition=(Claim.task_id == task_id) | Claim.ref.does_not_exist(),
                    )
            released += len(chunk)
        except TransactWriteError:
            # One of them was taken over after it expired: release the others one by one.
            for ref in chunk:
                try:
                    Claim(account_id, ref).delete(condition=Claim.task_id == task_id)
                    released += 1
                except DeleteError as exc:
                    if getattr(exc, "cause_response_code", "") != "ConditionalCheckFailedException":
                        raise
    held.delete()
    return released


def release_job(job: Job) -> None:
    """Release the job's claims; never raises (a claim left behind expires, or is taken over
    once its job is finished), so a job's end is never failed by its release."""
    try:
        release(job.account_id, job.task_id)
    except Exception:  # noqa: BLE001 - logged; the claims expire
        logger.exception("could not release the job's claims", extra={"task_id": job.task_id})
