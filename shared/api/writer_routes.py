"""Writer routes: tasks from ideas, generate content (seed §4.2), read tasks and articles."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router
from pydantic import Field, field_validator

from shared.api.models import UNIQUE, Body, Id, IdsRequest
from shared.api.resolver import current_account, job_started, json_response, route
from shared.db.writer_tables import ContentStatus, TaskStatus
from shared.errors import NotFound
from shared.services.content_plan import (
    content_view,
    get_content,
    get_task,
    list_content,
    list_tasks,
    queue_ideas,
    task_view,
)
from shared.services.jobs import start_job

router = Router()
Limit = Annotated[int, Query(ge=1, le=500)]


class CreateTasksRequest(Body):
    idea_ids: list[Id] = Field(
        min_length=1, max_length=10_000, description="Idea ids", json_schema_extra=UNIQUE | {"maxItems": 100}
    )

    @field_validator("idea_ids")
    @classmethod
    def _unique(cls, ids: list[int]) -> list[int]:
        if len(set(ids)) != len(ids):
            raise ValueError("idea_ids contains duplicates")
        return ids


class GenerateContentRequest(IdsRequest):
    """``ids``: writer task ids, at most 50 (checked by the function, so that more is a clear 400)."""

    ids: list[Id] = Field(
        min_length=1,
        max_length=10_000,
        description="Writer task ids",
        json_schema_extra=UNIQUE | {"maxItems": 50},
    )


# ---------------------------------------------------------------- tasks
@route(router, "POST", "/v1/writer/tasks/", status=201, also=(200, 404, 409))
def create_tasks(body: CreateTasksRequest) -> Any:
    """One task per idea; an idea that already has a task keeps it (reported under ``existing``)."""
    result = queue_ideas(current_account(router), body.idea_ids)
    status = 201 if result.created else 200
    return json_response(
        status,
        {
            "created": len(result.created),
            "existing": result.existing,
            "results": [task_view(t) for t in result.tasks],
        },
    )


@route(router, "GET", "/v1/writer/tasks/")
def list_tasks_route(
    status: TaskStatus | None = None,
    cluster_id: int | None = None,
    limit: Limit = 100,
    after: int | None = None,
) -> dict[str, Any]:
    """The account's writer tasks by id (``next``: the ``after`` of the next page; null: no more)."""
    tasks, next_after = list_tasks(current_account(router), status, cluster_id, limit=limit, after=after)
    return {"results": [task_view(t) for t in tasks], "next": next_after}


@route(router, "GET", "/v1/writer/tasks/<task_id>/")
def get_task_route(task_id: int) -> dict[str, Any]:
    account_id = current_account(router)
    view = task_view(get_task(account_id, task_id))
    try:
        view["content"] = content_view(get_content(account_id, task_id))
    except NotFound:
        view["content"] = None
    return view


@route(router, "POST", "/v1/writer/tasks/auto_generate_content/", status=202, also=(402, 404, 409))
def auto_generate_content(body: GenerateContentRequest) -> Any:
    # start_job validates first: more than 50 tasks is a 400, unknown tasks a 404.
    job = start_job(current_account(router), "generate_content", body.model_dump())
    return job_started(job.task_id, f"Writing {len(body.ids)} article(s)")


# ---------------------------------------------------------------- content
@route(router, "GET", "/v1/writer/content/")
def list_content_route(
    status: ContentStatus | None = None,
    cluster_id: int | None = None,
    limit: Limit = 100,
    after: int | None = None,
) -> dict[str, Any]:
    """The account's articles by task id, without their HTML (``next``: the ``after`` of the next page)."""
    rows, next_after = list_content(current_account(router), status, cluster_id, limit=limit, after=after)
    return {"results": [content_view(c) for c in rows], "next": next_after}


@route(router, "GET", "/v1/writer/content/<task_id>/")
def get_content_route(task_id: int) -> dict[str, Any]:
    return content_view(get_content(current_account(router), task_id), with_html=True)
