"""Reading a keyword-tool export and importing it through the API in chunks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from igny8_cli.client import Api

CHUNK = 5_000  # POST /v1/planner/keywords/ takes at most 5,000 keywords per request
SHOWN_PROBLEMS = 20


def read_export(path: str) -> Any:
    """Parse FILE with ``shared.keyword_files``; a file that cannot be used is one-line error."""
    from shared.keyword_files import ExportError, parse_export

    file = Path(path)
    if not file.exists():
        raise click.ClickException(f"{path}: no such file")
    if file.is_dir():
        raise click.ClickException(f"{path}: is a folder, not a keyword export")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot read the file ({exc.strerror or exc})") from None
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
