"""``Accept: text/csv`` on the list routes: the same page of results, as CSV.

``csv_lists`` is a resolver middleware (``app.use(middlewares=[csv_lists])``). When a GET of one of
``CSV_LIST_PATHS`` answers 200 with the JSON page ``{"results": [...], "next": ...}`` and the
request's ``Accept`` header prefers ``text/csv`` to ``application/json``, the response becomes
the results as CSV (one row per result, one column per field, lists joined with ", ", objects as
JSON), with the ``next`` cursor in an ``X-Next-After`` header (absent on the last page). Any
other request, and every error, stays JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from shared.services.exports import CSV_TYPE, csv_text

NEXT_HEADER = "X-Next-After"
CSV_MEDIA = "text/csv"
#: The list routes that answer CSV on request (paths without the trailing slash).
CSV_LIST_PATHS = frozenset(
    {
        "/v1/planner/keywords",
        "/v1/planner/clusters",
        "/v1/planner/ideas",
        "/v1/writer/tasks",
        "/v1/writer/content",
    }
)


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value.strip())))
            except ValueError:
                return 0.0
    return 1.0


def prefers_csv(accept: str | None) -> bool:
    """True when ``Accept`` asks for text/csv with a higher quality than application/json.

    Wildcards (``*/*``, ``text/*``) choose nothing: JSON stays the default; a tie is JSON.
    """
    csv_q = json_q = 0.0
    for part in (accept or "").split(","):
        media, *params = part.split(";")
        media = media.strip().lower()
        if media == CSV_MEDIA:
            csv_q = max(csv_q, _quality(params))
        elif media == "application/json":
            json_q = max(json_q, _quality(params))
    return csv_q > 0 and csv_q > json_q


def _accept(app: APIGatewayRestResolver) -> str | None:
    for name, value in (app.current_event.headers or {}).items():
        if name.lower() == "accept":
            return str(value)
    return None


def csv_page(body: dict[str, Any]) -> Response[str]:
    """A ``{"results", "next"}`` page as a CSV response with ``X-Next-After``."""
    headers = {"Vary": "Accept"}
    if body.get("next") is not None:
        headers[NEXT_HEADER] = str(body["next"])
    rows = [r for r in body.get("results") or [] if isinstance(r, dict)]
    return Response(status_code=200, content_type=CSV_TYPE, body=csv_text(rows), headers=headers)


def csv_lists(app: APIGatewayRestResolver, next_middleware: Callable[..., Response]) -> Response:
    """The middleware: a list route's JSON page as CSV when the request prefers text/csv."""
    response = next_middleware(app)
    event = app.current_event
    wanted = (
        event.http_method == "GET" and event.path.rstrip("/") in CSV_LIST_PATHS and prefers_csv(_accept(app))
    )
    body = response.body
    if wanted and isinstance(body, str) and response.is_json():
        try:
            body = json.loads(body)
        except ValueError:
            return response
    if not wanted or response.status_code != 200 or not isinstance(body, dict) or "results" not in body:
        return response
    return csv_page(body)
