"""Data access: generic account-scoped reads and writes, the batched ones included.

Every list read here is a Query on the account's hash key or on an index whose key starts
with the account id; there is no Scan anywhere in the project. Domain rules on the records
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


def page_account(
    model: type[M],
    account_id: str,
    filter_condition: Condition | None = None,
    limit: int = 100,
    after: Any = None,
) -> tuple[list[M], Any]:
    """One page of the account's records and the range key to continue after (or None)."""
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


def page_index(
    index: Any,
    account_id: str,
    hash_key: str,
    hash_name: str,
    limit: int = 100,
    after: int | None = None,
    filter_condition: Condition | None = None,
) -> tuple[list[Any], Any]:
    """One page of a GSI whose range key is the record ``id`` (a Query of one partition).

    ``after`` is the last id of the previous page; the index's LastEvaluatedKey is rebuilt from it
    (the table's keys and the index's hash key).
    """
    last_key = None
    if after is not None:
        last_key = {"account_id": {"S": account_id}, "id": {"N": str(after)}, hash_name: {"S": hash_key}}
    results = index.query(
        hash_key, filter_condition=filter_condition, limit=limit, last_evaluated_key=last_key
    )
    items = [item for item in results if item.account_id == account_id]
    next_after = int(items[-1].id) if items and results.last_evaluated_key else None
    return items, next_after


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
