"""Cluster rules shared by the AI functions and the services: names, get-or-create, metrics.

A cluster is created only with its keywords, and its counts always equal its members: a job
writes its keywords first, then each new cluster with the totals of the keywords it mapped to
it (``new_cluster``), then the totals of the existing clusters it changed, read from their
members (``settle_clusters``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from shared.db.base import iso_now
from shared.db.models import Cluster, ContentIdea, Keyword
from shared.db.repo import allocate_ids, batch_delete, get_one

#: What the totals need of a member (the by_cluster index projects every attribute).
_MEMBER_FIELDS = ["account_id", "id", "seed_volume", "volume_override"]


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


def find_cluster(account_id: str, site_id: int | None, sector_id: int | None, name: str) -> Cluster | None:
    """The scope's cluster of this name (case-insensitive), or None."""
    ref = cluster_name_ref(account_id, site_id, sector_id, name)
    existing = next(iter(Cluster.by_name.query(ref, limit=1)), None)
    return get_one(Cluster, account_id, existing.id) if existing is not None else None


def new_cluster(
    account_id: str,
    cluster_id: int,
    site_id: int | None,
    sector_id: int | None,
    name: str,
    members: Sequence[Keyword],
    **attributes: Any,
) -> Cluster:
    """A new cluster row carrying its members' totals, written by the caller after its keywords."""
    if not members:
        raise ValueError(f"cluster {name!r} has no keywords: a cluster is created only with its keywords")
    return Cluster(
        account_id,
        int(cluster_id),
        name=name.strip(),
        name_ref=cluster_name_ref(account_id, site_id, sector_id, name),
        site_id=site_id,
        sector_id=sector_id,
        status="active",
        keywords_count=len(members),
        volume=sum(k.volume for k in members),
        **attributes,
    )


def member_totals(
    account_id: str, cluster_id: int, written: Mapping[int, Keyword], previous: Mapping[int, int | None]
) -> tuple[int, int]:
    """(keywords_count, volume) of a cluster after a job's keyword writes.

    Its members in the ``by_cluster`` index, corrected by the keywords the job just wrote
    (``written``, with each one's cluster before the job in ``previous``): the index is
    eventually consistent, so it may not show those writes yet.
    """
    rows = Keyword.by_cluster.query(f"{account_id}#{int(cluster_id)}", attributes_to_get=_MEMBER_FIELDS)
    volumes = {int(k.id): k.volume for k in rows}
    for keyword_id, keyword in written.items():
        if keyword.cluster_id is not None and int(keyword.cluster_id) == int(cluster_id):
            volumes[keyword_id] = keyword.volume
        elif previous.get(keyword_id) == int(cluster_id):
            volumes.pop(keyword_id, None)
    return len(volumes), sum(volumes.values())


def has_ideas(account_id: str, cluster_id: int) -> bool:
    return (
        next(iter(ContentIdea.by_cluster.query(f"{account_id}#{int(cluster_id)}", limit=1)), None) is not None
    )


def settle_clusters(
    account_id: str,
    clusters: Iterable[Cluster],
    written: Mapping[int, Keyword],
    previous: Mapping[int, int | None],
) -> list[int]:
    """Set the totals of existing clusters a job changed from their members (``member_totals``).

    A cluster the job left without keywords is deleted, unless ideas were planned from it (it
    stays, its counts zero, as its members are). Returns the ids deleted.
    """
    removed: list[int] = []
    now = iso_now()
    for cluster in clusters:
        count, volume = member_totals(account_id, int(cluster.id), written, previous)
        if count == 0 and not has_ideas(account_id, int(cluster.id)):
            removed.append(int(cluster.id))
            continue
        cluster.update(
            actions=[
                Cluster.keywords_count.set(count),
                Cluster.volume.set(volume),
                Cluster.updated_at.set(now),
            ]
        )
    if removed:
        batch_delete(Cluster, [(account_id, cid) for cid in removed])
    return removed
