"""Reading a keyword-tool export and importing it through the API.

- ``upload_export`` (``igny8 import``): the file itself goes to ``POST /v1/planner/keywords/import/``,
  cut into parts under one request's limits (``shared.keyword_files.split_export``: each part with
  the header row), and the API's reports are merged with row numbers of the original file.
- ``read_export`` / ``import_rows`` (``igny8 cluster``, ``igny8 run``): the file parsed here and
  posted as JSON in chunks, which gives the commands the created ids by keyword.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from igny8_cli.client import Api, ApiError, HttpTransport, InProcessTransport

CHUNK = 5_000  # POST /v1/planner/keywords/ takes at most 5,000 keywords per request
SHOWN_PROBLEMS = 20
IMPORT_PATH = "/v1/planner/keywords/import/"
#: Bytes per uploaded part. The API takes 6 MB, but the Lambda request payload (6 MB) also holds
#: the headers and the body JSON-escaped (a newline or a quote takes two bytes), and a whole file
#: that is not UTF-8 goes base64-encoded (4/3 larger): 4 MB stays under it.
PART_BYTES = 4 * 1024 * 1024
#: Rows per uploaded part (the API takes 100,000): a part stays well within API Gateway's 29 s
#: (10,000 rows take ~11 s on the local stack; see bench/import_scale.py).
PART_ROWS = 10_000


def read_file(path: str) -> bytes:
    """FILE's bytes; a missing file, a folder or an unreadable file is a one-line error."""
    file = Path(path)
    if not file.exists():
        raise click.ClickException(f"{path}: no such file")
    if file.is_dir():
        raise click.ClickException(f"{path}: is a folder, not a keyword export")
    try:
        return file.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot read the file ({exc.strerror or exc})") from None


def read_export(path: str) -> Any:
    """Parse FILE with ``shared.keyword_files``; a file that cannot be used is one-line error."""
    from shared.keyword_files import ExportError, parse_export

    data = read_file(path)
    try:
        parsed = parse_export(data)
    except ExportError as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    if not parsed.rows:
        detail = ""
        if parsed.errors:
            first = parsed.errors[0]
            detail = f" ({len(parsed.errors)} bad row(s), first: row {first.row}: {first.message})"
        raise click.ClickException(f"{path}: no usable keyword rows{detail}")
    return parsed


def describe_export(path: str, parsed: Any, echo: Callable[[str], None]) -> None:
    """The parser's findings: format, rows, columns, notes, bad rows (with row numbers), duplicates."""
    delimiter = {",": "comma", ";": "semicolon", "\t": "tab"}.get(parsed.delimiter, repr(parsed.delimiter))
    echo(
        f"{Path(path).name}: {parsed.format.value} export ({parsed.encoding}, {delimiter}-separated), "
        f"{len(parsed.rows)} keyword row(s), {len(parsed.errors)} bad row(s), "
        f"{len(parsed.duplicates)} duplicate row(s)"
    )
    if parsed.columns:
        echo("  columns: " + ", ".join(f"{name} <- {header}" for name, header in parsed.columns.items()))
    for note in parsed.notes:
        echo(f"  note: {note}")
    if parsed.errors:
        echo("  bad rows (skipped):")
        for error in parsed.errors[:SHOWN_PROBLEMS]:
            echo(f"    row {error.row}: {error.message}")
        if len(parsed.errors) > SHOWN_PROBLEMS:
            echo(f"    ... and {len(parsed.errors) - SHOWN_PROBLEMS} more bad row(s)")
    if parsed.duplicates:
        echo("  duplicates (skipped):")
        for dup in parsed.duplicates[:SHOWN_PROBLEMS]:
            echo(f"    row {dup.row}: {dup.keyword!r} repeats row {dup.first_row}")
        if len(parsed.duplicates) > SHOWN_PROBLEMS:
            echo(f"    ... and {len(parsed.duplicates) - SHOWN_PROBLEMS} more duplicate row(s)")


def api_norm(keyword: str) -> str:
    """The API's duplicate rule (shared.services.keywords.normalize_keyword)."""
    return " ".join(keyword.lower().split())


@dataclass
class Imported:
    site: dict[str, Any] | None = None
    sector: dict[str, Any] | None = None
    created: int = 0
    duplicates: list[str] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)  # API-normalised keyword -> keyword id


def ensure_site(api: Api, name: str, reuse: bool = True) -> dict[str, Any]:
    if reuse:
        for site in api.call("GET", "/v1/planner/sites/").get("results") or []:
            if api_norm(site["name"]) == api_norm(name):
                return dict(site)
    return dict(api.call("POST", "/v1/planner/sites/", {"name": name}))


def ensure_sector(api: Api, name: str, site_id: int, reuse: bool = True) -> dict[str, Any]:
    if reuse:
        for sector in api.call("GET", "/v1/planner/sectors/").get("results") or []:
            if int(sector["site_id"]) == int(site_id) and api_norm(sector["name"]) == api_norm(name):
                return dict(sector)
    return dict(api.call("POST", "/v1/planner/sectors/", {"name": name, "site_id": site_id}))


def import_rows(
    api: Api,
    rows: list[Any],
    site_id: int | None,
    sector_id: int | None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> Imported:
    """POST the rows in chunks of at most ``CHUNK``; collects the created ids by keyword."""
    outcome = Imported()
    base: dict[str, Any] = {}
    if site_id is not None:
        base["site_id"] = site_id
    if sector_id is not None:
        base["sector_id"] = sector_id
    for start in range(0, len(rows), CHUNK):
        chunk = [row.as_keyword_input() for row in rows[start : start + CHUNK]]
        answer = api.call("POST", "/v1/planner/keywords/", {"keywords": chunk, **base})
        outcome.created += int(answer.get("created") or 0)
        outcome.duplicates.extend(answer.get("duplicates") or [])
        for keyword in answer.get("results") or []:
            outcome.ids.setdefault(api_norm(keyword["keyword"]), int(keyword["id"]))
        if on_chunk is not None:
            on_chunk(min(start + CHUNK, len(rows)), len(rows))
    return outcome


# ---------------------------------------------------------------- file upload (igny8 import)
@dataclass
class Uploaded:
    """The API's import reports of every part of one file, merged (row numbers of the file)."""

    format: str = ""
    encoding: str = ""
    parts: int = 0
    rows: int = 0
    created: int = 0
    already_stored: int = 0
    repeated_in_file: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    errors_total: int = 0
    notes: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)


def _answer(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return {"message": " ".join(raw.decode("utf-8", "replace").split())[:300]}


def post_file(
    api: Api, data: bytes, content_type: str, query: dict[str, str] | None = None
) -> dict[str, Any]:
    """POST one file (part) as the raw body; the API's JSON answer, or ``ApiError`` for a 4xx/5xx."""
    transport = api.transport
    if isinstance(transport, InProcessTransport):
        from local_stack.apigw import call_api, proxy_event

        headers = {**transport.headers, "content-type": content_type, "accept": "application/json"}
        response = call_api(proxy_event("POST", IMPORT_PATH, data, headers, query))
        status, payload = int(response["statusCode"]), _answer(str(response.get("body") or "").encode())
    elif isinstance(transport, HttpTransport):
        url = transport.base_url + IMPORT_PATH + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {**transport.headers, "content-type": content_type, "accept": "application/json"}
        request = urllib.request.Request(url, data=data, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=transport.timeout) as reply:  # noqa: S310
                status, payload = int(reply.status), _answer(reply.read())
        except urllib.error.HTTPError as exc:
            with exc:
                status, payload = int(exc.code), _answer(exc.read())
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ApiError(
                0, f"cannot reach the API at {transport.base_url}: {reason}", "POST", IMPORT_PATH
            ) from None
    else:  # pragma: no cover - the two transports above are all the CLI has
        raise click.ClickException(f"cannot upload a file through {transport.description}")
    if status >= 400:
        message = payload.get("message") if isinstance(payload, dict) else None
        raise ApiError(status, str(message or "the API answered with an error"), "POST", IMPORT_PATH, payload)
    return dict(payload or {})


def upload_export(
    api: Api,
    path: str,
    site_id: int | None = None,
    sector_id: int | None = None,
    on_part: Callable[[int, int], None] | None = None,
) -> Uploaded:
    """Send FILE to the import route in parts under the API's limits; the merged reports.

    A file the API cannot read (not an export, an Excel workbook) is a one-line error naming FILE.
    """
    from shared.keyword_files import ExportError, split_export

    data = read_file(path)
    try:
        parts = split_export(data, max_bytes=PART_BYTES, max_rows=PART_ROWS)
    except ExportError as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    query = {k: str(v) for k, v in (("site_id", site_id), ("sector_id", sector_id)) if v is not None}
    outcome = Uploaded(parts=len(parts))
    for number, part in enumerate(parts, start=1):
        try:
            report = post_file(api, part.data, part.content_type, query or None)
        except ApiError as exc:
            if exc.status == 422 and not exc.errors[1:] and (exc.errors or [{}])[0].get("field") == "body":
                raise click.ClickException(f"{path}: {exc.errors[0].get('message')}") from None
            raise
        outcome.format = outcome.format or str(report.get("format") or "")
        outcome.encoding = outcome.encoding or str(report.get("encoding") or "")
        outcome.columns = outcome.columns or dict(report.get("columns") or {})
        outcome.notes += [n for n in report.get("notes") or [] if n not in outcome.notes]
        outcome.rows += int(report.get("rows") or 0)
        outcome.created += int(report.get("created") or 0)
        outcome.already_stored += int(report.get("already_stored") or 0)
        outcome.repeated_in_file += int(report.get("repeated_in_file") or 0)
        outcome.errors_total += int(report.get("errors_total") or 0)
        outcome.errors += [
            (part.file_row(int(e["row"])), str(e["message"])) for e in report.get("errors") or []
        ]
        if on_part is not None:
            on_part(number, len(parts))
    if not outcome.created and not outcome.already_stored and not outcome.repeated_in_file:
        detail = "; ".join(outcome.notes[-1:])
        if outcome.errors:
            detail = f"{outcome.errors_total} bad row(s), first: row {outcome.errors[0][0]}: {outcome.errors[0][1]}"
        raise click.ClickException(f"{path}: no usable keyword rows" + (f" ({detail})" if detail else ""))
    return outcome


def describe_upload(path: str, outcome: Uploaded, echo: Callable[[str], None]) -> None:
    """The API's findings: format, rows, columns, notes, bad rows with their row numbers."""
    parts = f" in {outcome.parts} parts" if outcome.parts > 1 else ""
    duplicates = outcome.already_stored + outcome.repeated_in_file
    echo(
        f"{Path(path).name}: {outcome.format} export ({outcome.encoding}), {outcome.rows} row(s){parts}: "
        f"{outcome.created} created, {duplicates} duplicate(s), {outcome.errors_total} bad row(s)"
    )
    if outcome.columns:
        echo("  columns: " + ", ".join(f"{name} <- {header}" for name, header in outcome.columns.items()))
    for note in outcome.notes:
        echo(f"  note: {note}")
    if outcome.errors:
        echo("  bad rows (skipped):")
        for row, message in outcome.errors[:SHOWN_PROBLEMS]:
            echo(f"    row {row}: {message}")
        if outcome.errors_total > SHOWN_PROBLEMS:
            echo(f"    ... and {outcome.errors_total - SHOWN_PROBLEMS} more bad row(s)")
