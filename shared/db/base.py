"""pynamodb plumbing: table binding, compressed JSON blobs, id allocation, timestamps.

Table names are ``{TABLE_PREFIX}-{suffix}``. Models declare only their suffix; ``bind_models``
points every model at the configured prefix, region and endpoint the first time data is touched
(never at import time), and reuses one connection per model afterwards.
"""

from __future__ import annotations

import json
import os
import threading
import zlib
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import Attribute, NumberAttribute, UnicodeAttribute
from pynamodb.constants import BINARY
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from shared.config import get_settings

_MODELS: list[type[BaseModel]] = []
_bound_prefix: str | None = None
_bind_lock = threading.Lock()


class BaseModel(Model):
    """Base of every table model; subclasses set ``table_suffix``."""

    table_suffix: str = ""

    class Meta:
        table_name = "unbound"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.table_suffix:
            _MODELS.append(cls)


def all_models() -> list[type[BaseModel]]:
    """Every table model, in declaration order."""
    return list(_MODELS)


def bind_models(force: bool = False) -> None:
    """Point every model at ``{prefix}-{suffix}`` in the configured region and endpoint."""
    global _bound_prefix
    settings = get_settings()
    if _bound_prefix == settings.table_prefix and not force:
        return
    with _bind_lock:
        host = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL")
        for model in _MODELS:
            meta = model.Meta
            meta.table_name = f"{settings.table_prefix}-{model.table_suffix}"
            setattr(meta, "region", settings.region)  # noqa: B010 - pynamodb reads optional Meta fields
            setattr(meta, "host", host)  # noqa: B010
            model._connection = None
            for index in model._indexes.values():
                index._connection = None  # type: ignore[attr-defined]
        _bound_prefix = settings.table_prefix


def unbind_models() -> None:
    """Forget the binding (tests switch between stacks)."""
    global _bound_prefix
    _bound_prefix = None


class CompressedJSONAttribute(Attribute[Any]):
    """Any JSON value stored zlib-compressed as Binary: prompts, answers, parsed results."""

    attr_type = BINARY

    def serialize(self, value: Any) -> bytes:
        return zlib.compress(json.dumps(value, separators=(",", ":"), default=str).encode(), 6)

    def deserialize(self, value: bytes) -> Any:
        return json.loads(zlib.decompress(value).decode())


def connection_settings() -> dict[str, str | None]:
    """Region and endpoint of the bound tables (for pynamodb transactions)."""
    bind_models()
    meta = _MODELS[0].Meta
    return {"region": getattr(meta, "region", None), "host": getattr(meta, "host", None)}


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso_now() -> str:
    return utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Counter(BaseModel):
    """Per-account sequence numbers: integer ids like the seed's, allocated atomically."""

    table_suffix = "counters"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(range_key=True)
    value = NumberAttribute(default=0)


def allocate_ids(account_id: str, name: str, count: int, once_key: str | None = None) -> list[int]:
    """Reserve ``count`` consecutive ids for ``name`` in one atomic UpdateItem.

    With ``once_key`` (e.g. ``{task_id}#{item}`` of a SAVE), a retry gets the same ids back, so
    records written with them are overwritten instead of duplicated.
    """
    if count <= 0:
        return []
    bind_models()
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
