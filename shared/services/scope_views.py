"""One site or one sector of the account, with counts from COUNT Queries (no row is read out).

- keywords: ``Select=COUNT`` Queries of the keywords' ``by_site`` / ``by_sector`` index (a
  sector's unclustered keywords: the same Query with a ``cluster_id`` filter);
- clusters: ``Select=COUNT`` Queries of the clusters' ``by_scope`` index, one per site/sector scope
  (a site: its own scope and each of its sectors').
"""

from __future__ import annotations

from typing import Any

from shared.db.models import Cluster, Keyword, Sector, Site, scope_ref
from shared.db.repo import get_one, query_account
from shared.errors import NotFound


def _clusters_in(account_id: str, site_id: int | None, sector_id: int | None) -> int:
    return int(Cluster.by_scope.count(scope_ref(account_id, site_id, sector_id)))


def site_view(account_id: str, site_id: int) -> dict[str, Any]:
    site = get_one(Site, account_id, site_id)
    if site is None:
        raise NotFound(f"site {site_id} not found in this account")
    sectors = list(query_account(Sector, account_id, filter_condition=Sector.site_id == site_id))
    clusters = _clusters_in(account_id, site_id, None) + sum(
        _clusters_in(account_id, site_id, int(s.id)) for s in sectors
    )
    return {
        "id": int(site.id),
        "name": site.name,
        "domain": site.domain,
        "sectors": [{"id": int(s.id), "name": s.name} for s in sectors],
        "keywords_count": int(Keyword.by_site.count(f"{account_id}#{site_id}")),
        "clusters_count": clusters,
    }


def sector_view(account_id: str, sector_id: int) -> dict[str, Any]:
    sector = get_one(Sector, account_id, sector_id)
    if sector is None:
        raise NotFound(f"sector {sector_id} not found in this account")
    ref = f"{account_id}#{sector_id}"
    return {
        "id": int(sector.id),
        "name": sector.name,
        "site_id": int(sector.site_id),
        "keywords_count": int(Keyword.by_sector.count(ref)),
        "unclustered_count": int(
            Keyword.by_sector.count(ref, filter_condition=Keyword.cluster_id.does_not_exist())
        ),
        "clusters_count": _clusters_in(account_id, int(sector.site_id), sector_id),
    }
