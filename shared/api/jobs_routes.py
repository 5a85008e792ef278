"""Job routes: follow an AI job, and the account's AI settings and prompts."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import Router

from shared.api.resolver import current_account, route
from shared.db.models import AITaskLog, Job
from shared.db.repo import get_one, page_account
from shared.errors import NotFound

router = Router()


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


@route(router, "GET", "/v1/jobs/")
def list_jobs(limit: int = 50, after: str | None = None) -> dict[str, Any]:
    """The account's jobs, newest first within the page.

    The jobs table is keyed by task id (a UUID), so pages follow task ids (``next`` is the last
    task id of the page) and only each page is sorted by ``created_at``; an index on
    (account_id, created_at) would make the whole list newest first.
    """
    jobs, next_after = page_account(Job, current_account(router), limit=min(max(limit, 1), 200), after=after)
    jobs = sorted(jobs, key=lambda j: (j.created_at or "", j.task_id), reverse=True)
    return {"results": [job_view(j, with_history=False) for j in jobs], "next": next_after}


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
