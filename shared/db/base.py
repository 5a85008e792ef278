"""pynamodb plumbing: automatic table binding, compressed JSON blobs, timestamps.

Table names are ``{TABLE_PREFIX}-{suffix}``; models declare only their suffix. Nothing is
bound at import time and nobody calls a bind function: the first DynamoDB operation of a model
in a process (pynamodb asks the model for its connection before every request) points it at
the prefix, region and endpoint of the current ``Settings``. Every model shares one pynamodb
``Connection`` (one botocore client per process: a new client costs 40-130 ms). When the
prefix, region or endpoint in the settings change (``reset_settings()`` after the environment
changed, tests switching stacks) the next use rebinds.
"""

from __future__ import annotations

import json
import threading
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.connection import Connection, TableConnection
from pynamodb.constants import BINARY
from pynamodb.models import Model

from shared.config import Settings, get_settings

_MODELS: list[type[BaseModel]] = []
_bind_lock = threading.RLock()


@dataclass(frozen=True)
class _Binding:
    """Where the tables of this process live, and the one connection to them."""

    prefix: str
    region: str
    host: str | None
    connection: Connection

    def matches(self, settings: Settings) -> bool:
        return (self.prefix, self.region, self.host) == (
            settings.table_prefix,
            settings.region,
            settings.dynamodb_endpoint,
        )


_binding: _Binding | None = None


def _current_binding() -> _Binding:
    global _binding
    settings = get_settings()
    binding = _binding
    if binding is not None and binding.matches(settings):
        return binding
    with _bind_lock:
        if _binding is None or not _binding.matches(settings):
            region, host = settings.region, settings.dynamodb_endpoint
            _binding = _Binding(settings.table_prefix, region, host, Connection(region=region, host=host))
        return _binding


class BaseModel(Model):
    """Base of every table model; subclasses set ``table_suffix`` and are bound on first use."""

    table_suffix: str = ""
    _bound_to: _Binding | None = None

    class Meta:
        table_name = "unbound"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.table_suffix:
            _MODELS.append(cls)

    @classmethod
    def _get_connection(cls) -> TableConnection:
        """pynamodb's per-model connection, bound to the current settings on first use."""
        binding = _current_binding()
        if cls._bound_to is not binding or cls._connection is None:
            with _bind_lock:
                if cls._bound_to is not binding or cls._connection is None:
                    _bind(cls, binding)
        assert cls._connection is not None
        return cls._connection


def _bind(model: type[BaseModel], binding: _Binding) -> None:
    meta = model.Meta
    meta.table_name = f"{binding.prefix}-{model.table_suffix}"
    setattr(meta, "region", binding.region)  # noqa: B010 - pynamodb reads optional Meta fields
    setattr(meta, "host", binding.host)  # noqa: B010
    model._connection = None
    table = super(BaseModel, model)._get_connection()
    # Swap the connection pynamodb made for this table for the process's shared one.
    if meta.table_name not in binding.connection._tables:
        binding.connection.add_meta_table(table.connection.get_meta_table(meta.table_name))
    table.connection = binding.connection
    model._bound_to = binding


def connection() -> Connection:
    """The process's DynamoDB connection (for pynamodb transactions: ``TransactWrite(connection=...)``)."""
    return _current_binding().connection


def all_models() -> list[type[BaseModel]]:
    """Every table model, in declaration order (several models may share one table)."""
    return list(_MODELS)


def unbind_models() -> None:
    """Forget the binding and the connection (tests that switch stacks or endpoints)."""
    global _binding
    with _bind_lock:
        _binding = None
        for model in _MODELS:
            model._bound_to = None
            model._connection = None


class CompressedJSONAttribute(Attribute[Any]):
    """Any JSON value stored zlib-compressed as Binary: prompts, answers, parsed results."""

    attr_type = BINARY

    def serialize(self, value: Any) -> bytes:
        return zlib.compress(json.dumps(value, separators=(",", ":"), default=str).encode(), 6)

    def deserialize(self, value: bytes) -> Any:
        return json.loads(zlib.decompress(value).decode())


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso_now() -> str:
    return utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z")
