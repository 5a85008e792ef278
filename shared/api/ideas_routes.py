"""Idea routes: generate ideas for clusters (seed §3.2), list and read ideas."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router
from pydantic import Field

from shared.api.models import UNIQUE, Id, IdsRequest
from shared.api.resolver import current_account, job_started, route
from shared.db.planner_tables import IdeaStatus
from shared.services.content_plan import get_idea, idea_view, list_ideas
from shared.services.jobs import start_job

router = Router()
Limit = Annotated[int, Query(ge=1, le=500)]


class GenerateIdeasRequest(IdsRequest):
    """``ids``: cluster ids, at most 10 (checked by the function, so that more is a clear 400)."""

    ids: list[Id] = Field(
        min_length=1,
        max_length=10_000,
        description="Cluster ids",
        json_schema_extra=UNIQUE | {"maxItems": 10},
    )


@route(router, "POST", "/v1/planner/clusters/auto_generate_ideas/", status=202, also=(402, 404, 409))
def auto_generate_ideas(body: GenerateIdeasRequest) -> Any:
    # start_job validates first: more than 10 clusters is a 400, unknown clusters a 404.
    job = start_job(current_account(router), "generate_ideas", body.model_dump())
    return job_started(job.task_id, f"Generating ideas for {len(body.ids)} cluster(s)")


@route(router, "GET", "/v1/planner/ideas/")
def list_ideas_route(
    cluster_id: int | None = None,
    status: IdeaStatus | None = None,
    limit: Limit = 100,
    after: int | None = None,
) -> dict[str, Any]:
    """The account's ideas by id (``next``: the ``after`` of the next page; null: no more)."""
    ideas, next_after = list_ideas(current_account(router), cluster_id, status, limit=limit, after=after)
    return {"results": [idea_view(i) for i in ideas], "next": next_after}


@route(router, "GET", "/v1/planner/ideas/<idea_id>/")
def get_idea_route(idea_id: int) -> dict[str, Any]:
    return idea_view(get_idea(current_account(router), idea_id))
