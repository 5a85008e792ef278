"""Planner routes: sites, sectors, keywords, auto_cluster, clusters."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router

from shared.api.models import AutoClusterRequest, CreateKeywordsRequest, SectorIn, SiteIn
from shared.api.resolver import current_account, json_response, route
from shared.db.derived import index_key
from shared.db.models import Cluster, Keyword, Sector, Site, scope_ref
from shared.db.planner_tables import ClusterStatus, KeywordStatus
from shared.db.repo import allocate_ids, batch_get, get_one, page, query_account
from shared.domain.clusters import keywords_of_cluster
from shared.errors import NotFound
from shared.services.jobs import start_job
from shared.services.keywords import create_keywords, keyword_view
from shared.services.sites import check_scope

router = Router()
Limit = Annotated[int, Query(ge=1, le=500)]


def cluster_view(cluster: Cluster, pillar_names: dict[int, str] | None = None) -> dict[str, Any]:
    pillar_id = int(cluster.pillar_id) if cluster.pillar_id is not None else None
    return {
        "id": int(cluster.id),
        "name": cluster.name,
        "description": cluster.description,
        "pillar_id": pillar_id,
        "pillar_name": (pillar_names or {}).get(pillar_id) if pillar_id is not None else None,
        "keywords_count": int(cluster.keywords_count or 0),
        "volume": int(cluster.volume or 0),
        "status": cluster.status,
        "site_id": cluster.site_id,
        "sector_id": cluster.sector_id,
        "created_at": cluster.created_at,
        "updated_at": cluster.updated_at,
    }


# ---------------------------------------------------------------- sites and sectors
@route(router, "POST", "/v1/planner/sites/", status=201)
def create_site(body: SiteIn) -> Any:
    account_id = current_account(router)
    (site_id,) = allocate_ids(account_id, "site", 1)
    site = Site(account_id, site_id, name=body.name, domain=body.domain)
    site.save()
    return json_response(201, {"id": site_id, "name": site.name, "domain": site.domain})


@route(router, "GET", "/v1/planner/sites/")
def list_sites() -> dict[str, Any]:
    sites = query_account(Site, current_account(router))
    return {"results": [{"id": int(s.id), "name": s.name, "domain": s.domain} for s in sites]}


@route(router, "POST", "/v1/planner/sectors/", status=201, also=(404,))
def create_sector(body: SectorIn) -> Any:
    account_id = current_account(router)
    check_scope(account_id, body.site_id, None)
    (sector_id,) = allocate_ids(account_id, "sector", 1)
    Sector(account_id, sector_id, name=body.name, site_id=body.site_id).save()
    return json_response(201, {"id": sector_id, "name": body.name, "site_id": body.site_id})


@route(router, "GET", "/v1/planner/sectors/")
def list_sectors() -> dict[str, Any]:
    sectors = query_account(Sector, current_account(router))
    return {"results": [{"id": int(s.id), "name": s.name, "site_id": int(s.site_id)} for s in sectors]}


# ---------------------------------------------------------------- keywords
@route(router, "POST", "/v1/planner/keywords/", status=201, also=(404,))
def create_keywords_route(body: CreateKeywordsRequest) -> Any:
    account_id = current_account(router)
    check_scope(account_id, body.site_id, body.sector_id)
    rows = [k.model_dump() for k in body.keywords]
    result = create_keywords(account_id, rows, body.site_id, body.sector_id)
    return json_response(
        201,
        {
            "created": len(result.created),
            "duplicates": result.duplicates,
            "results": [keyword_view(k) for k in result.created],
        },
    )


def keyword_source(
    account_id: str, status: str | None, cluster_id: int | None, sector_id: int | None
) -> tuple[Any, str]:
    """The table or index (and its partition) holding exactly the keywords the filters select."""
    if cluster_id is not None:
        if status is not None:
            return Keyword.by_cluster_status, index_key(account_id, cluster_id, status)
        return Keyword.by_cluster, index_key(account_id, cluster_id)
    if sector_id is not None:
        if status is not None:
            return Keyword.by_sector_status, index_key(account_id, sector_id, status)
        return Keyword.by_sector, index_key(account_id, sector_id)
    if status is not None:
        return Keyword.by_status, index_key(account_id, status)
    return Keyword, account_id


@route(router, "GET", "/v1/planner/keywords/")
def list_keywords(
    status: KeywordStatus | None = None,
    cluster_id: int | None = None,
    sector_id: int | None = None,
    limit: Limit = 100,
    after: int | None = None,
) -> dict[str, Any]:
    """The account's keywords by id, ``limit`` a page; ``next`` is the ``after`` of the next page
    (null: no more). Each filter, and a status with a cluster or a sector, is one index."""
    account_id = current_account(router)
    source, key = keyword_source(account_id, status, cluster_id, sector_id)
    keywords, next_after = page(source, key, account_id, limit=limit, after=after)
    if cluster_id is not None and sector_id is not None:
        # A cluster lies in one sector: a cluster of another sector shows nothing.
        keywords = [k for k in keywords if k.sector_id is not None and int(k.sector_id) == sector_id]
    return {"results": [keyword_view(k) for k in keywords], "next": next_after}


@route(router, "POST", "/v1/planner/keywords/auto_cluster/", status=202, also=(402, 404, 409))
def auto_cluster(body: AutoClusterRequest) -> Any:
    payload = body.model_dump(exclude_none=True)
    job = start_job(current_account(router), "auto_cluster", payload)
    return json_response(
        202,
        {
            "success": True,
            "task_id": job.task_id,
            "strategy": job.payload.get("strategy"),
            "message": f"Clustering {int(job.payload.get('selected') or len(body.ids or []))} keyword(s) "
            f"({job.payload.get('strategy')} strategy) started; follow it at /v1/jobs/{job.task_id}",
        },
    )


# ---------------------------------------------------------------- clusters
@route(router, "GET", "/v1/planner/clusters/", also=(404,))
def list_clusters(
    status: ClusterStatus | None = None,
    sector_id: int | None = None,
    limit: Limit = 100,
    after: int | None = None,
) -> dict[str, Any]:
    """The account's clusters by id (``next``: the ``after`` of the next page); a sector is the
    ``by_scope`` index, a status ``by_status`` or, with a sector, ``by_scope_status``."""
    account_id = current_account(router)
    source: Any = Cluster
    key = account_id
    if sector_id is not None:
        sector = get_one(Sector, account_id, sector_id)
        if sector is None:
            raise NotFound(f"sector {sector_id} not found")
        key = scope_ref(account_id, sector.site_id, sector_id)
        source = Cluster.by_scope
        if status is not None:
            source, key = Cluster.by_scope_status, index_key(key, status)
    elif status is not None:
        source, key = Cluster.by_status, index_key(account_id, status)
    clusters, next_after = page(source, key, account_id, limit=limit, after=after)
    names = pillar_names(account_id, clusters)
    return {"results": [cluster_view(c, names) for c in clusters], "next": next_after}


def pillar_names(account_id: str, clusters: list[Cluster]) -> dict[int, str]:
    """The names of the pillars (hub clusters) of ``clusters``: from the page, else one BatchGet."""
    names = {int(c.id): c.name for c in clusters}
    missing = {int(c.pillar_id) for c in clusters if c.pillar_id is not None} - set(names)
    names.update({int(c.id): c.name for c in batch_get(Cluster, account_id, list(missing))})
    return names


@route(router, "GET", "/v1/planner/clusters/<cluster_id>/")
def get_cluster(cluster_id: int) -> dict[str, Any]:
    account_id = current_account(router)
    cluster = get_one(Cluster, account_id, cluster_id)
    if cluster is None:
        raise NotFound(f"cluster {cluster_id} not found")
    view = cluster_view(cluster, pillar_names(account_id, [cluster]))
    view["samples"] = list(cluster.samples or [])
    view["keywords"] = [keyword_view(k) for k in keywords_of_cluster(account_id, cluster_id)]
    return view
