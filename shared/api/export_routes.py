"""Export routes: keywords as CSV/XLSX, idea briefs as Markdown, an article as HTML/Markdown, and
the content-plan report (one HTML page).

A keyword or idea export larger than one response (Lambda's 6 MB) comes in pages: the response's
``X-Next-After`` header is the ``after`` to send for the next page (absent on the last one).
XLSX comes base64-encoded from the Lambda; API Gateway turns it into binary when the request's
``Accept`` is the XLSX media type (``BinaryMediaTypes`` in template.yaml).
"""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router

from shared.api.resolver import current_account, route
from shared.services.exports import (
    HTML_TYPE,
    XLSX_TYPE,
    Export,
    article_html,
    article_markdown,
    ideas_markdown,
    keywords_csv,
    keywords_xlsx,
)
from shared.services.report import report_html

NEXT_HEADER = "X-Next-After"
_TEXT = {"schema": {"type": "string"}}
_NEXT = {
    NEXT_HEADER: {
        "description": "Present when more rows remain: send it as `after` for the next page",
        "schema": {"type": "integer"},
    }
}


class ExportRouter(Router):
    """A Router whose routes may document their success body by media type (``media=``).

    ``resolver.route`` documents every status; the success status is JSON by default, which a
    file is not: ``media`` replaces its content (and ``headers`` adds its response headers).
    """

    def route(  # type: ignore[override]
        self,
        rule: str,
        method: Any,
        *,
        media: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        responses: dict[int, Any] | None = None,
        status_code: int = 200,
        **kwargs: Any,
    ) -> Any:
        if media is not None and responses is not None and status_code in responses:
            success = {**responses[status_code], "content": media}
            if headers:
                success["headers"] = headers
            responses = {**responses, status_code: success}
        return super().route(rule, method, responses=responses, status_code=status_code, **kwargs)


router = ExportRouter()
Format = Literal["csv", "xlsx"]


def file_response(export: Export, inline: bool = False) -> Response[str]:
    """The export as a 200: its media type, a file name, ``X-Next-After`` when more remain."""
    disposition = "inline" if inline else "attachment"
    headers = {"Content-Disposition": f'{disposition}; filename="{export.filename}"'}
    if export.next_after is not None:
        headers[NEXT_HEADER] = str(export.next_after)
    binary = isinstance(export.body, bytes)
    body = base64.b64encode(export.body).decode("ascii") if isinstance(export.body, bytes) else export.body
    response: Response[str] = Response(200, content_type=export.media_type, body=body, headers=headers)
    response.base64_encoded = binary  # a file's bytes travel base64-encoded in the proxy response
    return response


@route(
    router,
    "GET",
    "/v1/export/keywords",
    also=(400, 404),
    media={"text/csv": _TEXT, XLSX_TYPE: {"schema": {"type": "string", "contentEncoding": "base64"}}},
    headers=_NEXT,
    summary="Keywords with their cluster and pillar, as CSV or XLSX (a page of at most ~5 MB)",
)
def export_keywords(
    format: Annotated[Format, Query(description="csv, or xlsx (sheets Pillars, Clusters, Keywords)")] = "csv",
    site_id: int | None = None,
    sector_id: int | None = None,
    after: Annotated[int | None, Query(description="The X-Next-After of the previous page")] = None,
) -> Response[str]:
    account_id = current_account(router)
    build = keywords_xlsx if format == "xlsx" else keywords_csv
    return file_response(build(account_id, site_id, sector_id, after))


@route(
    router,
    "GET",
    "/v1/export/ideas",
    also=(404,),
    media={"text/markdown": _TEXT},
    headers=_NEXT,
    summary="Content ideas (of one cluster) as Markdown briefs",
)
def export_ideas(
    format: Annotated[Literal["md"], Query(description="md (Markdown)")] = "md",
    cluster_id: int | None = None,
    after: Annotated[int | None, Query(description="The X-Next-After of the previous page")] = None,
) -> Response[str]:
    return file_response(ideas_markdown(current_account(router), cluster_id, after))


@route(
    router,
    "GET",
    "/v1/export/content/<task_id>",
    media={"text/html": _TEXT, "text/markdown": _TEXT},
    summary="One article as an HTML page, or as Markdown with YAML front matter",
)
def export_content(
    task_id: int,
    format: Annotated[
        Literal["html", "md"], Query(description="html, or md (Markdown + front matter)")
    ] = "html",
) -> Response[str]:
    account_id = current_account(router)
    build = article_markdown if format == "md" else article_html
    return file_response(build(account_id, task_id))


@route(
    router,
    "GET",
    "/v1/report",
    media={"text/html": _TEXT},
    summary="The content-plan report: treemap, cluster table, job history (one offline HTML page)",
)
def report() -> Response[str]:
    body = report_html(current_account(router))
    return Response(status_code=200, content_type=HTML_TYPE, body=body)
