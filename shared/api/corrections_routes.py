"""Corrections by hand: rename, merge and delete clusters; move and delete keywords; delete ideas,
writer tasks and articles; read one site or sector.

A correction that conflicts with the records (a name another cluster has, a cluster with ideas,
a record a running job has claimed, records of another site/sector) is a 409 whose message says
what to do; ids not in the caller's account are 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router

from shared.api.corrections_models import ClusterPatch, KeywordIds, MergeClustersRequest, MoveKeywordsRequest
from shared.api.planner_routes import cluster_view
from shared.api.resolver import current_account, route
from shared.services import corrections, corrections_writer, keyword_corrections
from shared.services.content_plan import content_view, idea_view, task_view
from shared.services.keywords import keyword_view
from shared.services.scope_views import sector_view, site_view

router = Router()
Force = Annotated[bool, Query(description="Also when it has dependent records (see the route)")]


# ---------------------------------------------------------------- sites and sectors
@route(router, "GET", "/v1/planner/sites/<site_id>/", summary="One site, with its sectors and counts")
def get_site(site_id: int) -> dict[str, Any]:
    return site_view(current_account(router), site_id)


@route(router, "GET", "/v1/planner/sectors/<sector_id>/", summary="One sector, with its counts")
def get_sector(sector_id: int) -> dict[str, Any]:
    return sector_view(current_account(router), sector_id)


# ---------------------------------------------------------------- clusters
@route(router, "PATCH", "/v1/planner/clusters/<cluster_id>/", also=(409,), summary="Rename a cluster")
def patch_cluster(cluster_id: int, body: ClusterPatch) -> dict[str, Any]:
    """The name is unique within the cluster's site/sector: a clash is a 409 naming the other cluster."""
    cluster = corrections.update_cluster(
        current_account(router), cluster_id, body.name, body.description, body.status
    )
    return cluster_view(cluster)


@route(router, "POST", "/v1/planner/clusters/merge/", also=(404, 409), summary="Merge clusters into one")
def merge_clusters(body: MergeClustersRequest) -> dict[str, Any]:
    """The sources' keywords and ideas (with their tasks and articles) move to the target; the
    sources are deleted; the target's keywords_count and volume are recomputed from its members."""
    result = corrections.merge_clusters(current_account(router), body.source_ids, body.target_id)
    return {
        "target": cluster_view(result.target),
        "merged": result.merged,
        "keywords_moved": result.keywords_moved,
        "ideas_moved": result.ideas_moved,
    }


@route(router, "DELETE", "/v1/planner/clusters/<cluster_id>/", also=(409,), summary="Delete a cluster")
def delete_cluster(cluster_id: int, force: Force = False) -> dict[str, Any]:
    """Its keywords become unclustered. A cluster with ideas, writer tasks or articles is a 409
    unless ``force=true``: then they are kept without a cluster."""
    result = corrections.delete_cluster(current_account(router), cluster_id, force)
    return {
        "deleted": result.cluster_id,
        "keywords_unclustered": result.keywords_unclustered,
        "ideas_detached": result.ideas_detached,
        "tasks_detached": result.tasks_detached,
        "articles_detached": result.articles_detached,
    }


# ---------------------------------------------------------------- keywords
@route(router, "POST", "/v1/planner/keywords/move/", also=(404, 409), summary="Move keywords to a cluster")
def move_keywords(body: MoveKeywordsRequest) -> dict[str, Any]:
    """``cluster_id: null`` takes them out of any cluster. Both clusters' counts and volumes follow;
    a cluster left without keywords stays (``emptied_clusters`` lists them)."""
    result = keyword_corrections.move_keywords(current_account(router), body.ids, body.cluster_id)
    return {
        "moved": result.moved,
        "emptied_clusters": result.emptied,
        "results": [keyword_view(k) for k in result.keywords],
    }


@route(router, "DELETE", "/v1/planner/keywords/<keyword_id>/", also=(409,), summary="Delete a keyword")
def delete_keyword(keyword_id: int) -> dict[str, Any]:
    """Its cluster's count drops; the keyword can be imported into its site/sector again."""
    return {"deleted": keyword_corrections.delete_keywords(current_account(router), [keyword_id])}


@route(router, "POST", "/v1/planner/keywords/delete/", also=(404, 409), summary="Delete keywords")
def delete_keywords(body: KeywordIds) -> dict[str, Any]:
    """All or none: an id not in this account is a 404 and nothing is deleted."""
    return {"deleted": keyword_corrections.delete_keywords(current_account(router), body.ids)}


# ---------------------------------------------------------------- ideas, tasks, articles
@route(router, "DELETE", "/v1/planner/ideas/<idea_id>/", also=(409,), summary="Delete an idea")
def delete_idea(idea_id: int, force: Force = False) -> dict[str, Any]:
    """An idea with a writer task is a 409 unless ``force=true``: then the task and its article stay."""
    idea = corrections_writer.delete_idea(current_account(router), idea_id, force)
    return {"deleted": idea_view(idea)}


@route(router, "DELETE", "/v1/writer/tasks/<task_id>/", also=(409,), summary="Delete a writer task")
def delete_task(task_id: int, force: Force = False) -> dict[str, Any]:
    """Its idea goes back to ``new``. A task with an article is a 409 unless ``force=true`` (which
    deletes the article too)."""
    task, article_deleted = corrections_writer.delete_task(current_account(router), task_id, force)
    return {"deleted": task_view(task), "content_deleted": article_deleted}


@route(router, "DELETE", "/v1/writer/content/<task_id>/", also=(409,), summary="Delete an article")
def delete_content(task_id: int) -> dict[str, Any]:
    """Its writer task goes back to ``queued``."""
    article = corrections_writer.delete_content(current_account(router), task_id)
    return {"deleted": content_view(article)}
