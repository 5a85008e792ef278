"""The API resolver: one place for authentication, error mapping and route registration.

Every route is scoped to the account bound to the caller's API key (``Authorization: Bearer``
or ``x-api-key``); the account never comes from the request body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.router import Router

from shared.errors import EngineError
from shared.observability import logger
from shared.services.accounts import account_for_key

PUBLIC_PATHS = ("/health",)


def json_response(status: int, body: dict[str, Any]) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def job_started(task_id: str, what: str) -> Response:
    """``202 {success, task_id, message}`` for a started job (the seed's answer to an AI action).

    ``what`` says what runs, e.g. "Clustering 12 keyword(s)"; the message adds where to follow it.
    """
    return json_response(
        202,
        {"success": True, "task_id": task_id, "message": f"{what} started; follow it at /v1/jobs/{task_id}"},
    )


def _api_key(app: APIGatewayRestResolver) -> str | None:
    headers = {k.lower(): v for k, v in (app.current_event.headers or {}).items()}
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return headers.get("x-api-key") or None


def authenticate(app: APIGatewayRestResolver, next_middleware: Callable[..., Response]) -> Response:
    """Resolve the caller's account from the API key before any route runs."""
    if app.current_event.path.rstrip("/") in PUBLIC_PATHS:
        return next_middleware(app)
    account_id = account_for_key(_api_key(app))
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


def build_app() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)
    app.use(middlewares=[authenticate])

    @app.exception_handler(EngineError)
    def engine_error(exc: EngineError) -> Response:
        return json_response(
            exc.status_code, {"success": False, "error": type(exc).__name__, "message": str(exc)}
        )

    @app.exception_handler(RequestValidationError)
    def invalid_request(exc: RequestValidationError) -> Response:
        errors = [
            {"field": _location(e.get("loc", ()), str(e.get("msg", ""))), "message": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return json_response(
            422,
            {
                "success": False,
                "error": "RequestInvalid",
                "message": f"invalid request: {summary}",
                "errors": errors,
            },
        )

    @app.exception_handler(ValueError)
    def bad_value(exc: ValueError) -> Response:
        # e.g. a body that is not JSON, or a multipart body without a boundary
        return json_response(
            400, {"success": False, "error": "BadRequest", "message": f"malformed request: {exc}"}
        )

    @app.not_found
    def not_found(exc: NotFoundError) -> Response:
        path = app.current_event.path
        return json_response(404, {"success": False, "error": "NotFound", "message": f"no route for {path}"})

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"ok": True}

    return app


def route(
    router: Router, method: str, path: str, **kwargs: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a route; powertools matches it with or without the trailing slash the seed's URLs have."""
    return router.route(path.rstrip("/") or "/", method, **kwargs)
