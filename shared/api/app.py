"""The HTTP API: the resolver with every router included, behind the request gate."""

from __future__ import annotations

from typing import Any

from shared.api import (
    account_routes,
    ai_settings_routes,
    corrections_routes,
    export_routes,
    idea_review_routes,
    ideas_routes,
    import_routes,
    jobs_routes,
    openapi,
    planner_routes,
    site_routes,
    writer_routes,
)
from shared.api.resolver import build_app, gate

app = build_app()
app.include_router(planner_routes.router)
app.include_router(import_routes.router)
app.include_router(jobs_routes.router)
app.include_router(ideas_routes.router)
app.include_router(idea_review_routes.router)
app.include_router(writer_routes.router)
app.include_router(ai_settings_routes.router)
app.include_router(account_routes.router)
app.include_router(corrections_routes.router)
app.include_router(export_routes.router)
app.include_router(site_routes.router)
openapi.register(app)

_FORM = "application/x-www-form-urlencoded"


def resolve(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Resolve an API Gateway event. A JSON body sent as curl's default form type is read as JSON."""
    body = event.get("body") or ""
    body = body.lstrip() if isinstance(body, str) and not event.get("isBase64Encoded") else ""
    for headers in (event.get("headers") or {}, event.get("multiValueHeaders") or {}):
        for name in list(headers.keys()):
            value = headers[name]
            current = value[0] if isinstance(value, list) and value else value
            if name.lower() == "content-type" and str(current).startswith(_FORM) and body[:1] in ("{", "["):
                headers[name] = ["application/json"] if isinstance(value, list) else "application/json"
    early = gate(app, event)
    if early is not None:
        return early
    return app.resolve(event, context)
