"""The API resolver: one place for authentication, the error contract and route registration.

Every route is scoped to the account bound to the caller's API key (``Authorization: Bearer``
or ``x-api-key``); the account never comes from the request body.

A request passes, in order (``gate``, before powertools parses anything): the route exists (else
404) for this method (else 405 with ``Allow``); the body is at most 6 MB (413); the API key (401);
for a POST route: its ``Idempotency-Key`` header (400); for a route that reads a body: its content
type (415), UTF-8 (400), JSON (400), nesting depth (400) and numbers DynamoDB can store (422); then
the route's own validation (422) and the route, which on a POST runs once per ``Idempotency-Key``
(``shared/api/idempotency.py``: replays, and 409 for a key reused or still in progress).
"""

from __future__ import annotations

import inspect
import json
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.router import Router
from pydantic import BaseModel

from shared.api.contract import (
    JSON_TYPES,
    MAX_BODY_BYTES,
    ErrorBody,
    body_size,
    content_type,
    decoded_body,
    error_body,
    internal_error_body,
    invalid_fields,
    parse_json_body,
)
from shared.api.idempotency import idempotency_key, idempotent_route
from shared.api.negotiation import csv_lists
from shared.errors import (
    EngineError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RequestInvalid,
    UnsupportedMediaType,
)
from shared.observability import logger
from shared.services.accounts import account_for_key

PUBLIC_PATHS = ("/health", "/v1/openapi.json", "/docs")

STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted: the job started; follow it at /v1/jobs/{task_id}",
    400: "Malformed request (body not JSON, not UTF-8 or nested too deeply, or a malformed "
    "Idempotency-Key header), or over a function's limit",
    401: "Missing or unknown API key",
    402: "The account's credits or monthly budget would be exceeded",
    404: "Not found in this account",
    409: "Conflict with the current state, `error` and `message` say which: e.g. a record a running job "
    "holds, or an Idempotency-Key first used with another body or whose first request still runs",
    413: f"Body over {MAX_BODY_BYTES // (1024 * 1024)} MB",
    415: "Content type not application/json",
    422: "Invalid fields: `errors` names each one",
    500: "Internal error; the message names the request id (the detail is logged)",
    502: "A service the account connected (its WordPress site) refused or failed; the message says how",
    503: "DynamoDB is throttling; retry later",
}


@dataclass(frozen=True)
class RouteInfo:
    """What the gate needs to know of a route beyond powertools' own record."""

    reads_body: bool
    accepts: tuple[str, ...]
    public: bool
    too_large: str = ""  # added to a 413's message: how to send a larger body (in parts)
    idempotent: bool = False  # a keyed POST: runs once per Idempotency-Key (shared/api/idempotency.py)


#: (method, path as registered) -> RouteInfo, filled by ``route``.
ROUTES: dict[tuple[str, str], RouteInfo] = {}


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers
    )


def job_started(task_id: str, what: str) -> Response:
    """``202 {success, task_id, message}`` for a started job (the seed's answer to an AI action).

    ``what`` says what runs, e.g. "Clustering 12 keyword(s)"; the message adds where to follow it.
    """
    return json_response(
        202,
        {"success": True, "task_id": task_id, "message": f"{what} started; follow it at /v1/jobs/{task_id}"},
    )


def _header(headers: dict[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) and value else value)
    return None


def _api_key(headers: dict[str, Any]) -> str | None:
    auth = _header(headers, "authorization") or ""
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return _header(headers, "x-api-key") or None


def authenticate(app: APIGatewayRestResolver, next_middleware: Callable[..., Response]) -> Response:
    """Resolve the caller's account from the API key (when ``gate`` has not already)."""
    if "account_id" in app.context or app.current_event.path.rstrip("/") in PUBLIC_PATHS:
        return next_middleware(app)
    account_id = account_for_key(_api_key(dict(app.current_event.headers or {})))
    app.append_context(account_id=account_id)
    logger.append_keys(account_id=account_id)
    return next_middleware(app)


def current_account(router: Router | APIGatewayRestResolver) -> str:
    return str(router.context["account_id"])


def _location(loc: Any, message: str) -> str:
    if "JSON" in message:
        return "body"
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


def _request_id(event: dict[str, Any]) -> str | None:
    return (event.get("requestContext") or {}).get("requestId")


def engine_error_response(
    exc: EngineError, request_id: str | None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(status, body, headers) of ``exc``; a 5xx keeps only its type name and the request id."""
    name = type(exc).__name__
    if exc.status_code >= 500 and not getattr(exc, "public_message", False):
        logger.exception(f"{name} answered as {exc.status_code}", exc_info=exc)
        return exc.status_code, internal_error_body(name, request_id), {}
    errors = exc.errors if isinstance(exc, RequestInvalid) else None
    headers = {"Allow": ", ".join(exc.allow)} if isinstance(exc, MethodNotAllowed) else {}
    return exc.status_code, error_body(name, str(exc), errors), headers


# ---------------------------------------------------------------- the gate
def gate(app: APIGatewayRestResolver, event: dict[str, Any]) -> dict[str, Any] | None:
    """Check ``event`` before powertools reads it: ``None`` to go on, else the proxy response."""
    try:
        account_id = _gate(app, event)
    except EngineError as exc:
        status, body, headers = engine_error_response(exc, _request_id(event))
        return _proxy_response(status, body, headers)
    except Exception as exc:  # never an exception's text in a response
        logger.exception("request gate failed", exc_info=exc)
        return _proxy_response(500, internal_error_body("InternalError", _request_id(event)), {})
    if account_id is not None:
        app.append_context(account_id=account_id)
        logger.append_keys(account_id=account_id)
    return None


def _gate(app: APIGatewayRestResolver, event: dict[str, Any]) -> str | None:
    method = str(event.get("httpMethod") or "").upper()
    path = str(event.get("path") or "/")
    matches = [r for r in app._static_routes + app._dynamic_routes if r.rule.match(path)]
    if not matches:
        raise NotFound(f"no route for {path}")
    allowed = sorted({r.method for r in matches})
    chosen = next((r for r in matches if r.method == method), None)
    if chosen is None:
        raise MethodNotAllowed(f"{method} is not allowed on {path}; use {', '.join(allowed)}", allowed)
    info = ROUTES.get((chosen.method, chosen.path), RouteInfo(False, JSON_TYPES, False))
    if info.public or path.rstrip("/") in PUBLIC_PATHS:
        return None
    if body_size(event) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is over {MAX_BODY_BYTES // (1024 * 1024)} MB{info.too_large}")
    headers = {**(event.get("multiValueHeaders") or {}), **(event.get("headers") or {})}
    account_id = account_for_key(_api_key(headers))
    if info.idempotent:
        idempotency_key(event)
    if info.reads_body:
        kind = content_type(headers)
        if kind and kind not in info.accepts:
            raise UnsupportedMediaType(f"unsupported content type {kind!r}: send {' or '.join(info.accepts)}")
        is_json = kind in JSON_TYPES or (not kind and JSON_TYPES[0] in info.accepts)
        text = decoded_body(event) if is_json else None  # other types: the route reads the bytes
        if text is not None:
            parse_json_body(text)
    return account_id


def _proxy_response(status: int, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    all_headers = {"Content-Type": content_types.APPLICATION_JSON, **headers}
    return {
        "statusCode": status,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


# ---------------------------------------------------------------- the resolver
def build_app() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)
    app.use(middlewares=[authenticate, csv_lists])

    @app.exception_handler(EngineError)
    def engine_error(exc: EngineError) -> Response:
        status, body, headers = engine_error_response(exc, _request_id(app.current_event.raw_event))
        return json_response(status, body, headers)

    @app.exception_handler(RequestValidationError)
    def invalid_request(exc: RequestValidationError) -> Response:
        errors = [
            {"field": _location(e.get("loc", ()), str(e.get("msg", ""))), "message": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        return engine_error(invalid_fields(errors))

    @app.exception_handler(RequestUnsupportedContentType)
    def unsupported_type(exc: RequestUnsupportedContentType) -> Response:
        return engine_error(UnsupportedMediaType("unsupported content type: send application/json"))

    @app.exception_handler(Exception)
    def unexpected(exc: Exception) -> Response:
        logger.exception("unhandled error", exc_info=exc)
        body = internal_error_body("InternalError", _request_id(app.current_event.raw_event))
        return json_response(500, body)

    @app.not_found
    def not_found(exc: NotFoundError) -> Response:
        return engine_error(NotFound(f"no route for {app.current_event.path}"))

    @route(app, "GET", "/health", public=True, summary="Liveness check (no key needed)")
    def health() -> dict[str, Any]:
        return {"ok": True}

    return app


def _error_response(status: int) -> dict[str, Any]:
    return {
        "description": STATUS_TEXT[status],
        "content": {content_types.APPLICATION_JSON: {"model": ErrorBody}},
    }


def route(
    router: Router | APIGatewayRestResolver,
    method: str,
    path: str,
    *,
    status: int = 200,
    also: tuple[int, ...] = (),
    accepts: tuple[str, ...] = JSON_TYPES,
    public: bool = False,
    too_large: str = "",
    **kwargs: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a route and document every status it answers with.

    powertools matches it with or without the trailing slash the seed's URLs have. ``status`` is
    the success status; ``also`` adds the statuses the route itself raises (e.g. 400, 402, 404).
    The rest is derived: 401/500/503 for every keyed route, 400/413/415/422 for one that reads a
    body, 422 for one with path or query parameters, 404 for one with path parameters, 400/409 for
    a keyed POST, which runs once per ``Idempotency-Key`` (the header is documented by ``openapi``).
    """
    rule = path.rstrip("/") or "/"
    idempotent = method.upper() == "POST" and not public

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        hints = typing.get_type_hints(func)
        params = [p for p in inspect.signature(func).parameters if p in hints]
        reads_body = accepts != JSON_TYPES or any(
            inspect.isclass(hints[p]) and issubclass(hints[p], BaseModel) for p in params
        )
        has_path = "<" in rule
        codes = {status, *also}
        if not public:
            codes |= {401, 500, 503}
        if reads_body:
            codes |= {400, 413, 415, 422}
        if params and (has_path or not reads_body or len(params) > 1):
            codes.add(422)
        if has_path:
            codes.add(404)
        if idempotent:
            codes |= {400, 409}
        responses: dict[int, Any] = {
            code: {"description": STATUS_TEXT[code]} if code < 400 else _error_response(code)
            for code in sorted(codes)
        }
        ROUTES[(method.upper(), rule)] = RouteInfo(reads_body, accepts, public, too_large, idempotent)
        if idempotent:  # the outermost of the route's own middlewares: a replay runs none of them
            kwargs["middlewares"] = [idempotent_route, *(kwargs.get("middlewares") or [])]
        return router.route(rule, method, responses=responses, **kwargs)(func)

    return register
