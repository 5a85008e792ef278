"""Cluster rules shared by the AI functions and the services: names, get-or-create, metrics."""

from __future__ import annotations

from shared.db.base import iso_now
from shared.db.models import Cluster, Keyword
from shared.db.repo import allocate_ids, get_one


def keywords_of_cluster(account_id: str, cluster_id: int) -> list[Keyword]:
    """The keywords mapped to a cluster (a Query of the sparse ``by_cluster`` index)."""
    return list(Keyword.by_cluster.query(f"{account_id}#{cluster_id}"))


def cluster_name_ref(account_id: str, site_id: int | None, sector_id: int | None, name: str) -> str:
    """The get-or-create key of a cluster: account, site, sector and the case-folded name."""
    return f"{account_id}#{site_id or 0}#{sector_id or 0}#{name.strip().lower()}"


def get_or_create_cluster(
    account_id: str, site_id: int | None, sector_id: int | None, name: str, description: str
) -> tuple[Cluster, bool]:
    """The seed's get_or_create on name + account + site + sector (case-insensitive name).

    The cluster's id comes from the account's atomic counter and is written with a
    does-not-exist condition, so a record is never overwritten.
    """
    ref = cluster_name_ref(account_id, site_id, sector_id, name)
    existing = next(iter(Cluster.by_name.query(ref, limit=1)), None)
    if existing is not None:
        cluster = get_one(Cluster, account_id, existing.id)
        if cluster is not None:
            return cluster, False
    (new_id,) = allocate_ids(account_id, "cluster", 1)
    cluster = Cluster(
        account_id,
        new_id,
        name=name.strip(),
        name_ref=ref,
        description=description or "",
        site_id=site_id,
        sector_id=sector_id,
        status="active",
    )
    cluster.save(condition=Cluster.id.does_not_exist())
    return cluster, True


def recompute_cluster_metrics(cluster: Cluster) -> Cluster:
    """keywords_count and volume from the cluster's keywords (volume override, else seed volume)."""
    keywords = keywords_of_cluster(cluster.account_id, int(cluster.id))
    cluster.update(
        actions=[
            Cluster.keywords_count.set(len(keywords)),
            Cluster.volume.set(sum(k.volume for k in keywords)),
            Cluster.updated_at.set(iso_now()),
        ]
    )
    return cluster
