"""AIEngine (the seed's engine.py) and ``run_ai_task`` (the seed's tasks.py entry point).

``run_ai_task(function_name, payload, account_id)`` creates a job and executes it; the API
instead creates the job and starts the Step Functions state machine (``services.jobs``), which
runs the same phases one Lambda each. ``AIEngine.execute`` is the synchronous mode: the phases
in order in this process, with the state machine's stage loop, item isolation and failure
handling (the seed's ``execute``: INIT, PREP, AI_CALL, PARSE, SAVE, DONE).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from shared.db.models import Account, Job
from shared.engine import accounting, claims, store, unstarted
from shared.engine.failures import error_payload, handle_error, handle_item_failure
from shared.engine.phases import run_ai_call, run_done, run_init, run_parse, run_prep, run_save
from shared.engine.store import State, job_state
from shared.errors import AIProviderTransient, ItemFailed, RecordBusy
from shared.functions.base import BaseAIFunction
from shared.functions.registry import canonical_name, get_function_instance
from shared.observability import logger

#: Attempts of a phase that failed transiently (the state machine's Retry, in process).
SYNC_TRANSIENT_ATTEMPTS = 3


def create_job(
    account_id: str,
    function_name: str,
    payload: dict[str, Any],
    mode: str = "async",
    reserve: bool = False,
) -> Job:
    """A new pending job; the caller starts it (Step Functions or ``AIEngine.execute``).

    ``reserve``: the job's estimated credits are taken from the account's balance in the same
    write that stores it (InsufficientCredits, nothing stored, when the balance lacks them),
    and settled to the real charge when the job ends.

    The job claims the records it will change (``fn.claim_refs``) until it ends: a record
    another running job holds is a ``RecordBusy`` (409) naming that job, and nothing is kept
    (a job stored before it lost the claim race is discarded, its reservation returned).
    """
    name = canonical_name(function_name)
    fn = get_function_instance(name)  # unknown functions fail here, before anything is stored
    refs = fn.claim_refs(payload, account_id)
    try:
        claims.ensure_free(account_id, refs)  # the usual refusal: a read, nothing stored
    except RecordBusy:
        if reserve:  # 402 before 409, as the API checks them, also when a concurrent job won both
            _refuse_if_unaffordable(account_id, fn, payload)
        raise
    if reserve:
        job = store.new_job(account_id, name, payload, mode)
        job = accounting.insert_reserved_job(job, fn.estimate_credits(payload), fn.item_label)
    else:
        job = store.insert_job(account_id, name, payload, mode)
    if refs:
        try:
            claims.acquire(account_id, job.task_id, name, refs)
        except Exception:
            _discard(job)
            raise
    return job


def _refuse_if_unaffordable(account_id: str, fn: BaseAIFunction, payload: dict[str, Any]) -> None:
    try:
        account = Account.get(account_id, consistent_read=True)
    except Account.DoesNotExist:
        return
    needed, available = fn.estimate_credits(payload), int(account.credits or 0)
    if needed > available:
        raise accounting.not_enough_credits(needed, available, fn.item_label)


def _discard(job: Job) -> None:
    try:
        unstarted.discard(job)
    except Exception:  # noqa: BLE001 - the refusal is what the caller must see; the reaper ends the job
        logger.exception("could not discard a refused job", extra={"task_id": job.task_id})


def _with_transient_retry(phase: Callable[[State], State], state: State) -> State:
    for attempt in range(1, SYNC_TRANSIENT_ATTEMPTS + 1):
        try:
            return phase(state)
        except AIProviderTransient:
            if attempt == SYNC_TRANSIENT_ATTEMPTS:
                raise
            time.sleep(min(2**attempt, 8) * 0.05)
    raise AssertionError("unreachable")


class AIEngine:
    """Drives a job through the phases of every stage its function declares."""

    def execute(self, state: State) -> None:
        """Run an existing job to completion or failure, as the state machine does."""
        try:
            state = run_init(state)
            while state["stage"] < state["stages"]:
                prepared = run_prep(state)
                for key in prepared["items"]:
                    self._run_item({**store.ids(prepared), "stage": prepared["stage"], "item": key})
                state = {**prepared, "stage": prepared["stage"] + 1}
                state.pop("items")
            run_done(state)
        except Exception as exc:  # noqa: BLE001 - every job failure is recorded
            # An ItemFailed is resolved by handle_error from the failed item's own error and phase,
            # exactly as when the state machine's Map fails.
            handle_error({**state, "error": error_payload(exc)})

    @staticmethod
    def _run_item(item_state: State) -> None:
        try:
            _with_transient_retry(run_ai_call, item_state)
            run_parse(item_state)
            run_save(item_state)
        except Exception as exc:  # noqa: BLE001 - every item failure is recorded
            outcome = handle_item_failure({**item_state, "error": error_payload(exc)})
            if not outcome["isolated"]:
                raise ItemFailed(f"item {item_state['item']} failed") from exc

    def run(self, account_id: str, function_name: str, payload: dict[str, Any]) -> Job:
        """Create a job and execute it in this process; the finished Job record."""
        return self.run_job(create_job(account_id, function_name, payload, mode="sync"))

    def run_job(self, job: Job) -> Job:
        """Execute a created job in this process; the finished Job record."""
        unstarted.leave_index(job)  # started here: the reaper leaves it alone
        self.execute(job_state(job))
        return store.load_job(job.account_id, job.task_id)


def run_ai_task(function_name: str, payload: dict[str, Any], account_id: str) -> Job:
    """The seed's entry point: load the function, create the job, execute it (synchronously)."""
    return AIEngine().run(account_id, function_name, payload)


def run_sync(account_id: str, function_name: str, payload: dict[str, Any]) -> Job:
    """``run_ai_task`` with the arguments in the order the services and tests use."""
    return run_ai_task(function_name, payload, account_id)
