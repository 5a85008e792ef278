"""Job routes: follow an AI job, and the account's AI settings and prompts."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router

from shared.api.contract import invalid_fields
from shared.api.resolver import current_account, route
from shared.db.derived import index_key
from shared.db.engine_tables import JobStatus
from shared.db.models import AITaskLog, Job
from shared.db.repo import get_one, query_page
from shared.errors import NotFound
from shared.functions.registry import canonical_name, list_functions

router = Router()

#: The jobs list's cursor: the last job of a page, ``<created_at>~<task_id>`` (its place in the
#: newest-first order; created_at alone is not unique).
CURSOR_PATTERN = r"^[^~]{1,64}~[^~]{1,64}$"
Cursor = Annotated[
    str | None,
    Query(pattern=CURSOR_PATTERN, description="`next` of the previous page: where this page starts"),
]
#: A function by its registered name (the document lists them; a legacy alias is accepted too).
FunctionFilter = Annotated[
    str | None,
    Query(description="Only the jobs of this AI function", json_schema_extra={"enum": list_functions()}),
]
MAX_JOBS_PAGE = 200


def job_view(job: Job, with_history: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "task_id": job.task_id,
        "function": job.function_name,
        "status": job.status,
        "phase": job.phase,
        "progress": int(job.progress or 0),
        "message": job.message,
        "result": job.result,
        "error": job.error,
        "tokens": {
            "input": int(job.input_tokens or 0),
            "output": int(job.output_tokens or 0),
            "total": job.tokens,
        },
        "cost": float(job.cost or 0),
        "credits": int(job.credits or 0),
        "model": job.model,
        "offline": bool(job.offline),
        "items": {
            "total": int(job.items_total or 0),
            "done": int(job.items_done or 0),
            "failed": int(job.items_failed or 0),
        },
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }
    if with_history:
        view["history"] = list(job.history or [])
    return view


def job_source(account_id: str, function: str | None, status: str | None) -> tuple[Any, str]:
    """The index (and its partition) holding exactly the jobs of the filters, by creation time."""
    if function is not None and status is not None:
        return Job.by_function_status, index_key(account_id, function, status)
    if function is not None:
        return Job.by_function, index_key(account_id, function)
    if status is not None:
        return Job.by_status, index_key(account_id, status)
    return Job.by_created, account_id


@route(router, "GET", "/v1/jobs/")
def list_jobs(
    function: FunctionFilter = None,
    status: JobStatus | None = None,
    limit: int = 50,
    after: Cursor = None,
) -> dict[str, Any]:
    """The account's jobs, newest first, at most ``limit`` (1-200) a page; ``next`` is the
    ``after`` of the next page (null: no more). ``function`` (a name or alias) and ``status``
    select through an index each (both: one index of the pair), never by reading and dropping.
    """
    account_id = current_account(router)
    name = None
    if function is not None:
        name = canonical_name(function)
        if name not in list_functions():
            known = ", ".join(list_functions())
            raise invalid_fields([{"field": "function", "message": f"must be one of {known}"}])
    source, key = job_source(account_id, name, status)
    start = None
    if after is not None:
        created_at, task_id = after.split("~", 1)
        start = Job(account_id, task_id, created_at=created_at)
    size = min(max(limit, 1), MAX_JOBS_PAGE)
    jobs, more = query_page(source, key, size, start_after=start, newest_first=True)
    jobs = [j for j in jobs if j.account_id == account_id]
    cursor = f"{jobs[-1].created_at}~{jobs[-1].task_id}" if more and jobs else None
    return {"results": [job_view(j, with_history=False) for j in jobs], "next": cursor}


@route(router, "GET", "/v1/jobs/<task_id>")
def get_job(task_id: str) -> dict[str, Any]:
    job = get_one(Job, current_account(router), task_id)
    if job is None:
        raise NotFound(f"job {task_id} not found")
    return job_view(job)


@route(router, "GET", "/v1/jobs/<task_id>/log")
def get_task_log(task_id: str) -> dict[str, Any]:
    log = get_one(AITaskLog, current_account(router), task_id)
    if log is None:
        raise NotFound(f"no AITaskLog for job {task_id} (it is written when the job ends)")
    return {
        "task_id": log.task_id,
        "function_name": log.function_name,
        "phase": log.phase,
        "message": log.message,
        "status": log.status,
        "duration": float(log.duration or 0),
        "cost": float(log.cost or 0),
        "tokens": int(log.tokens or 0),
        "request_steps": log.request_steps,
        "response_steps": log.response_steps,
        "error": log.error,
        "payload": log.payload,
        "result": log.result,
        "created_at": log.created_at,
    }
