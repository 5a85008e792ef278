"""``POST /v1/planner/keywords/import/``: a keyword-tool export file in, keywords stored.

The body is the file itself (``text/csv``, ``text/tab-separated-values``, ``text/plain`` for
UTF-8 text, ``application/octet-stream`` for any encoding, e.g. Keyword Planner's UTF-16, which
API Gateway hands on base64-encoded as a binary type) or a ``multipart/form-data`` upload (binary
too) with the file in a part named ``file`` (or the first part with a filename). ``site_id`` and
``sector_id`` come as query parameters. The answer is ``201`` with the import report
(``services.keyword_import.ImportReport``).
"""

from __future__ import annotations

import base64
import binascii
import io
from typing import Annotated, Any

import multipart
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router

from shared.api.contract import MAX_BODY_BYTES
from shared.api.resolver import current_account, json_response, route
from shared.errors import BadRequest, RequestInvalid, UnsupportedMediaType
from shared.services.keyword_import import MAX_IMPORT_ROWS, PARTS_HINT, import_export
from shared.services.sites import check_scope

router = Router()

MULTIPART = "multipart/form-data"
FILE_TYPES = ("text/csv", "text/tab-separated-values", "text/plain", "application/octet-stream")
IMPORT_TYPES = (*FILE_TYPES, MULTIPART)
FILE_FIELD = "file"
QUERY = frozenset({"site_id", "sector_id"})
_CURL_HINT = (
    "e.g. curl -F file=@keywords.csv, or send the file itself as the body with Content-Type: text/csv"
)
ImportId = Annotated[int | None, Query(gt=0, le=2**53 - 1, description="Import into this site / sector")]

_FILE_SCHEMA = {
    "type": "string",
    "description": "The export as the keyword tool wrote it (any encoding; UTF-16 is sent as binary)",
    "pattern": r"\S",
}
REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "description": (
        "A Semrush, Ahrefs, Moz, Search Console or Keyword Planner export, or a list with one "
        "keyword per line, recognised by its header row; at most "
        f"{MAX_BODY_BYTES // (1024 * 1024)} MB and {MAX_IMPORT_ROWS:,} rows per request. "
        "Send UTF-8 text as text/csv, text/tab-separated-values or text/plain; a file in another "
        "encoding (Keyword Planner's UTF-16) as application/octet-stream or multipart/form-data, "
        "which reach the API byte for byte. Bad rows are skipped and listed with their row numbers."
    ),
    "content": {
        **{kind: {"schema": dict(_FILE_SCHEMA)} for kind in FILE_TYPES},
        MULTIPART: {
            "schema": {
                "type": "object",
                "required": [FILE_FIELD],
                "properties": {FILE_FIELD: dict(_FILE_SCHEMA)},
            },
            "encoding": {FILE_FIELD: {"contentType": ", ".join(FILE_TYPES)}},
        },
    },
}


def request_bytes(event: dict[str, Any]) -> bytes:
    """The body as sent: base64-decoded when API Gateway encoded it (a binary type)."""
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("malformed request: the body is not valid base64") from None
    return raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)


def uploaded_file(content_type: str, body: bytes) -> bytes:
    """The file of a ``multipart/form-data`` body: the part named ``file``, else the first with a
    filename. A body without a boundary, malformed, or without a file is a 400 saying so."""
    _, options = multipart.parse_options_header(content_type)
    boundary = options.get("boundary")
    if not boundary:
        raise BadRequest(f"malformed request: multipart/form-data without a boundary; {_CURL_HINT}")
    limit = len(body) + 1024
    parser = multipart.MultipartParser(
        io.BytesIO(body), boundary, content_length=len(body), spool_limit=limit, memory_limit=limit
    )
    chosen: bytes | None = None
    try:
        for part in parser:
            if part.name == FILE_FIELD or (chosen is None and part.filename):
                chosen = part.raw
                if part.name == FILE_FIELD:
                    break
    except multipart.MultipartError as exc:
        raise BadRequest(f"malformed request: the multipart/form-data body cannot be read ({exc})") from None
    if chosen is None:
        message = f"no file in the form: send the export in a part named {FILE_FIELD!r}"
        raise RequestInvalid(f"{message} ({_CURL_HINT})", [{"field": FILE_FIELD, "message": message}])
    return chosen


def check_query(event: dict[str, Any]) -> None:
    """An unknown query parameter (``?sector=3`` for ``sector_id``) is a 422, never ignored: the
    file would otherwise land outside the site or sector meant."""
    unknown = sorted(
        set(event.get("multiValueQueryStringParameters") or event.get("queryStringParameters") or {}) - QUERY
    )
    if unknown:
        message = f"unknown query parameter; use {' or '.join(sorted(QUERY))}"
        raise RequestInvalid(
            f"invalid request: {', '.join(map(repr, unknown))}: {message}",
            [{"field": name, "message": message} for name in unknown],
        )


@route(
    router,
    "POST",
    "/v1/planner/keywords/import/",
    status=201,
    also=(404,),
    accepts=IMPORT_TYPES,
    too_large="; " + PARTS_HINT.format(rows=MAX_IMPORT_ROWS),
    summary="Import a keyword-tool export file (CSV/TSV/TXT body or multipart upload)",
    openapi_extensions={"requestBody": REQUEST_BODY},
)
def import_keywords(site_id: ImportId = None, sector_id: ImportId = None) -> Any:
    account_id = current_account(router)
    event = router.current_event
    check_query(event.raw_event)
    check_scope(account_id, site_id, sector_id)
    data = request_bytes(event.raw_event)
    kind = str(event.headers.get("content-type") or "")
    media_type = kind.split(";")[0].strip().lower()
    if media_type and media_type not in IMPORT_TYPES:  # the gate's check, for any header case
        raise UnsupportedMediaType(
            f"unsupported content type {media_type!r}: send {' or '.join(IMPORT_TYPES)}"
        )
    if media_type == MULTIPART:
        data = uploaded_file(kind, data)
    report = import_export(account_id, data, site_id, sector_id)
    return json_response(201, report.as_body())
