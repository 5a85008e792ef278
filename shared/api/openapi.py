"""The API document: OpenAPI 3.1 generated from the routes, at ``GET /v1/openapi.json``, and a
Swagger UI at ``GET /docs`` (both without a key).

powertools generates the paths, parameters and request bodies from the routes and their pydantic
models; every route declares the statuses it answers with (``resolver.route``), each error with
the one error schema (``ErrorBody``). The generated document is then corrected in one place:
powertools' own 422 schema (``HTTPValidationError``, unlike the real body) is dropped, public
routes need no key, the API-key schemes are declared, and every idempotent route (a keyed POST,
``RouteInfo.idempotent``) gets the optional ``Idempotency-Key`` header and, on its successes, the
``Idempotent-Replayed`` response header (its 409 comes from ``resolver.route``). The Swagger UI
page embeds the document and the Swagger UI script and stylesheet that powertools ships, so it
loads nothing from elsewhere.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from shared.api.contract import MAX_BODY_BYTES
from shared.api.idempotency import OPENAPI_PARAMETER, OPENAPI_REPLAYED_HEADER, REPLAYED_HEADER
from shared.api.resolver import ROUTES, route

TITLE = "IGNY8 API"
VERSION = "1.0.0"
DESCRIPTION = f"""AI engine for SEO content planning: keywords -> clusters -> ideas -> articles.

Every request carries an API key bound to one account: `Authorization: Bearer <key>` or
`x-api-key: <key>`; every read is scoped to that account. Bodies are JSON, at most
{MAX_BODY_BYTES // (1024 * 1024)} MB (the Lambda proxy integration's limit).

Every 4xx/5xx body has one shape, `ErrorBody`: `{{success: false, error, message, errors?}}`;
`errors` (422 only) names each invalid field. A method a path does not have is a 405 with an
`Allow` header; an unknown path a 404.

Every POST accepts an optional `Idempotency-Key` header (1 to 255 printable ASCII characters):
retrying a request with the same key and the same body within 24 h returns the first response
again, with `Idempotent-Replayed: true`, and does nothing twice. The same key with another body,
or while its first request still runs, is a 409; a request that failed is not remembered, so its
key may be retried.
"""


def security_schemes() -> dict[str, Any]:
    """The two API-key schemes. powertools' OpenAPI models (~90 ms of pydantic) load only when the
    document is built, not at the API's cold start."""
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer

    return {
        "bearerAuth": HTTPBearer(description="`Authorization: Bearer <key>`", bearerFormat="API key"),
        "apiKeyHeader": APIKey(name="x-api-key", **{"in": APIKeyIn.header}, description="`x-api-key: <key>`"),
    }


SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"apiKeyHeader": []}]
_UNUSED_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def base_path(event: dict[str, Any]) -> str:
    """The stage prefix of the URL the caller used: on API Gateway's own endpoint
    (``*.amazonaws.com/<stage>/...``) the stage is in the path; on a custom domain or locally not."""
    context = event.get("requestContext") or {}
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    stage = context.get("stage")
    if stage and str(headers.get("host", "")).endswith(".amazonaws.com"):
        return f"/{stage}"
    return ""


def document(app: APIGatewayRestResolver, server: str = "/") -> dict[str, Any]:
    return json.loads(_document_json(app, server))


@cache
def _document_json(app: APIGatewayRestResolver, server: str) -> str:
    from aws_lambda_powertools.event_handler.openapi.models import Server

    schema = app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        openapi_version="3.1.0",
        description=DESCRIPTION,
        servers=[Server(url=server)],
        security_schemes=security_schemes(),
        security=SECURITY,
    )
    doc = json.loads(schema)
    idempotent = {
        (method.lower(), re.sub(r"<(\w+)>", r"{\1}", rule))
        for (method, rule), info in ROUTES.items()
        if info.idempotent
    }
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.get("responses", {})
            if (method, path) in idempotent:
                operation.setdefault("parameters", []).append(dict(OPENAPI_PARAMETER))
                for code, response in responses.items():
                    if int(code) < 400:
                        response.setdefault("headers", {})[REPLAYED_HEADER] = OPENAPI_REPLAYED_HEADER
            for code in list(responses):
                ref = json.dumps(responses[code])
                if any(f'/{name}"' in ref for name in _UNUSED_SCHEMAS):
                    del responses[code]
            if "401" not in responses:
                operation["security"] = []
    schemas = doc.get("components", {}).get("schemas", {})
    for name in _UNUSED_SCHEMAS:
        schemas.pop(name, None)
    return json.dumps(doc)


@cache
def _swagger_assets() -> tuple[str, str]:
    from aws_lambda_powertools.event_handler.openapi import swagger_ui

    ui = Path(swagger_ui.__file__).parent
    js = (ui / "swagger-ui-bundle.min.js").read_text(encoding="utf-8")
    css = (ui / "swagger-ui.min.css").read_text(encoding="utf-8")
    return js, css


def register(app: APIGatewayRestResolver) -> None:
    """Add ``GET /v1/openapi.json`` and ``GET /docs`` to ``app`` (after every other route)."""

    @route(app, "GET", "/v1/openapi.json", public=True, include_in_schema=False)
    def openapi_json() -> Any:
        server = base_path(app.current_event.raw_event) or "/"
        return Response(status_code=200, content_type="application/json", body=_document_json(app, server))

    @route(app, "GET", "/docs", public=True, include_in_schema=False)
    def swagger_ui() -> Any:
        server = base_path(app.current_event.raw_event) or "/"
        js, css = _swagger_assets()
        spec = _document_json(app, server).replace("</", "<\\/")
        from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

        html = generate_swagger_html(spec, js, css, "", None, persist_authorization=False)
        return Response(status_code=200, content_type="text/html; charset=utf-8", body=html)
