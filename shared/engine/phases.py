"""The six phases of every AI job (the seed's ``AIEngine.execute``, one function per phase).

Each phase takes the small job state, loads its context (``context.load_context``), calls the
function's hook for the running stage, writes through the job store and the accounting, reports
progress, and returns the small state. The Step Functions state machine runs one Lambda per
phase (``statemachine/engine.asl.json``); ``AIEngine.execute`` runs them in order in one process.

INIT once; then per stage PREP and, per item, AI_CALL -> PARSE -> SAVE; then DONE once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.ai import validators
from shared.ai.model_settings import check_model_allowed
from shared.ai.tracker import StepTracker
from shared.db.base import iso_now
from shared.db.models import JobItem
from shared.engine import accounting, claims, events, store
from shared.engine.calls import ItemCall, answer_problem, record_calls
from shared.engine.context import JobContext, load_context
from shared.engine.failures import write_task_log
from shared.engine.store import State
from shared.errors import InputInvalid, ItemFailed
from shared.observability import logger, tracer

#: Key added to the data save_output receives: stable across retries of one item's SAVE.
SAVE_KEY = "_save_key"


def run_init(state: State) -> State:
    """INIT (0-10%): validate the payload against the account's data, check model and budget."""
    ctx = load_context(state)
    store.mark_running(ctx.job)
    validation = ctx.fn.validate(ctx.payload, ctx.account)
    validators.raise_if_invalid(validation)
    config = ctx.model_config()
    check_model_allowed(config.model, ctx.account.account_id)
    # A job holding a reservation has its credits already; only the monthly budget is checked.
    reserved = ctx.job.reserved_credits is not None
    accounting.check_job_budget(ctx.account, ctx.fn, ctx.payload, config, check_credits=not reserved)
    store.set_model(ctx.job, config.model)
    ctx.progress.update("INIT", ctx.percent("INIT"), ctx.fn.init_message(ctx.payload, validation))
    return {**ctx.base_state(), "stage": 0, "stages": len(ctx.stages)}


def _earlier_results(ctx: JobContext) -> tuple[int, dict[str, list[dict[str, Any]]]]:
    """(items of the earlier stages, their save results by stage)."""
    if ctx.stage_index == 0:
        return 0, {}
    earlier = store.items(ctx.job_ref)
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in ctx.stages[: ctx.stage_index]}
    for item in earlier:
        stage = store.item_stage(item, ctx.stages)
        if stage in results and item.status == "saved":
            results[stage].append(dict(item.result or {}))
    return len(earlier), results


def run_prep(state: State) -> State:
    """PREP (10-25%): load the stage's data and build one prompt per item."""
    ctx = load_context(state)
    store.enter_phase(ctx.job, "PREP")
    offset, earlier = _earlier_results(ctx)
    stage = ctx.stage
    data = ctx.fn.stage_prepare(stage, ctx.payload, ctx.account, earlier)
    split = ctx.fn.stage_split_items(stage, data)
    if not split and ctx.stage_index == 0:
        raise InputInvalid("nothing to process: the request selected no records")
    override = ctx.payload.get("prompt_override") or None
    records = []
    for position, (key, item_data) in enumerate(split):
        prompt = ctx.fn.stage_build_prompt(stage, item_data, ctx.account, override)
        full_key = store.item_key(stage, key, ctx.multi_stage)
        records.append(store.new_item(ctx.job_ref, full_key, offset + position, item_data, prompt))
    with tracer.provider.in_subsegment("## put job items") as segment:
        segment.put_metadata("items", len(records))
        store.put_items(records)
    store.set_items_total(ctx.job, offset + len(records))
    ctx.report("PREP", 1.0, ctx.fn.stage_message(stage, "PREP", data))
    return {**ctx.base_state(), "stages": len(ctx.stages), "items": [r.item for r in records]}


def _item_fraction(ctx: JobContext, item: JobItem) -> float:
    """How far the running stage is once ``item`` is through its phase.

    Positions run on across stages and ``items_total`` counts the items of the stages prepared
    so far, so the running stage's items are the last ``count`` positions.
    """
    total = max(int(ctx.job.items_total or 0), 1)
    count = total
    if ctx.multi_stage:
        # The Map passes the stage's item count (``stage_items``); without it, one COUNT Query.
        given = ctx.state.get("stage_items")
        count = int(given) if given else store.count_items(ctx.job_ref, ctx.stage)
    return (int(item.position or 0) - (total - count) + 1) / max(count, 1)


def _item_state(ctx: JobContext, item: JobItem) -> State:
    """The state an item phase returns: ids, the item, and the stage's item count if given."""
    out = {**ctx.base_state(), "item": item.item}
    if ctx.state.get("stage_items"):
        out["stage_items"] = int(ctx.state["stage_items"])
    return out


def _item(ctx: JobContext) -> JobItem:
    return store.load_item(ctx.job_ref, ctx.state.get("item"))


def run_ai_call(state: State) -> State:
    """AI_CALL (25-70%): make the item's call, keep the answer and its usage.

    A refused answer, or one cut off at the token limit, is recorded (its tokens were spent)
    and fails the item; a cut-off chat answer is first retried once with a larger budget when
    the model allows one. Every provider answer's usage is recorded on the item, the job and
    the account's monthly counter.
    """
    ctx = load_context(state)
    item = _item(ctx)
    out = _item_state(ctx, item)
    if item.status in ("ai_done", "parsed", "saved"):
        return out  # a retried state: the answer is already stored
    store.enter_item_phase(item, "AI_CALL")
    message = ctx.fn.stage_message(ctx.stage, "AI_CALL")
    ctx.report("AI_CALL", 0.0, message)
    ai = ItemCall(
        ctx.account.account_id,
        ctx.fn.get_name(),
        ctx.model_config(),
        ctx.stage_label,
        item.usage or [],
        task_id=ctx.job.task_id,
    )
    try:
        with tracer.provider.in_subsegment("## AI call") as segment:
            segment.put_annotation("function_name", ctx.fn.get_name())
            result = ctx.fn.stage_call(ctx.stage, item.data or {}, item.prompt or "", ai)
    except Exception:
        last = ai.calls[-1][1] if ai.calls else None
        try:
            record_calls(ctx.job, item, ai, last, accepted=False)
        except Exception:  # noqa: BLE001 - the call's own error is the one to report
            logger.exception("could not record the usage of a failed AI call")
        raise
    problem = answer_problem(result, ai.retried)
    record_calls(ctx.job, item, ai, result, accepted=problem is None)
    if problem is not None:
        raise problem
    ctx.report("AI_CALL", _item_fraction(ctx, item), message)
    return out


def run_parse(state: State) -> State:
    """PARSE (70-85%): parse the answer and validate it against the stage's response model."""
    ctx = load_context(state)
    item = _item(ctx)
    out = _item_state(ctx, item)
    if item.status in ("parsed", "saved"):
        return out
    if item.status != "ai_done":
        raise InputInvalid(f"item {item.item} has no answer to parse (status {item.status})")
    store.enter_item_phase(item, "PARSE")
    content = (item.response or {}).get("content") or ""
    steps = StepTracker()
    # The function's own parser first (its messages name what is wrong in its terms), then the
    # answer is validated against the stage's response model: nothing invalid reaches SAVE.
    parsed = ctx.fn.stage_parse_response(ctx.stage, content, steps)
    model = ctx.fn.stage_response_model(ctx.stage)
    if model is not None:
        validated = model.validate_answer(content)
        steps.add_response_step(
            "VALIDATE",
            message=f"answer matches {model.__name__}" if validated is not None else "plain-text answer",
        )
    store.mark_parsed(item, parsed, steps.response_steps)
    ctx.report("PARSE", _item_fraction(ctx, item), ctx.fn.stage_message(ctx.stage, "PARSE", parsed))
    return out


def run_save(state: State) -> State:
    """SAVE (85-98%): persist the parsed answer and charge credits once.

    The ledger entry makes the charge exactly-once; the item's parsed -> saved transition makes
    the job's counters move once, however often SAVE is retried.
    """
    ctx = load_context(state)
    item = _item(ctx)
    out = _item_state(ctx, item)
    if item.status == "saved":
        return out
    if item.status != "parsed":
        raise InputInvalid(f"item {item.item} has nothing parsed to save (status {item.status})")
    store.enter_item_phase(item, "SAVE")
    stage, parsed = ctx.stage, item.parsed
    ctx.report("SAVE", 0.0, ctx.fn.stage_message(stage, "SAVE", parsed))
    data = {**(item.data or {}), SAVE_KEY: f"{ctx.job.task_id}#{item.item}"}
    result = ctx.fn.stage_save_output(stage, parsed, data, ctx.account, ctx.progress, StepTracker())
    credits = ctx.fn.stage_credits_for(stage, item.data or {}, result)
    credits = accounting.charge_item(ctx.job, item, ctx.fn.get_name(), credits)
    if not store.mark_saved(item, result):
        return out  # saved by a concurrent invocation, which counted it
    store.count_saved(ctx.job, credits)
    ctx.report("SAVE", _item_fraction(ctx, item), ctx.fn.stage_message(stage, "SAVE", parsed))
    return out


def _results_by_stage(ctx: JobContext, items: list[JobItem]) -> Mapping[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in ctx.stages}
    for item in items:
        if item.status == "saved":
            results.setdefault(store.item_stage(item, ctx.stages), []).append(dict(item.result or {}))
    return results


def run_done(state: State) -> State:
    """DONE (98-100%): aggregate the items of every stage, complete the job, write the AITaskLog."""
    ctx = load_context(state)
    store.enter_phase(ctx.job, "DONE")
    items = store.items(ctx.job_ref)
    saved = [i for i in items if i.status == "saved"]
    failed = [i for i in items if i.status == "failed"]
    if not saved:
        first = failed[0].error if failed else "no item was saved"
        raise ItemFailed(f"all {len(items)} item(s) failed; first error: {first}")
    result = {
        "success": True,
        "task_id": ctx.job.task_id,
        **ctx.fn.stage_aggregate(_results_by_stage(ctx, items)),
    }
    result["items"] = {
        "total": len(items),
        "succeeded": len(saved),
        "failed": len(failed),
        "failures": [{"item": i.item, "error": i.error, "error_type": i.error_type} for i in failed],
    }
    if ctx.multi_stage:
        result["stages"] = list(ctx.stages)
    if any(i.offline for i in items):
        result["offline"] = True
    message = ctx.fn.done_message(result)
    result["message"] = message
    usage = accounting.settle(ctx.job, items)
    # Status, result and the DONE progress entry in one write: a poller never sees a completed
    # job without its final message.
    ctx.progress.update("DONE", 100, message, status="completed", result=result, finished_at=iso_now())
    write_task_log(
        ctx.job, items, status="success", phase="DONE", message=message, result=result, usage=usage
    )
    claims.release_job(ctx.job)  # the job's records are free for the next job (never raises)
    events.publish_job_end(ctx.job)  # "Job Succeeded" on the bus (never fails the job)
    return {**ctx.base_state(), "status": "completed"}
