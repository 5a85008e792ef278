"""Planner routes: sites, sectors, keywords, auto_cluster, clusters."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router

from shared.api.models import AutoClusterRequest, CreateKeywordsRequest, SectorIn, SiteIn
from shared.api.resolver import current_account, json_response, route
from shared.db.models import Cluster, Keyword, Sector, Site, scope_ref
from shared.db.repo import allocate_ids, batch_get, get_one, page_account, page_index, query_account
from shared.domain.clusters import keywords_of_cluster
from shared.errors import InputInvalid, NotFound
from shared.services.jobs import start_job
from shared.services.keywords import create_keywords, keyword_view

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


def _check_site_sector(account_id: str, site_id: int | None, sector_id: int | None) -> None:
    if site_id is not None and get_one(Site, account_id, site_id) is None:
        raise NotFound(f"site {site_id} not found in this account")
    if sector_id is not None:
        sector = get_one(Sector, account_id, sector_id)
        if sector is None:
            raise NotFound(f"sector {sector_id} not found in this account")
        if site_id is not None and int(sector.site_id) != site_id:
            raise InputInvalid(f"sector {sector_id} does not belong to site {site_id}")


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
    _check_site_sector(account_id, body.site_id, None)
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
    _check_site_sector(account_id, body.site_id, body.sector_id)
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


@route(router, "GET", "/v1/planner/keywords/")
def list_keywords(
    status: str | None = None,
    cluster_id: int | None = None,
    sector_id: int | None = None,
    limit: Limit = 100,
    after: int | None = None,
) -> dict[str, Any]:
    account_id = current_account(router)
    condition = Keyword.status == status if status is not None else None
    if cluster_id is not None:
        ref = f"{account_id}#{cluster_id}"
        keywords, next_after = page_index(
            Keyword.by_cluster, account_id, ref, "cluster_ref", limit, after, condition
        )
    elif sector_id is not None:
        ref = f"{account_id}#{sector_id}"
        keywords, next_after = page_index(
            Keyword.by_sector, account_id, ref, "sector_ref", limit, after, condition
        )
    else:
        keywords, next_after = page_account(Keyword, account_id, condition, limit=limit, after=after)
    return {"results": [keyword_view(k) for k in keywords], "next": next_after}


@route(router, "POST", "/v1/planner/keywords/auto_cluster/", status=202, also=(402, 404))
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
    status: str | None = None, sector_id: int | None = None, limit: Limit = 100, after: int | None = None
) -> dict[str, Any]:
    account_id = current_account(router)
    condition = Cluster.status == status if status is not None else None
    if sector_id is not None:
        sector = get_one(Sector, account_id, sector_id)
        if sector is None:
            raise NotFound(f"sector {sector_id} not found")
        ref = scope_ref(account_id, sector.site_id, sector_id)
        clusters, next_after = page_index(
            Cluster.by_scope, account_id, ref, "scope_ref", limit, after, condition
        )
    else:
        clusters, next_after = page_account(Cluster, account_id, condition, limit=limit, after=after)
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
