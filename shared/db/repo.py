"""Data access: account-scoped reads and writes shared by the functions and the API.

Every list read here is a Query on the account's hash key or on an index whose key starts
with the account id; there is no Scan anywhere in the project.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.expressions.condition import Condition

from shared.db.base import BaseModel, allocate_ids, bind_models, iso_now
from shared.db.models import Account, Cluster, Keyword

M = TypeVar("M", bound=BaseModel)

BATCH_GET_LIMIT = 100


def get_account(account_id: str) -> Account | None:
    bind_models()
    try:
        return Account.get(account_id)
    except DoesNotExist:
        return None


def get_one(model: type[M], account_id: str, key: Any) -> M | None:
    """One record of the account, or None."""
    bind_models()
    try:
        return model.get(account_id, key)
    except DoesNotExist:
        return None


def batch_get(model: type[M], account_id: str, ids: Sequence[Any]) -> list[M]:
    """Records of the account with these range keys, in the order of ``ids``; missing ones skipped."""
    bind_models()
    unique = list(dict.fromkeys(ids))
    found: dict[Any, M] = {}
    range_name = model._range_key_attribute().attr_name  # type: ignore[union-attr]
    for start in range(0, len(unique), BATCH_GET_LIMIT):
        chunk = unique[start : start + BATCH_GET_LIMIT]
        for record in model.batch_get([(account_id, key) for key in chunk]):
            found[getattr(record, range_name)] = record
    return [found[key] for key in unique if key in found]


def query_account(
    model: type[M],
    account_id: str,
    filter_condition: Condition | None = None,
    range_key_condition: Condition | None = None,
    limit: int | None = None,
) -> Iterator[M]:
    """All records of the account (a Query on the hash key), optionally filtered."""
    bind_models()
    return model.query(
        account_id,
        range_key_condition=range_key_condition,
        filter_condition=filter_condition,
        limit=limit,
    )


def page_account(
    model: type[M],
    account_id: str,
    filter_condition: Condition | None = None,
    limit: int = 100,
    after: Any = None,
) -> tuple[list[M], Any]:
    """One page of the account's records and the range key to continue after (or None)."""
    bind_models()
    range_attr = model._range_key_attribute()
    range_name = range_attr.attr_name
    last_key = None
    if after is not None:
        last_key = {
            model._hash_key_attribute().attr_name: {"S": account_id},
            range_name: {range_attr.attr_type: str(after)},
        }
    results = model.query(
        account_id, filter_condition=filter_condition, limit=limit, last_evaluated_key=last_key
    )
    items = list(results)
    next_after = getattr(items[-1], range_name) if items and results.last_evaluated_key else None
    return items, next_after


def save_all(records: Iterable[BaseModel]) -> int:
    """Write records in batches; raises if DynamoDB leaves any unprocessed (PynamoDB#1257)."""
    bind_models()
    records = list(records)
    if not records:
        return 0
    model = type(records[0])
    with model.batch_write() as batch:
        for record in records:
            batch.save(record)
    return len(records)


# ---------------------------------------------------------------- keywords and clusters
def keywords_of_cluster(account_id: str, cluster_id: int) -> list[Keyword]:
    bind_models()
    return list(Keyword.by_cluster.query(f"{account_id}#{cluster_id}"))


def cluster_name_ref(account_id: str, site_id: int | None, sector_id: int | None, name: str) -> str:
    return f"{account_id}#{site_id or 0}#{sector_id or 0}#{name.strip().lower()}"


def get_or_create_cluster(
    account_id: str, site_id: int | None, sector_id: int | None, name: str, description: str
) -> tuple[Cluster, bool]:
    """The seed's get_or_create on name + account + site + sector (case-insensitive name).

    The uniqueness claim is a conditional put of the id on a deterministic name key, so two
    concurrent jobs cannot both create the same cluster.
    """
    bind_models()
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
    try:
        cluster.save(condition=Cluster.id.does_not_exist())
    except PutError:  # pragma: no cover - id collision cannot happen with the atomic counter
        raise
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
