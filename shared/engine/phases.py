"""AIEngine: the six phases of every AI job (the seed's engine.py).

The seed's ``AIEngine.execute`` ran INIT -> PREP -> AI_CALL -> PARSE -> SAVE -> DONE in one
Celery task. Here each phase is a function that takes the small job state
(``task_id``, ``account_id``, ``function_name`` and, for item phases, ``item``) and returns it;
everything large (payload, prompts, answers, parsed results) lives in DynamoDB. The Step
Functions state machine calls one Lambda per phase (``statemachine/engine.asl.json``);
``run_sync`` calls the same functions in order in one process.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from shared.ai import validators
from shared.ai.ai_core import AICore, AIResult
from shared.ai.model_settings import (
    ModelConfig,
    call_budget_seconds,
    check_model_allowed,
    larger_max_tokens,
)
from shared.ai.providers import redact
from shared.ai.tracker import CostTracker, ProgressTracker, StepTracker, phase_percent
from shared.config import get_settings
from shared.db.base import bind_models, iso_now, utcnow
from shared.db.models import Account, AITaskLog, Job, JobItem
from shared.db.repo import get_account
from shared.engine import credits as credit_rules
from shared.engine.budget import check_job_budget, record_spend
from shared.errors import (
    AIProviderTransient,
    AIResponseRefused,
    AIResponseTruncated,
    EngineError,
    InputInvalid,
    ItemFailed,
    NotFound,
)
from shared.functions.base import BaseAIFunction
from shared.functions.registry import canonical_name, get_function_instance

log = logging.getLogger(__name__)

State = dict[str, Any]
ERROR_MESSAGE_LIMIT = 1000
#: Key added to the data save_output receives: stable across retries of one item's SAVE.
SAVE_KEY = "_save_key"
#: Usage phases: the AI call, and its one retry with a larger budget after a cut-off answer.
AI_PHASE = "AI_CALL"
AI_RETRY_PHASE = "AI_CALL_RETRY"


@dataclass
class JobContext:
    """What every phase needs, loaded from DynamoDB by the job state."""

    state: State
    account: Account
    job: Job
    fn: BaseAIFunction
    progress: ProgressTracker

    @property
    def job_ref(self) -> str:
        return f"{self.account.account_id}#{self.job.task_id}"


def _base_state(state: State) -> State:
    return {k: state[k] for k in ("task_id", "account_id", "function_name")}


def load_context(state: State) -> JobContext:
    missing = [k for k in ("task_id", "account_id", "function_name") if not state.get(k)]
    if missing:
        raise InputInvalid(f"job state lacks {', '.join(missing)}")
    bind_models()
    account = get_account(state["account_id"])
    if account is None:
        raise NotFound(f"account {state['account_id']} not found")
    try:
        job = Job.get(state["account_id"], state["task_id"])
    except Job.DoesNotExist:
        raise NotFound(f"job {state['task_id']} not found") from None
    fn = get_function_instance(job.function_name)
    return JobContext(state, account, job, fn, ProgressTracker(account.account_id, job.task_id))


def create_job(account_id: str, function_name: str, payload: dict[str, Any], mode: str = "async") -> Job:
    """A new pending job; the caller starts it (Step Functions or ``run_sync``)."""
    bind_models()
    name = canonical_name(function_name)
    get_function_instance(name)  # unknown functions fail here, before anything is stored
    job = Job(
        account_id,
        str(uuid.uuid4()),
        function_name=name,
        payload=payload,
        mode=mode,
        status="pending",
        phase="QUEUED",
        progress=0,
        message="Queued",
    )
    job.save()
    return job


def job_state(job: Job) -> State:
    return {"task_id": job.task_id, "account_id": job.account_id, "function_name": job.function_name}


# ---------------------------------------------------------------- phases
def run_init(state: State) -> State:
    """INIT (0-10%): validate the payload against the account's data."""
    ctx = load_context(state)
    now = iso_now()
    ctx.job.update(
        actions=[Job.status.set("running"), Job.started_at.set(now), Job.phase.set("INIT")],
        condition=Job.status.is_in("pending", "running"),
    )
    payload = dict(ctx.job.payload or {})
    validation = ctx.fn.validate(payload, ctx.account)
    validators.raise_if_invalid(validation)
    # The model and the budget are checked here, before any AI call.
    config = _model_config(ctx)
    check_model_allowed(config.model, ctx.account.account_id)
    check_job_budget(ctx.account, ctx.fn, payload, config)
    ctx.job.update(actions=[Job.model.set(config.model)])
    ctx.progress.update("INIT", phase_percent("INIT"), ctx.fn.init_message(ctx.job.payload, validation))
    return _base_state(state)


def _model_config(ctx: JobContext) -> ModelConfig:
    payload = dict(ctx.job.payload or {})
    return ctx.fn.model_config(ctx.account.account_id, payload.get("model"))


def run_prep(state: State) -> State:
    """PREP (10-25%): load the data and build one prompt per item."""
    ctx = load_context(state)
    _enter(ctx, "PREP")
    payload = dict(ctx.job.payload or {})
    data = ctx.fn.prepare(payload, ctx.account)
    items = ctx.fn.split_items(data)
    if not items:
        raise InputInvalid("nothing to process: the request selected no records")
    override = payload.get("prompt_override") or None
    records = []
    for position, (key, item_data) in enumerate(items):
        prompt = ctx.fn.build_prompt(item_data, ctx.account, override)
        records.append(JobItem(ctx.job_ref, key, position=position, data=item_data, prompt=prompt))
    with JobItem.batch_write() as batch:
        for record in records:
            batch.save(record)
    ctx.job.update(actions=[Job.items_total.set(len(records))])
    ctx.progress.update("PREP", phase_percent("PREP"), ctx.fn.prep_message(data))
    return {**_base_state(state), "items": [key for key, _ in items]}


def _load_item(ctx: JobContext) -> JobItem:
    key = ctx.state.get("item")
    if not key:
        raise InputInvalid("item phase called without an item")
    try:
        return JobItem.get(ctx.job_ref, str(key))
    except JobItem.DoesNotExist:
        raise NotFound(f"job item {key} not found") from None


def _enter(ctx: JobContext, phase: str, item: JobItem | None = None) -> None:
    """Record the phase now running, so a failure is reported in the phase it happened in."""
    if item is not None:
        item.update(actions=[JobItem.phase.set(phase)])
    else:
        ctx.job.update(actions=[Job.phase.set(phase)])


def _fraction(ctx: JobContext, item: JobItem) -> float:
    total = max(int(ctx.job.items_total or 1), 1)
    return (int(item.position or 0) + 1) / total


def run_ai_call(state: State) -> State:
    """AI_CALL (25-70%): send the item's prompt to the model, keep the answer and its usage.

    A refused answer, or one cut off at the token limit, is recorded (its tokens were spent)
    and fails the item; a cut-off answer is first retried once with a larger budget when the
    model allows one. Every answer's usage is recorded on the item, the job and the account's
    monthly counter.
    """
    ctx = load_context(state)
    item = _load_item(ctx)
    out = {**_base_state(state), "item": item.item}
    if item.status in ("ai_done", "parsed", "saved"):
        return out  # a retried state: the answer is already stored
    _enter(ctx, "AI_CALL", item)
    message = ctx.fn.ai_call_message()
    ctx.progress.update("AI_CALL", phase_percent("AI_CALL", 0), message)
    config = _model_config(ctx)
    steps = StepTracker()
    core = AICore(ctx.account.account_id)
    response_model = ctx.fn.response_model()
    deadline = time.monotonic() + call_budget_seconds()
    item_data = item.data or {}
    calls: list[tuple[str, AIResult]] = []

    def call(cfg: ModelConfig, phase: str) -> AIResult:
        result = core.run_ai_request(
            item.prompt or "",
            cfg,
            ctx.fn.get_name(),
            offline_answer=lambda: ctx.fn.offline_answer(item_data),
            step_tracker=steps,
            response_model=response_model,
            deadline=deadline,
        )
        calls.append((phase, result))
        return result

    bigger = larger_max_tokens(config)
    # An earlier attempt of this item was cut off and its retry never answered: retry now.
    resume = bigger is not None and any(u.get("finish_reason") == "length" for u in item.usage or [])
    try:
        if resume and bigger is not None:
            steps.add_request_step(
                "AI_RETRY", message=f"resuming the larger-budget retry: max_tokens={bigger}"
            )
            result = call(replace(config, max_tokens=bigger), AI_RETRY_PHASE)
        else:
            result = call(config, AI_PHASE)
            if result.finish_reason == "length" and not result.refusal and bigger is not None:
                steps.add_request_step(
                    "AI_RETRY",
                    message=f"answer cut off at max_tokens={config.max_tokens}; retrying once with {bigger}",
                )
                result = call(replace(config, max_tokens=bigger), AI_RETRY_PHASE)
    except Exception:
        _record_calls(ctx, item, calls, steps, accepted=False, quiet=True)
        raise
    problem = _answer_problem(result, retried=len(calls) > 1 or resume)
    _record_calls(ctx, item, calls, steps, accepted=problem is None)
    if problem is not None:
        raise problem
    ctx.progress.update("AI_CALL", phase_percent("AI_CALL", _fraction(ctx, item)), message)
    return out


def _answer_problem(result: AIResult, retried: bool) -> EngineError | None:
    """Why an answer must not be saved, or None."""
    if result.refusal:
        return AIResponseRefused(f"the model refused to answer: {result.refusal[:300]}; nothing was saved")
    if result.finish_reason == "content_filter":
        return AIResponseRefused("the provider's content filter stopped the answer; nothing was saved")
    if result.finish_reason == "length":
        if retried:
            return AIResponseTruncated(
                "the answer was cut off at the token limit (finish_reason 'length') even after a retry with "
                f"max_tokens={result.max_tokens}; nothing was saved. Select fewer records per job."
            )
        return AIResponseTruncated(
            "the answer was cut off at the token limit (finish_reason 'length', "
            f"max_tokens={result.max_tokens}, the most {result.model} allows here); nothing was saved. "
            "Select fewer records per job, or raise max_tokens in the account's AI settings."
        )
    return None


def _record_calls(
    ctx: JobContext,
    item: JobItem,
    calls: list[tuple[str, AIResult]],
    steps: StepTracker,
    accepted: bool,
    quiet: bool = False,
) -> None:
    """Store the answers' usage on the item, then add it to the job and the monthly counter.

    The item update is conditioned on the item still waiting for its answer, so a duplicate
    invocation cannot count the same answer twice.
    """
    try:
        actions: list[Any] = [
            JobItem.request_steps.set(list(item.request_steps or []) + steps.request_steps),
            JobItem.response_steps.set(list(item.response_steps or []) + steps.response_steps),
            JobItem.updated_at.set(iso_now()),
        ]
        if calls:
            last = calls[-1][1]
            actions += [
                JobItem.usage.set(list(item.usage or []) + [r.usage_record(phase) for phase, r in calls]),
                JobItem.input_tokens.set(int(item.input_tokens or 0) + sum(r.input_tokens for _, r in calls)),
                JobItem.output_tokens.set(
                    int(item.output_tokens or 0) + sum(r.output_tokens for _, r in calls)
                ),
                JobItem.cost.set(round(float(item.cost or 0) + sum(r.cost for _, r in calls), 8)),
                JobItem.response.set({"content": last.content, "refusal": last.refusal}),
                JobItem.model.set(last.model),
                JobItem.finish_reason.set(last.finish_reason or "stop"),
                JobItem.offline.set(last.offline),
            ]
        if accepted:
            actions.append(JobItem.status.set("ai_done"))
        try:
            item.update(actions=actions, condition=JobItem.status == "pending")
        except UpdateError as exc:
            if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
                log.warning("answer already recorded", extra={"task_id": ctx.job.task_id, "item": item.item})
                return
            raise
        if not calls:
            return
        cost = round(sum(r.cost for _, r in calls), 8)
        last = calls[-1][1]
        ctx.job.update(
            actions=[
                Job.input_tokens.add(sum(r.input_tokens for _, r in calls)),
                Job.output_tokens.add(sum(r.output_tokens for _, r in calls)),
                Job.cost.add(cost),
                Job.model.set(last.model),
                Job.offline.set(last.offline),
            ]
        )
        provider_calls = sum(1 for _, r in calls if not r.offline)
        if provider_calls:
            record_spend(ctx.account.account_id, cost, provider_calls)
    except Exception:
        if not quiet:
            raise
        log.exception("could not record the usage of a failed AI call", extra={"task_id": ctx.job.task_id})


def run_parse(state: State) -> State:
    """PARSE (70-85%): parse the answer and validate it against the function's response model."""
    ctx = load_context(state)
    item = _load_item(ctx)
    out = {**_base_state(state), "item": item.item}
    if item.status in ("parsed", "saved"):
        return out
    if item.status != "ai_done":
        raise InputInvalid(f"item {item.item} has no answer to parse (status {item.status})")
    _enter(ctx, "PARSE", item)
    content = (item.response or {}).get("content") or ""
    steps = StepTracker()
    # The function's own parser first (its messages name what is wrong in its terms), then the
    # answer is validated against the function's response model: nothing invalid reaches SAVE.
    parsed = ctx.fn.parse_response(content, steps)
    model = ctx.fn.response_model()
    if model is not None:
        from shared.ai.schemas import validate_answer

        validated = validate_answer(model, content)
        steps.add_response_step(
            "VALIDATE",
            message=f"answer matches {model.__name__}" if validated is not None else "plain-text answer",
        )
    item.update(
        actions=[
            JobItem.parsed.set(parsed),
            JobItem.status.set("parsed"),
            JobItem.response_steps.set(list(item.response_steps or []) + steps.response_steps),
            JobItem.updated_at.set(iso_now()),
        ]
    )
    ctx.progress.update("PARSE", phase_percent("PARSE", _fraction(ctx, item)), ctx.fn.parse_message(parsed))
    return out


def run_save(state: State) -> State:
    """SAVE (85-98%): persist the parsed answer and charge credits once.

    The ledger entry makes the charge exactly-once; the item's parsed -> saved transition makes
    the job's counters move once, however often SAVE is retried.
    """
    ctx = load_context(state)
    item = _load_item(ctx)
    out = {**_base_state(state), "item": item.item}
    if item.status == "saved":
        return out
    if item.status != "parsed":
        raise InputInvalid(f"item {item.item} has nothing parsed to save (status {item.status})")
    _enter(ctx, "SAVE", item)
    parsed = item.parsed
    ctx.progress.update("SAVE", phase_percent("SAVE", 0), ctx.fn.save_message(parsed))
    result = ctx.fn.save_output(
        parsed,
        {**(item.data or {}), SAVE_KEY: f"{ctx.job.task_id}#{item.item}"},
        ctx.account,
        ctx.progress,
        StepTracker(),
    )
    credits = ctx.fn.credits_for(item.data or {}, result)
    charged = charge_credits(ctx, item, credits)
    if not charged:
        entry = credit_rules.ledger_entry(ctx.account.account_id, ctx.job.task_id, item.item)
        credits = int(entry.credits) if entry is not None else credits
    try:
        item.update(
            actions=[
                JobItem.result.set(result),
                JobItem.status.set("saved"),
                JobItem.updated_at.set(iso_now()),
            ],
            condition=JobItem.status == "parsed",
        )
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
            return out  # saved by a concurrent invocation, which counted it
        raise
    ctx.job.update(actions=[Job.items_done.add(1), Job.credits.add(credits)])
    ctx.progress.update("SAVE", phase_percent("SAVE", _fraction(ctx, item)), ctx.fn.save_message(parsed))
    return out


def charge_credits(ctx: JobContext, item: JobItem, credits: int) -> bool:
    """Charge the item's credits once (ledger entry ``{task_id}#{item}``); False if already charged."""
    return credit_rules.charge(
        ctx.account.account_id, ctx.job.task_id, item.item, ctx.fn.get_name(), credits, float(item.cost or 0)
    )


def _items(ctx: JobContext) -> list[JobItem]:
    return sorted(JobItem.query(ctx.job_ref), key=lambda i: int(i.position or 0))


def run_done(state: State) -> State:
    """DONE (98-100%): aggregate the items, complete the job, write the AITaskLog."""
    ctx = load_context(state)
    _enter(ctx, "DONE")
    items = _items(ctx)
    saved = [i for i in items if i.status == "saved"]
    failed = [i for i in items if i.status == "failed"]
    if not saved:
        first = failed[0].error if failed else "no item was saved"
        raise ItemFailed(f"all {len(items)} item(s) failed; first error: {first}")
    result = ctx.fn.aggregate([dict(i.result or {}) for i in saved])
    result = {"success": True, "task_id": ctx.job.task_id, **result}
    result["items"] = {
        "total": len(items),
        "succeeded": len(saved),
        "failed": len(failed),
        "failures": [{"item": i.item, "error": i.error, "error_type": i.error_type} for i in failed],
    }
    if any(i.offline for i in items):
        result["offline"] = True
    message = ctx.fn.done_message(result)
    result["message"] = message
    usage = _settle_accounting(ctx, items)
    # Status, result and the DONE progress entry in one write: a poller never sees a completed
    # job without its final message.
    ctx.progress.update("DONE", 100, message, status="completed", result=result, finished_at=iso_now())
    _write_task_log(ctx, items, status="success", phase="DONE", message=message, result=result, usage=usage)
    return {**_base_state(state), "status": "completed"}


# ---------------------------------------------------------------- failures
def error_payload(exc: BaseException) -> dict[str, str]:
    """The ``{"Error", "Cause"}`` shape Step Functions gives a Catch, built from an exception."""
    cause = json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)})
    return {"Error": type(exc).__name__, "Cause": cause}


def describe_error(error: dict[str, Any] | None) -> tuple[str, str]:
    """(error type, readable message) from a Catch's ``{"Error", "Cause"}``."""
    error = error or {}
    name = str(error.get("Error") or "UnknownError")
    cause = error.get("Cause")
    message = ""
    if isinstance(cause, str) and cause:
        try:
            decoded = json.loads(cause)
            message = str(decoded.get("errorMessage") or "") if isinstance(decoded, dict) else cause
        except ValueError:
            message = cause
    if name == "States.Timeout" and not message:
        message = "the phase timed out"
    return name, redact(message or name)[:ERROR_MESSAGE_LIMIT]


def handle_item_failure(state: State) -> State:
    """Record one failed item; tell the state machine whether the other items go on."""
    ctx = load_context(state)
    item = _load_item(ctx)
    error_type, message = describe_error(state.get("error"))
    if item.status != "failed":
        item.update(
            actions=[
                JobItem.status.set("failed"),
                JobItem.error.set(message),
                JobItem.error_type.set(error_type),
                JobItem.updated_at.set(iso_now()),
            ]
        )
        ctx.job.update(actions=[Job.items_failed.add(1)])
        ctx.fn.on_item_failed(item.item, message, ctx.account)
    log.warning("item failed", extra={"task_id": ctx.job.task_id, "item": item.item, "error": message})
    return {**_base_state(state), "item": item.item, "isolated": ctx.fn.isolate_item_failures}


def handle_error(state: State) -> State:
    """The seed's ``_handle_error``: record the error, mark the job failed, write the AITaskLog."""
    ctx = load_context(state)
    error_type, message = describe_error(state.get("error"))
    items = _items(ctx)
    phase = ctx.job.phase if ctx.job.phase not in ("QUEUED", None) else "INIT"
    if error_type == "ItemFailed":
        failed = next((i for i in items if i.status == "failed"), None)
        if failed is not None:
            phase = failed.phase or phase
            if failed.error and failed.error not in message:
                error_type, message = failed.error_type or error_type, failed.error
    usage = _settle_accounting(ctx, items)
    now = iso_now()
    result = {"success": False, "task_id": ctx.job.task_id, "error": message, "error_type": error_type}
    ctx.job.update(
        actions=[
            Job.status.set("failed"),
            Job.phase.set(phase),
            Job.error.set(message),
            Job.error_type.set(error_type),
            Job.message.set(f"Failed during {phase}: {message}"),
            Job.result.set(result),
            Job.finished_at.set(now),
            Job.updated_at.set(now),
        ]
    )
    _write_task_log(
        ctx, items, status="error", phase=phase, message=message, result=result, error=message, usage=usage
    )
    log.error("job failed", extra={"task_id": ctx.job.task_id, "phase": phase, "error_type": error_type})
    return {**_base_state(state), "status": "failed", "error": message}


def _write_task_log(
    ctx: JobContext,
    items: list[JobItem],
    status: str,
    phase: str,
    message: str,
    result: dict[str, Any] | None,
    error: str | None = None,
    usage: dict[str, Any] | None = None,
) -> None:
    job = Job.get(ctx.account.account_id, ctx.job.task_id, consistent_read=True)  # fresh totals
    started = _parse_time(job.started_at or job.created_at)
    duration = max((utcnow() - started).total_seconds(), 0.0) if started else 0.0
    request_steps: list[dict[str, Any]] = []
    response_steps: list[dict[str, Any]] = []
    for item in items:
        request_steps.extend({**s, "item": item.item} for s in (item.request_steps or []))
        response_steps.extend({**s, "item": item.item} for s in (item.response_steps or []))
    AITaskLog(
        ctx.account.account_id,
        job.task_id,
        function_name=job.function_name,
        phase=phase,
        message=message[:ERROR_MESSAGE_LIMIT],
        status=status,
        duration=round(duration, 3),
        cost=float(job.cost or 0),
        tokens=job.tokens,
        credits=int(job.credits or 0),
        request_steps=request_steps,
        response_steps=response_steps,
        error=error,
        payload=dict(job.payload or {}),
        result={**(result or {}), "usage": usage} if usage is not None else result,
        expires_at=timedelta(days=get_settings().log_retention_days),
    ).save()


def _tracker_view(tracker: CostTracker) -> dict[str, Any]:
    return {
        "input_tokens": tracker.input_tokens,
        "output_tokens": tracker.output_tokens,
        "total_tokens": tracker.total_tokens,
        "cost": round(tracker.cost, 8),
        "calls": tracker.calls,
    }


def aggregate_usage(items: list[JobItem]) -> dict[str, Any]:
    """The job's token usage and cost: totals, per phase and per model (CostTracker totals)."""
    total = CostTracker()
    phases: dict[str, CostTracker] = {}
    models: dict[str, CostTracker] = {}
    calls = 0
    for item in items:
        total.record(int(item.input_tokens or 0), int(item.output_tokens or 0), float(item.cost or 0))
        records = list(item.usage or [])
        if not records and (item.input_tokens or item.output_tokens):  # recorded before usage lists
            records = [
                {
                    "phase": AI_PHASE,
                    "model": item.model or "unknown",
                    "input_tokens": int(item.input_tokens or 0),
                    "output_tokens": int(item.output_tokens or 0),
                    "cost": float(item.cost or 0),
                }
            ]
        for record in records:
            calls += 1
            tokens = (int(record.get("input_tokens") or 0), int(record.get("output_tokens") or 0))
            cost = float(record.get("cost") or 0)
            phases.setdefault(str(record.get("phase") or AI_PHASE), CostTracker()).record(*tokens, cost)
            models.setdefault(str(record.get("model") or "unknown"), CostTracker()).record(*tokens, cost)
    view: dict[str, Any] = _tracker_view(total)
    view["calls"] = calls
    view["phases"] = {name: _tracker_view(t) for name, t in phases.items()}
    view["models"] = {name: _tracker_view(t) for name, t in models.items()}
    return view


def _settle_accounting(ctx: JobContext, items: list[JobItem]) -> dict[str, Any]:
    """Set the job's final tokens, cost and credits from its items and the ledger.

    These are authoritative: the running totals added during the run could miss the share of an
    invocation that crashed between its writes.
    """
    usage = aggregate_usage(items)
    usage["credits"] = credit_rules.charged_credits(ctx.account.account_id, ctx.job.task_id)
    ctx.job.update(
        actions=[
            Job.input_tokens.set(usage["input_tokens"]),
            Job.output_tokens.set(usage["output_tokens"]),
            Job.cost.set(usage["cost"]),
            Job.credits.set(usage["credits"]),
            Job.usage.set(usage),
        ]
    )
    return usage


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# ---------------------------------------------------------------- synchronous mode
SYNC_TRANSIENT_ATTEMPTS = 3


def run_sync(account_id: str, function_name: str, payload: dict[str, Any]) -> Job:
    """Run a job in this process through the same phases (scripts, tests, the seed's sync mode)."""
    job = create_job(account_id, function_name, payload, mode="sync")
    execute(job_state(job))
    return Job.get(account_id, job.task_id)


def execute(state: State) -> None:
    """Drive an existing job through all phases, as the state machine does."""
    try:
        state = run_init(state)
        state = run_prep(state)
        for key in state["items"]:
            item_state = {**_base_state(state), "item": key}
            try:
                _with_transient_retry(run_ai_call, item_state)
                run_parse(item_state)
                run_save(item_state)
            except Exception as exc:  # noqa: BLE001 - every item failure is recorded
                outcome = handle_item_failure({**item_state, "error": error_payload(exc)})
                if not outcome["isolated"]:
                    raise ItemFailed(f"item {key} failed") from exc
        run_done(state)
    except Exception as exc:  # noqa: BLE001 - every job failure is recorded
        # An ItemFailed is resolved by handle_error from the failed item's own error and phase,
        # exactly as when the state machine's Map fails.
        handle_error({**_base_state(state), "error": error_payload(exc)})


def _with_transient_retry(phase: Any, state: State) -> State:
    for attempt in range(1, SYNC_TRANSIENT_ATTEMPTS + 1):
        try:
            return phase(state)  # type: ignore[no-any-return]
        except AIProviderTransient:
            if attempt == SYNC_TRANSIENT_ATTEMPTS:
                raise
            time.sleep(min(2**attempt, 8) * 0.05)
    raise AssertionError("unreachable")
