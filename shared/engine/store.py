"""The job store: every read and write of ``Job`` and ``JobItem`` rows, and the ProgressTracker.

A job is one ``Job`` row (status, phase, progress, counters, result) and one ``JobItem`` row per
unit of AI work (its data, prompt, answer, parsed result and usage). Nothing else in the
project writes these rows: the phases, the accounting, the failure handler and the API's job
start call the functions here.

Item keys: a single-stage job keys its items as the function split them (``"all"``, a writer
task id); a job with several stages prefixes each key with its stage (``"embed#3"``), so the
items of a stage share a key prefix.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from pynamodb.exceptions import UpdateError

from shared.ai.tracker import PHASE_RANGES, phase_percent
from shared.db.base import iso_now
from shared.db.models import Job, JobItem
from shared.db.repo import batch_save
from shared.errors import InputInvalid, NotFound
from shared.observability import logger

State = dict[str, Any]
#: The ids every state carries (with ``stage``, and ``item`` in item phases).
IDS = ("task_id", "account_id", "function_name")
STAGE_SEPARATOR = "#"


def ids(state: State) -> State:
    return {k: state[k] for k in IDS}


# ---------------------------------------------------------------- jobs
def insert_job(account_id: str, function_name: str, payload: dict[str, Any], mode: str) -> Job:
    """A new pending job (the caller has checked the function exists)."""
    job = new_job(account_id, function_name, payload, mode)
    job.save()
    return job


def new_job(account_id: str, function_name: str, payload: dict[str, Any], mode: str) -> Job:
    """A new pending job, not yet stored."""
    return Job(
        account_id,
        str(uuid.uuid4()),
        function_name=function_name,
        payload=payload,
        mode=mode,
        status="pending",
        phase="QUEUED",
        progress=0,
        message="Queued",
    )


def job_state(job: Job) -> State:
    """The state a job starts with: ids only, at its first stage."""
    return {
        "task_id": job.task_id,
        "account_id": job.account_id,
        "function_name": job.function_name,
        "stage": 0,
    }


def load_job(account_id: str, task_id: str, consistent: bool = False) -> Job:
    try:
        return Job.get(account_id, task_id, consistent_read=consistent)
    except Job.DoesNotExist:
        raise NotFound(f"job {task_id} not found") from None


def job_ref(job: Job) -> str:
    return f"{job.account_id}#{job.task_id}"


def mark_running(job: Job) -> None:
    """INIT: pending -> running (a retried INIT finds it running already)."""
    job.update(
        actions=[Job.status.set("running"), Job.started_at.set(iso_now()), Job.phase.set("INIT")],
        condition=Job.status.is_in("pending", "running"),
    )


def set_model(job: Job, model: str) -> None:
    job.update(actions=[Job.model.set(model)])


def enter_phase(job: Job, phase: str) -> None:
    """Record the job phase now running, so a failure is reported in the phase it happened in."""
    job.update(actions=[Job.phase.set(phase)])


def set_items_total(job: Job, total: int) -> None:
    job.update(actions=[Job.items_total.set(total)])


def add_usage(
    job: Job, input_tokens: int, output_tokens: int, cost: float, model: str, offline: bool
) -> None:
    """Running totals of a job's AI calls (settled from the items at the end)."""
    job.update(
        actions=[
            Job.input_tokens.add(input_tokens),
            Job.output_tokens.add(output_tokens),
            Job.cost.add(cost),
            Job.model.set(model),
            Job.offline.set(offline),
        ]
    )


def count_saved(job: Job, credits: int) -> None:
    job.update(actions=[Job.items_done.add(1), Job.credits.add(credits)])


def count_failed(job: Job) -> None:
    job.update(actions=[Job.items_failed.add(1)])


def set_accounting(job: Job, usage: dict[str, Any]) -> None:
    """The job's authoritative tokens, cost and credits (from its items and the ledger)."""
    job.update(
        actions=[
            Job.input_tokens.set(usage["input_tokens"]),
            Job.output_tokens.set(usage["output_tokens"]),
            Job.cost.set(usage["cost"]),
            Job.credits.set(usage["credits"]),
            Job.usage.set(usage),
        ]
    )


def mark_failed(
    job: Job, phase: str, error_type: str, message: str, result: dict[str, Any], summary: str
) -> None:
    now = iso_now()
    job.update(
        actions=[
            Job.status.set("failed"),
            Job.phase.set(phase),
            Job.error.set(message),
            Job.error_type.set(error_type),
            Job.message.set(summary),
            Job.result.set(result),
            Job.finished_at.set(now),
            Job.updated_at.set(now),
        ]
    )


# ---------------------------------------------------------------- items
def item_key(stage: str, key: str, multi_stage: bool) -> str:
    return f"{stage}{STAGE_SEPARATOR}{key}" if multi_stage else key


def item_stage(item: JobItem, stages: tuple[str, ...]) -> str:
    """The stage an item belongs to (from its key when the job has several stages)."""
    if len(stages) == 1:
        return stages[0]
    return str(item.item).split(STAGE_SEPARATOR, 1)[0]


def new_item(ref: str, key: str, position: int, data: dict[str, Any], prompt: str) -> JobItem:
    return JobItem(ref, key, position=position, data=data, prompt=prompt)


def put_items(records: Iterable[JobItem]) -> int:
    """Write a stage's items in BatchWriteItem requests (nothing left unprocessed)."""
    return batch_save(records)


def load_item(ref: str, key: str | None) -> JobItem:
    if not key:
        raise InputInvalid("item phase called without an item")
    try:
        return JobItem.get(ref, str(key))
    except JobItem.DoesNotExist:
        raise NotFound(f"job item {key} not found") from None


def items(ref: str) -> list[JobItem]:
    """A job's items, in order (across stages)."""
    return sorted(JobItem.query(ref), key=lambda i: int(i.position or 0))


def count_items(ref: str, stage: str) -> int:
    """How many items one stage of a multi-stage job has (a COUNT query: no item is read out)."""
    return int(JobItem.count(ref, JobItem.item.startswith(f"{stage}{STAGE_SEPARATOR}")))


def enter_item_phase(item: JobItem, phase: str) -> None:
    item.update(actions=[JobItem.phase.set(phase)])


def _conditional(item: JobItem, actions: list[Any], condition: Any) -> bool:
    """An update that only applies in the expected status; False if another invocation did it."""
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def record_answer(
    item: JobItem,
    steps: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    usage: list[dict[str, Any]],
    answer: dict[str, Any] | None,
    accepted: bool,
) -> bool:
    """Store an item's answer (``{content, refusal, model, finish_reason, offline}``) and usage.

    Conditioned on the item still waiting for its answer, so a duplicate invocation cannot
    count the same answer twice: False then.
    """
    request_steps, response_steps = steps
    actions: list[Any] = [
        JobItem.request_steps.set(list(item.request_steps or []) + request_steps),
        JobItem.response_steps.set(list(item.response_steps or []) + response_steps),
        JobItem.updated_at.set(iso_now()),
    ]
    if usage:
        actions += [
            JobItem.usage.set(list(item.usage or []) + usage),
            JobItem.input_tokens.set(
                int(item.input_tokens or 0) + sum(int(u["input_tokens"]) for u in usage)
            ),
            JobItem.output_tokens.set(
                int(item.output_tokens or 0) + sum(int(u["output_tokens"]) for u in usage)
            ),
            JobItem.cost.set(round(float(item.cost or 0) + sum(float(u["cost"]) for u in usage), 8)),
        ]
    if answer is not None:
        actions += [
            JobItem.response.set({"content": answer["content"], "refusal": answer.get("refusal")}),
            JobItem.model.set(answer["model"]),
            JobItem.finish_reason.set(answer.get("finish_reason") or "stop"),
            JobItem.offline.set(bool(answer.get("offline"))),
        ]
    if accepted:
        actions.append(JobItem.status.set("ai_done"))
    return _conditional(item, actions, JobItem.status == "pending")


def mark_parsed(item: JobItem, parsed: Any, response_steps: list[dict[str, Any]]) -> None:
    item.update(
        actions=[
            JobItem.parsed.set(parsed),
            JobItem.status.set("parsed"),
            JobItem.response_steps.set(list(item.response_steps or []) + response_steps),
            JobItem.updated_at.set(iso_now()),
        ]
    )


def mark_saved(item: JobItem, result: dict[str, Any]) -> bool:
    """parsed -> saved; False when a concurrent invocation saved it (and counted it) first."""
    actions = [JobItem.result.set(result), JobItem.status.set("saved"), JobItem.updated_at.set(iso_now())]
    return _conditional(item, actions, JobItem.status == "parsed")


def mark_item_failed(item: JobItem, error_type: str, message: str) -> None:
    item.update(
        actions=[
            JobItem.status.set("failed"),
            JobItem.error.set(message),
            JobItem.error_type.set(error_type),
            JobItem.updated_at.set(iso_now()),
        ]
    )


# ---------------------------------------------------------------- progress
def stage_percent(phase: str, fraction: float, stage: int, stages: int) -> int:
    """Percent of the job at ``fraction`` of ``phase`` in stage ``stage`` of ``stages``.

    One stage: the seed's ranges (``phase_percent``). Several: each stage gets an equal slice
    of PREP's end .. SAVE's end (25-98) with the seed's proportions inside it, so progress only
    moves forward from stage to stage.
    """
    if stages <= 1 or phase in ("INIT", "DONE"):
        return phase_percent(phase, fraction)
    low, high = PHASE_RANGES["PREP"][1], PHASE_RANGES["SAVE"][1]
    slice_start = low + (high - low) * stage / stages
    if phase == "PREP":
        return int(round(slice_start))
    start, end = (slice_start + (bound - low) / stages for bound in PHASE_RANGES[phase])
    return int(round(start + (end - start) * min(max(fraction, 0.0), 1.0)))


class ProgressTracker:
    """Writes phase, percent and message to the job record; percent and history never go backwards.

    ``stage`` (jobs with several stages) is added to the history entry.
    """

    def __init__(self, account_id: str, task_id: str) -> None:
        self.account_id = account_id
        self.task_id = task_id

    def update(self, phase: str, percent: int, message: str, stage: str | None = None, **extra: Any) -> None:
        job = Job(self.account_id, self.task_id)
        entry: dict[str, Any] = {"phase": phase, "progress": percent, "message": message, "at": iso_now()}
        if stage is not None:
            entry["stage"] = stage
        actions: list[Any] = [Job.updated_at.set(str(entry["at"]))]
        for name, value in extra.items():
            actions.append(getattr(Job, name).set(value))
        try:
            job.update(
                actions=[
                    *actions,
                    Job.history.set((Job.history | []).append([entry])),  # type: ignore[arg-type]
                    Job.phase.set(phase),
                    Job.progress.set(percent),
                    Job.message.set(message),
                ],
                condition=Job.progress <= percent,
            )
        except UpdateError as exc:
            if getattr(exc, "cause_response_code", "") != "ConditionalCheckFailedException":
                raise
            # Another item already moved the job further on: the job's progress and history
            # stay monotonic; this item's own phase is on its JobItem.
            if extra:
                job.update(actions=actions)
        logger.info("progress", extra={"phase": phase, "progress": percent, "stage": stage})
