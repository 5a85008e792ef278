"""``igny8 import FILE``: the file goes to POST /v1/planner/keywords/import/, in parts when large.

Row numbers printed for bad rows are the file's own, whichever part a row travelled in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from igny8_cli import importing
from igny8_cli.main import cli
from shared.keyword_files import parse_export
from tests.helpers import api

pytestmark = pytest.mark.integration
EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"


def run(args: list[str], obj: Any = None) -> Result:
    return CliRunner().invoke(cli, args, obj=obj, catch_exceptions=False)


def stored_keywords(key: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after = None
    while True:
        query = {"limit": "500", **({"after": str(after)} if after else {})}
        status, page = api("GET", "/v1/planner/keywords/", key, query=query)
        assert status == 200
        found.extend(page["results"])
        if not (after := page["next"]):
            return found


def export_with_bad_rows(tmp_path: Path) -> Path:
    """A Semrush file of 60 rows: a bad volume every 13th row, a repeat of row 2 at the end."""
    lines = ["Keyword,Intent,Volume,Keyword Difficulty,CPC (USD)"]
    for i in range(60):
        volume = "lots" if i % 13 == 5 else str(100 + i)
        lines.append(f"keyword number {i},Informational,{volume},{i % 90},0.5{i % 10}")
    lines.append("Keyword Number 0,Informational,100,0,0.50")
    path = tmp_path / "semrush.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_large_file_goes_in_parts_with_the_files_row_numbers(cli_target, account, tmp_path, monkeypatch):
    path = export_with_bad_rows(tmp_path)
    parsed = parse_export(path.read_bytes())
    assert [e.row for e in parsed.errors] == [7, 20, 33, 46, 59]
    monkeypatch.setattr(importing, "PART_ROWS", 9)

    result = run(["import", str(path), "--site", "Parts"], cli_target)

    assert result.exit_code == 0, result.output
    assert "sent part 7/7" in result.stderr
    assert (
        "semrush export (utf-8), 61 row(s) in 7 parts: 55 created, 1 duplicate(s), 5 bad row(s)"
        in result.stdout
    )
    for error in parsed.errors:
        assert f"row {error.row}: {error.message}" in result.stdout
    assert "Imported 55 keyword(s) into site 'Parts'" in result.stdout
    # Row 62 repeats row 2, which an earlier part stored: the API counts it as already there.
    assert "1 already there, 5 bad row(s) and 0 duplicate row(s) skipped" in result.stdout
    stored = stored_keywords(account.api_key)
    assert sorted(k["keyword"] for k in stored) == sorted(r.keyword for r in parsed.rows)
    assert {k["volume"] for k in stored if k["keyword"] == "keyword number 59"} == {159}

    again = run(["import", str(path), "--site", "Parts"], cli_target)

    assert again.exit_code == 0, again.output
    assert "Imported 0 keyword(s)" in again.stdout and "56 already there" in again.stdout


def test_parts_by_size_cut_between_records(cli_target, account, tmp_path, monkeypatch):
    path = export_with_bad_rows(tmp_path)
    monkeypatch.setattr(importing, "PART_BYTES", 600)

    result = run(["import", str(path)], cli_target)

    assert result.exit_code == 0, result.output
    assert " parts: 55 created" in result.stdout and "sent part 1/" in result.stderr
    assert len(stored_keywords(account.api_key)) == 55


def test_a_keyword_planner_utf16_file_as_it_was_exported(cli_target, account):
    path = EXPORTS / "keyword_planner.csv"

    result = run(["import", str(path)], cli_target)

    assert result.exit_code == 0, result.output
    assert "keyword_planner export (utf-16-le), 8 row(s): 8 created" in result.stdout
    assert "skipped 2 line(s) above the header row" in result.stdout
    volumes = {k["keyword"]: k["volume"] for k in stored_keywords(account.api_key)}
    assert volumes["vertical vegetable garden"] == 1300


def test_over_http_in_parts(account, http_api, tmp_path, monkeypatch):
    path = export_with_bad_rows(tmp_path)
    monkeypatch.setattr(importing, "PART_ROWS", 25)

    result = run(["--api", http_api, "--key", account.api_key, "import", str(path)])

    assert result.exit_code == 0, result.output
    assert "in 3 parts: 55 created" in result.stdout and "row 59: 'Volume': 'lots'" in result.stdout
    assert len(stored_keywords(account.api_key)) == 55


def test_unusable_files_are_one_line_errors(cli_target, account, tmp_path):
    workbook = tmp_path / "keywords.xlsx"
    workbook.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    table = tmp_path / "table.csv"
    table.write_text("Term,Searches\ncoffee,10\ntea,20\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("Keyword,Volume\n,10\n")
    for path, needles in (
        (workbook, ("keywords.xlsx: ", "Excel file")),
        (table, ("table.csv: ", "no keyword column found")),
        (bad, ("bad.csv: no usable keyword rows", "row 2: the keyword is empty")),
    ):
        result = run(["import", str(path)], cli_target)
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith("Error: "), result.output
        assert all(needle in lines[0] for needle in needles), lines[0]
    assert stored_keywords(account.api_key) == []
