"""Idempotent POSTs: the ``Idempotency-Key`` request header (draft-ietf-httpapi-idempotency-key-header).

``resolver.route`` puts ``idempotent_route`` on every keyed POST route, so a route added anywhere
gets it without doing anything. With the header:

- the first request with a key runs; a success (any status below 400) is remembered for 24 h with
  its status, body and headers;
- the same key again, from the same account, on the same method and path, with the same body and
  query: the first response again, plus ``Idempotent-Replayed: true``; the route does not run;
- the same key with another body or query: 409 ``IdempotencyKeyReused`` (the draft says 422; our
  issue asks for 409, see the decision log);
- the same key while its first request still runs: 409 ``IdempotencyKeyInProgress``;
- a request that ends in an error (the route raised, or answered 4xx/5xx) is forgotten, so the
  same key may be retried, e.g. after a 402 and a top-up.

A key is 1..255 printable ASCII characters, without spaces at either end (HTTP strips them); any
other value, or the header sent twice, is a 400 naming the header. Without the header nothing
changes.

The records are powertools' idempotency utility with its DynamoDB persistence layer, in the table
``Settings.idempotency_table_name`` (template.yaml: ``IdempotencyTable``, key ``id``, TTL on
``expiration``). The record's key is ``igny8-api#sha256(account, method, path, key)``: two accounts'
keys never meet. The body is compared by a digest of its canonical JSON (key order and spacing do
not matter), or of its raw text for another content type; the stored response is zlib-compressed.
powertools talks to DynamoDB through the data layer's one botocore client (no second client to
build, and the endpoint comes from ``Settings``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import threading
import time
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.shared.json_encoder import Encoder
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)

from shared.api.contract import JSON_TYPES
from shared.config import get_settings
from shared.db.base import connection
from shared.errors import BadRequest, EngineError
from shared.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
#: A success is replayed for this long (the draft leaves it to the server; our issue says 24 h).
EXPIRES_AFTER_SECONDS = 24 * 60 * 60
#: The first part of every record's key (powertools' ``key_prefix``), stable across deployments.
KEY_PREFIX = "igny8-api"
#: Visible ASCII at both ends, printable ASCII (space included) between, 1..255 characters.
KEY_PATTERN = rf"^[!-~](?:[ -~]{{0,{MAX_KEY_LENGTH - 2}}}[!-~])?$"
#: A stored response larger than this (compressed) is not remembered: a DynamoDB item holds 400 KB.
MAX_STORED_BYTES = 300_000
#: How long a request is "in progress" when no Lambda context tells its deadline (the API's timeout).
DEFAULT_IN_PROGRESS_SECONDS = 30

_KEY = re.compile(KEY_PATTERN)
_REPLAYED = "replayed"

#: The header as documented on every idempotent operation (``openapi.py`` adds it).
OPENAPI_PARAMETER: dict[str, Any] = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Makes the request safe to retry. A success is remembered for 24 h per account, method and "
        "path: the same key with the same body returns the first response again (with "
        f"`{REPLAYED_HEADER}: true`) and does nothing; the same key with another body is a 409, and "
        "so is a key whose first request is still running. A request that fails is not remembered."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": KEY_PATTERN},
}
#: The replay header as documented on the success responses of every idempotent operation.
OPENAPI_REPLAYED_HEADER: dict[str, Any] = {
    "description": f"`true` when this is the remembered response to an earlier request with this `{HEADER}`",
    "schema": {"type": "string", "enum": ["true"]},
}


class IdempotencyKeyInvalid(BadRequest):
    """The ``Idempotency-Key`` header is malformed or sent more than once."""


class IdempotencyKeyReused(EngineError):
    """The ``Idempotency-Key`` was first used for a request with another body."""

    status_code = 409


class IdempotencyKeyInProgress(EngineError):
    """The first request with this ``Idempotency-Key`` has not finished yet."""

    status_code = 409


class _NotRemembered(Exception):
    """Raised inside the idempotent call so powertools deletes its record; the answer goes out as is."""


# ---------------------------------------------------------------- the request
def _header_values(event: dict[str, Any], name: str) -> list[str]:
    for source in ("multiValueHeaders", "headers"):
        for key, value in (event.get(source) or {}).items():
            if key.lower() == name:
                values = value if isinstance(value, list) else [value]
                return [str(v) for v in values if v is not None]
    return []


def idempotency_key(event: dict[str, Any]) -> str | None:
    """The request's ``Idempotency-Key``, None without the header; a malformed one is a 400."""
    values = _header_values(event, HEADER.lower())
    if not values:
        return None
    if len(values) > 1:
        raise IdempotencyKeyInvalid(f"send one {HEADER} header, not {len(values)}")
    value = values[0]
    if not _KEY.fullmatch(value):
        raise IdempotencyKeyInvalid(
            f"invalid {HEADER} header: it must be 1 to {MAX_KEY_LENGTH} printable ASCII characters "
            f"without spaces at either end (got {len(value)} character(s))"
        )
    return value


def body_digest(event: dict[str, Any]) -> str:
    """sha256 of the body: of its canonical JSON for a JSON body, else of its bytes."""
    raw = event.get("body") or ""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    if event.get("isBase64Encoded"):
        with contextlib.suppress(ValueError):  # not base64 after all: hashed as sent
            data = base64.b64decode(data)
    kinds = _header_values(event, "content-type")
    kind = kinds[0].split(";")[0].strip().lower() if kinds else ""
    if data and (not kind or kind in JSON_TYPES):
        try:
            value = json.loads(data)
        except ValueError:
            pass  # not JSON after all: hashed as bytes
        else:
            data = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
                "utf-8", "surrogatepass"
            )
    return hashlib.sha256(data).hexdigest()


def fingerprint(account_id: str, event: dict[str, Any], key: str) -> dict[str, Any]:
    """What powertools hashes: ``[scope, key]`` names the record, ``[body, query]`` must match it."""
    query = event.get("multiValueQueryStringParameters") or {
        k: [v] for k, v in (event.get("queryStringParameters") or {}).items()
    }
    return {
        "scope": [account_id, str(event.get("httpMethod") or "").upper(), _path(event)],
        "key": key,
        "body": body_digest(event),
        "query": sorted([k, sorted(str(v) for v in (vs or []))] for k, vs in query.items()),
    }


def _path(event: dict[str, Any]) -> str:
    return str(event.get("path") or "/").rstrip("/") or "/"


# ---------------------------------------------------------------- stored responses
def stored_response(response: Response) -> dict[str, Any] | None:
    """The record of a success (status, headers, compressed body); None: do not remember it."""
    if response.status_code >= 400:
        return None
    body = response.body
    if isinstance(body, bytes):
        content: dict[str, Any] = {"b64": base64.b64encode(body).decode("ascii")}
    elif isinstance(body, str):
        content = {"text": body}
    else:
        content = {"json": body}
    packed = base64.b64encode(zlib.compress(json.dumps(content, cls=Encoder).encode(), 6)).decode("ascii")
    if len(packed) > MAX_STORED_BYTES:
        logger.warning(f"response of {len(packed)} bytes (compressed) is too large to remember; key released")
        return None
    return {"status": response.status_code, "headers": dict(response.headers), "body": packed}


def replayed_response(record: dict[str, Any]) -> Response:
    """The remembered response, marked ``Idempotent-Replayed: true``."""
    content = json.loads(zlib.decompress(base64.b64decode(record["body"])))
    body: Any
    if "b64" in content:
        body = base64.b64decode(content["b64"])
    else:
        body = content["text"] if "text" in content else content["json"]
    headers = {**record["headers"], REPLAYED_HEADER: "true"}
    return Response(status_code=int(record["status"]), body=body, headers=headers)


def _mark_replay(response: Any, idempotent_data: DataRecord) -> Any:
    """powertools calls this only when it returns a stored response instead of running the route."""
    return {**response, _REPLAYED: True} if isinstance(response, dict) else response


# ---------------------------------------------------------------- the persistence layer
_layer: tuple[Any, str, DynamoDBPersistenceLayer] | None = None
_layer_lock = threading.Lock()


def _config(context: Any) -> IdempotencyConfig:
    config = IdempotencyConfig(
        event_key_jmespath="[scope, key]",
        payload_validation_jmespath="[body, query]",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=EXPIRES_AFTER_SECONDS,
        hash_function="sha256",
        response_hook=_mark_replay,
    )
    if not callable(getattr(context, "get_remaining_time_in_millis", None)):
        context = _Deadline(DEFAULT_IN_PROGRESS_SECONDS)
    config.register_lambda_context(cast("LambdaContext", context))
    return config


class _Deadline:
    """The one part of a Lambda context powertools reads: the in-progress record's lifetime."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._end - time.monotonic()) * 1000), 0)


def persistence_layer() -> DynamoDBPersistenceLayer:
    """The process's persistence layer, on the data layer's client (rebuilt when the settings change).

    It is configured here, once, under a lock: powertools marks a layer configured before it has
    read the configuration, so two first requests at once could otherwise hash differently.
    """
    global _layer
    client = connection().client
    table = get_settings().idempotency_table_name
    current = _layer
    if current is not None and current[0] is client and current[1] == table:
        return current[2]
    with _layer_lock:
        if _layer is None or _layer[0] is not client or _layer[1] != table:
            layer = DynamoDBPersistenceLayer(table_name=table, boto3_client=cast(Any, client))
            layer.configure(_config(None), key_prefix=KEY_PREFIX)
            _layer = (client, table, layer)
        return _layer[2]


# ---------------------------------------------------------------- the route middleware
def idempotent_route(app: APIGatewayRestResolver, next_middleware: Callable[..., Response]) -> Response:
    """Route middleware: run the route once per ``Idempotency-Key``, replay its success after."""
    event = app.current_event.raw_event
    key = idempotency_key(event)
    if key is None:
        return next_middleware(app)
    method_path = f"{str(event.get('httpMethod') or '').upper()} {_path(event)}"
    request = fingerprint(str(app.context["account_id"]), event, key)
    answered: list[Response] = []

    def run(request: dict[str, Any]) -> dict[str, Any]:
        response = next_middleware(app)
        answered.append(response)
        record = stored_response(response)
        if record is None:
            raise _NotRemembered
        return record

    once = idempotent_function(
        run,
        data_keyword_argument="request",
        persistence_store=persistence_layer(),
        config=_config(app.lambda_context),
        key_prefix=KEY_PREFIX,
    )
    try:
        result = once(request=request)
    except _NotRemembered:
        return answered[0]
    except IdempotencyValidationError:
        raise IdempotencyKeyReused(
            f"{HEADER} reused with a different body: this key was first sent to {method_path} with another "
            "body or query; send a new key for a new request"
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise IdempotencyKeyInProgress(
            f"a request with this key is in progress; retry later ({HEADER} on {method_path})"
        ) from None
    except IdempotencyPersistenceLayerError:
        if not answered:
            raise
        # The route ran but its answer could not be stored: answer it (the key stays busy until
        # the in-progress record expires, then the same key runs the route again).
        logger.exception("idempotency record not saved; answering the request without it")
        return answered[0]
    if isinstance(result, dict) and result.get(_REPLAYED):
        return replayed_response(result)
    return answered[0] if answered else replayed_response(result)
