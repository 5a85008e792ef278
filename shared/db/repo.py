"""Data access: generic account-scoped reads and writes, the batched ones included.

Every list read here is a Query on the account's hash key or on an index whose key starts
with the account id; there is no Scan anywhere in the project. A list page (``page``) is one
Query of one partition with no filter: every filter of every list is an index key (derived from
the record, ``shared.db.derived``), so a page never reads items it then drops. Domain rules on the records
(for example a cluster's get-or-create) live in ``shared.domain``, not here.

The batch helpers talk to DynamoDB's BatchGetItem (at most 100 keys a request) and
BatchWriteItem (at most 25 requests) themselves instead of through pynamodb's ``batch_get`` /
``batch_write``: DynamoDB may answer with UnprocessedKeys / UnprocessedItems, which pynamodb
resends without backoff and, for writes, can give up on quietly (PynamoDB#1257). Here every
leftover is resent with exponential backoff until none remain, the processed count is checked
against the submitted one, and ``BatchIncomplete`` is raised if DynamoDB still refuses after
``BATCH_ATTEMPTS`` requests.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar, cast

from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import Index

from shared.db.base import BaseModel
from shared.db.models import Account, Counter
from shared.errors import BatchIncomplete
from shared.observability import logger, tracer

M = TypeVar("M", bound=BaseModel)

BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25
#: Requests per chunk before giving up on leftovers (backoff 50 ms doubling, at most 2 s each).
BATCH_ATTEMPTS = 10
_BACKOFF_BASE = 0.05
_BACKOFF_CAP = 2.0
_sleep = time.sleep  # tests replace it


def get_account(account_id: str) -> Account | None:
    try:
        return Account.get(account_id)
    except DoesNotExist:
        return None


def get_one(model: type[M], account_id: str, key: Any) -> M | None:
    """One record of the account, or None."""
    try:
        return model.get(account_id, key)
    except DoesNotExist:
        return None


def query_account(
    model: type[M],
    account_id: str,
    filter_condition: Condition | None = None,
    range_key_condition: Condition | None = None,
    limit: int | None = None,
) -> Iterator[M]:
    """All records of the account (a Query on the hash key), optionally filtered."""
    return model.query(
        account_id,
        range_key_condition=range_key_condition,
        filter_condition=filter_condition,
        limit=limit,
    )


def page_account(model: type[M], account_id: str, limit: int = 100, after: Any = None) -> tuple[list[M], Any]:
    """One page of the account's records by range key, and the key to continue after (or None)."""
    return page(model, account_id, account_id, limit=limit, after=after)


def page(
    source: type[M] | Index[M],
    hash_key: str,
    account_id: str,
    limit: int = 100,
    after: Any = None,
    newest_first: bool = False,
) -> tuple[list[M], Any]:
    """One page of one partition: of the account (``source`` a model, ``hash_key`` the account id)
    or of one key of a GSI whose range key is the record's range key (``id``, ``task_id``).

    Items follow the range key (descending with ``newest_first``) from just past ``after``; the
    second value is the range key to pass as ``after`` for the next page, None when none follows.
    Every list filter is an index key, so nothing is read and dropped: one request reads at most
    ``limit + 1`` items (the one past the page only tells that more follow).
    """
    range_attr = _range_attribute(source)
    assert range_attr is not None, "page() needs a range key"
    condition = None
    if after is not None:
        condition = range_attr < after if newest_first else range_attr > after
    items, more = query_page(
        source, hash_key, limit, range_key_condition=condition, newest_first=newest_first
    )
    next_after = getattr(items[-1], range_attr.attr_name) if more else None
    return [item for item in items if getattr(item, "account_id", None) == account_id], next_after


def _range_attribute(source: type[BaseModel] | Index[Any]) -> Any:
    """The range key attribute of a model or of an index (None: hash key only)."""
    if isinstance(source, Index):
        return next((a for a in source.Meta.attributes.values() if a.is_range_key), None)
    return source._range_key_attribute()


def query_page(
    source: type[M] | Index[M],
    hash_key: str,
    limit: int,
    range_key_condition: Condition | None = None,
    start_after: BaseModel | None = None,
    newest_first: bool = False,
) -> tuple[list[M], bool]:
    """At most ``limit`` items of one partition, and whether more follow; no filter, so at most
    ``limit + 1`` items are read. ``start_after``: a record (its table and index keys set) to
    continue after, for indexes whose range key is not unique (``created_at``)."""
    last_key = start_key(source, hash_key, start_after) if start_after is not None else None
    results = source.query(
        hash_key,
        range_key_condition=range_key_condition,
        scan_index_forward=not newest_first,
        last_evaluated_key=last_key,
        limit=limit + 1,
        page_size=limit + 1,
    )
    items = list(results)
    return items[:limit], len(items) > limit


def start_key(source: type[BaseModel] | Index[Any], hash_key: str, record: BaseModel) -> dict[str, Any]:
    """The ExclusiveStartKey that continues a Query of ``source`` (partition ``hash_key``) after
    ``record``: the table's keys of the record, and for an index its hash and range key."""
    if not isinstance(source, Index):
        return _key_of(source, *_keys_of(record))
    key = _key_of(source._model, *_keys_of(record))
    hash_attr = source._hash_key_attribute()
    key[hash_attr.attr_name] = {hash_attr.attr_type: hash_attr.serialize(hash_key)}
    range_attr = _range_attribute(source)
    if range_attr is not None:
        value = getattr(record, range_attr.attr_name)
        key[range_attr.attr_name] = {range_attr.attr_type: range_attr.serialize(value)}
    return key


def allocate_ids(account_id: str, name: str, count: int, once_key: str | None = None) -> list[int]:
    """Reserve ``count`` consecutive ids for ``name`` in one atomic UpdateItem.

    With ``once_key`` (e.g. ``{task_id}#{item}`` of a SAVE), a retry gets the same ids back, so
    records written with them are overwritten instead of duplicated.
    """
    if count <= 0:
        return []
    marker_name = f"{name}@{once_key}" if once_key else None
    if marker_name:
        prior = _marker(account_id, marker_name)
        if prior is not None:
            return list(range(prior - count + 1, prior + 1))
    counter = Counter(account_id, name)
    counter.update(actions=[Counter.value.add(count)])
    last = int(counter.value)
    if marker_name:
        try:
            Counter(account_id, marker_name, value=last).save(condition=Counter.name.does_not_exist())
        except PutError:
            last = _marker(account_id, marker_name) or last  # a concurrent retry won the claim
    return list(range(last - count + 1, last + 1))


def _marker(account_id: str, marker_name: str) -> int | None:
    try:
        return int(Counter.get(account_id, marker_name, consistent_read=True).value)
    except Counter.DoesNotExist:
        return None


# ---------------------------------------------------------------- batches
def _pause(attempt: int) -> None:
    """Exponential backoff with jitter before resending leftovers."""
    _sleep(min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0))


def _key_of(model: type[BaseModel], hash_key: Any, range_key: Any = None) -> dict[str, dict[str, Any]]:
    """A typed DynamoDB key of ``model`` (``{"account_id": {"S": ...}, "id": {"N": ...}}``)."""
    hash_ser, range_ser = model._serialize_keys(hash_key, range_key)
    hash_attr = model._hash_key_attribute()
    key = {hash_attr.attr_name: {hash_attr.attr_type: hash_ser}}
    range_attr = model._range_key_attribute()
    if range_attr is not None:
        key[range_attr.attr_name] = {range_attr.attr_type: range_ser}
    return key


def _key_id(key: dict[str, dict[str, Any]]) -> tuple[tuple[str, str], ...]:
    """A hashable identity of a typed key (or of an item's key attributes)."""
    return tuple(sorted((name, str(next(iter(value.values())))) for name, value in key.items()))


def batch_get(model: type[M], account_id: str, ids: Sequence[Any], consistent_read: bool = False) -> list[M]:
    """Records of the account with these range keys, in the order of ``ids``; missing ones skipped."""
    unique = list(dict.fromkeys(ids))
    if not unique:
        return []
    range_name = model._range_key_attribute().attr_name  # type: ignore[union-attr]
    found: dict[Any, M] = {}
    with tracer.provider.in_subsegment(f"## batch_get {model.__name__}") as subsegment:
        subsegment.put_metadata("keys", len(unique))
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            keys = [_key_of(model, account_id, key) for key in unique[start : start + BATCH_GET_LIMIT]]
            for raw in _get_chunk(model, keys, consistent_read):
                record = model.from_raw_data(raw)
                found[getattr(record, range_name)] = record
    return [found[key] for key in unique if key in found]


def _get_chunk(
    model: type[BaseModel], keys: list[dict[str, Any]], consistent_read: bool
) -> list[dict[str, Any]]:
    """One BatchGetItem of at most 100 keys, resending UnprocessedKeys until none remain."""
    table = model._get_connection()
    name = model.Meta.table_name
    items: list[dict[str, Any]] = []
    pending = keys
    for attempt in range(1, BATCH_ATTEMPTS + 1):
        data = table.batch_get_item(cast(Any, pending), consistent_read=consistent_read or None)
        items.extend(data.get("Responses", {}).get(name, []))
        pending = data.get("UnprocessedKeys", {}).get(name, {}).get("Keys") or []
        if not pending:
            return items
        logger.info("batch_get: resending unprocessed keys", table=name, keys=len(pending), attempt=attempt)
        _pause(attempt)
    raise BatchIncomplete(
        f"{name}: {len(pending)} of {len(keys)} keys still unprocessed after {BATCH_ATTEMPTS} requests"
    )


def batch_save(records: Iterable[BaseModel]) -> int:
    """Put every record (several models allowed) in BatchWriteItem requests; returns the count.

    Two records with the same key in one call: the later one is written. Nothing is left
    unprocessed silently: leftovers are resent with backoff and the count is verified.
    """
    by_model: dict[type[BaseModel], dict[Any, dict[str, Any]]] = {}
    for record in records:
        model = type(record)
        item = record.serialize()
        by_model.setdefault(model, {})[_key_id(_key_of(model, *_keys_of(record)))] = {
            "PutRequest": {"Item": item}
        }
    return sum(_write(model, list(requests.values()), "batch_save") for model, requests in by_model.items())


def save_all(records: Iterable[BaseModel]) -> int:
    """Write records in batches (``batch_save``): the count written, or ``BatchIncomplete``."""
    return batch_save(records)


def batch_delete(model: type[BaseModel], keys: Iterable[Any]) -> int:
    """Delete records by key (``(hash, range)`` tuples, or hash keys of a hash-only table)."""
    requests: dict[Any, dict[str, Any]] = {}
    for key in keys:
        typed = _key_of(model, *key) if isinstance(key, tuple) else _key_of(model, key)
        requests[_key_id(typed)] = {"DeleteRequest": {"Key": typed}}
    return _write(model, list(requests.values()), "batch_delete")


def _keys_of(record: BaseModel) -> tuple[Any, ...]:
    hash_value = getattr(record, record._hash_key_attribute().attr_name)
    range_attr = record._range_key_attribute()
    return (hash_value,) if range_attr is None else (hash_value, getattr(record, range_attr.attr_name))


def _write(model: type[BaseModel], requests: list[dict[str, Any]], operation: str) -> int:
    if not requests:
        return 0
    written = 0
    with tracer.provider.in_subsegment(f"## {operation} {model.__name__}") as subsegment:
        subsegment.put_metadata("requests", len(requests))
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            written += _write_chunk(model, requests[start : start + BATCH_WRITE_LIMIT])
    if written != len(requests):  # pragma: no cover - _write_chunk raises first
        raise BatchIncomplete(f"{model.Meta.table_name}: wrote {written} of {len(requests)} requests")
    return written


def _write_chunk(model: type[BaseModel], chunk: list[dict[str, Any]]) -> int:
    """One BatchWriteItem of at most 25 requests, resending UnprocessedItems until none remain."""
    table = model._get_connection()
    name = model.Meta.table_name
    pending = chunk
    processed = 0
    for attempt in range(1, BATCH_ATTEMPTS + 1):
        data = table.batch_write_item(
            put_items=[r["PutRequest"]["Item"] for r in pending if "PutRequest" in r],
            delete_items=[r["DeleteRequest"]["Key"] for r in pending if "DeleteRequest" in r],
        )
        left = (data or {}).get("UnprocessedItems", {}).get(name) or []
        processed += len(pending) - len(left)
        pending = left
        if not pending:
            return processed
        logger.info(
            "batch_write: resending unprocessed items", table=name, items=len(pending), attempt=attempt
        )
        _pause(attempt)
    raise BatchIncomplete(
        f"{name}: {len(pending)} of {len(chunk)} writes still unprocessed after {BATCH_ATTEMPTS} requests"
    )
