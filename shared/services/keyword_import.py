"""Importing a keyword-tool export file: parse it, store its good rows, report the rest.

``import_export`` is what ``POST /v1/planner/keywords/import/`` runs once the body is read: the
file is parsed by ``shared.keyword_files.parse_export`` (Semrush, Ahrefs, Moz, Search Console,
Keyword Planner, plain lists), its good rows go through ``services.keywords.create_keywords``
(as the JSON route's rows do), and the report says what was created, what was a duplicate and
which rows were skipped with their 1-based row numbers and what to fix.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from shared.errors import PayloadTooLarge, RequestInvalid
from shared.keyword_files import ExportError, KeywordRow, ParsedExport, parse_export
from shared.services.keywords import create_keywords

#: Data rows one request imports; a bigger file is refused before anything is stored, with the
#: message saying how to send it in parts (``igny8 import`` does). Measured on the local stack
#: (bench/import_scale.py): 10,000 rows 9.6 s, 50,000 rows 52 s, 100,000 rows 108 s, so one
#: request of 100,000 rows would pass API Gateway's 29 s; 20,000 rows stay well within it.
MAX_IMPORT_ROWS = 20_000
#: At most this many bad rows are listed in one answer (``errors_total`` counts them all), so a
#: file of 100,000 bad rows cannot make an answer over Lambda's 6 MB response limit.
MAX_REPORTED_ERRORS = 1_000
#: ``create_keywords`` calls running at once for one file: the file's rows are cut into this many
#: chunks (of at least ``MIN_CHUNK_ROWS``) so the BatchWriteItem round trips overlap, and all of them
#: start together (each reads the account's seed counter before any of them has written).
WORKERS = 8
MIN_CHUNK_ROWS = 2_000
#: Stored cost per click: at most this many decimals (the JSON route rounds the same way).
CPC_DECIMALS = 4
PARTS_HINT = (
    "split the file into parts of at most 6 MB and {rows:,} rows, each with its header row; "
    "`igny8 import` does this for you"
)


@dataclass
class ImportReport:
    """What one import did; ``as_body`` is the API's 201 answer."""

    format: str
    encoding: str
    rows: int
    created: int = 0
    already_stored: int = 0
    repeated_in_file: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    errors_total: int = 0
    notes: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    site_id: int | None = None
    sector_id: int | None = None

    @property
    def duplicates(self) -> int:
        return self.already_stored + self.repeated_in_file

    def as_body(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "encoding": self.encoding,
            "rows": self.rows,
            "created": self.created,
            "duplicates": self.duplicates,
            "already_stored": self.already_stored,
            "repeated_in_file": self.repeated_in_file,
            "errors": self.errors,
            "errors_total": self.errors_total,
            "notes": self.notes,
            "columns": self.columns,
            "site_id": self.site_id,
            "sector_id": self.sector_id,
        }


def read_export(data: bytes) -> ParsedExport:
    """Parse an uploaded file; a file that is not a usable export is a 422 naming what to fix,
    one over ``MAX_IMPORT_ROWS`` rows a 413 saying how to send it in parts."""
    try:
        parsed = parse_export(data, max_rows=MAX_IMPORT_ROWS)
    except ExportError as exc:
        raise RequestInvalid(
            f"the file cannot be imported: {exc}", [{"field": "body", "message": str(exc)}]
        ) from None
    if parsed.truncated:
        raise PayloadTooLarge(
            f"the file has more than {MAX_IMPORT_ROWS:,} rows, the limit of one import: "
            + PARTS_HINT.format(rows=MAX_IMPORT_ROWS)
        )
    return parsed


def keyword_input(row: KeywordRow) -> dict[str, Any]:
    """The row as ``create_keywords`` takes it (the JSON route's fields; position rides along)."""
    record = row.as_keyword_input()
    if row.cpc is not None:
        record["cpc"] = round(row.cpc, CPC_DECIMALS)
    if row.position is not None:
        record["position"] = row.position
    return record


def import_export(
    account_id: str, data: bytes, site_id: int | None = None, sector_id: int | None = None
) -> ImportReport:
    """Parse ``data`` and create its keywords in ``account_id`` (site/sector already checked).

    Bad rows are skipped and reported (``errors``: ``{row, message}``, row numbers as an editor
    shows them); rows repeating an earlier row of the file, or a keyword already in this
    site/sector, are counted as duplicates and not stored again.
    """
    parsed = read_export(data)
    created, already_stored = store_rows(
        account_id, [keyword_input(row) for row in parsed.rows], site_id, sector_id
    )
    errors = sorted(parsed.errors, key=lambda error: error.row)
    return ImportReport(
        format=parsed.format.value,
        encoding=parsed.encoding,
        rows=len(parsed.rows) + len(parsed.duplicates) + len(parsed.errors),
        created=created,
        already_stored=already_stored,
        repeated_in_file=len(parsed.duplicates),
        errors=[{"row": e.row, "message": e.message} for e in errors[:MAX_REPORTED_ERRORS]],
        errors_total=len(errors),
        notes=list(parsed.notes),
        columns=dict(parsed.columns),
        site_id=site_id,
        sector_id=sector_id,
    )


def store_rows(
    account_id: str, rows: list[dict[str, Any]], site_id: int | None, sector_id: int | None
) -> tuple[int, int]:
    """``create_keywords`` over ``rows`` in up to ``WORKERS`` concurrent chunks: (created, already stored).

    The rows are distinct keywords (the parser dropped repeats), so the chunks never compete for a
    keyword. A chunk that fails fails the request once the others are done; the same file sent
    again then creates only what is missing (the stored rows are duplicates).
    """
    if not rows:
        return 0, 0
    size = max(MIN_CHUNK_ROWS, -(-len(rows) // WORKERS))
    chunks = [rows[start : start + size] for start in range(0, len(rows), size)]
    if len(chunks) == 1:
        result = create_keywords(account_id, rows, site_id, sector_id)
        return len(result.created), len(result.duplicates)
    with ThreadPoolExecutor(max_workers=len(chunks), thread_name_prefix="keyword-import") as pool:
        results = list(pool.map(lambda chunk: create_keywords(account_id, chunk, site_id, sector_id), chunks))
    return sum(len(r.created) for r in results), sum(len(r.duplicates) for r in results)
