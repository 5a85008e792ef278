"""The igny8 command on the local stack: round trips, the import report, errors, HTTP transport."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from igny8_cli.local import LOCAL_FILE_ENV
from igny8_cli.main import OUTPUT_COLUMNS, cli
from shared.keyword_files import parse_export
from tests.helpers import api

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
EXPORTS = ROOT / "tests" / "data" / "exports"
SEMRUSH = EXPORTS / "semrush_keyword_magic.csv"
SAMPLE = ROOT / "data" / "sample_keywords.csv"
PLAIN = EXPORTS / "plain_keyword_column.csv"
BAD_ROWS = EXPORTS / "bad_rows.csv"


def run(args: list[str], obj: Any = None) -> Result:
    return CliRunner().invoke(cli, args, obj=obj, catch_exceptions=False)


def norm(text: str) -> str:
    return " ".join(text.lower().split())


def read_output(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == OUTPUT_COLUMNS
        return list(reader)


def all_keywords(key: str) -> list[dict[str, Any]]:
    found, after = [], None
    while True:
        query = {"limit": "500", **({"after": str(after)} if after else {})}
        status, page = api("GET", "/v1/planner/keywords/", key, query=query)
        assert status == 200
        found.extend(page["results"])
        if not (after := page["next"]):
            return found


def check_round_trip(source: Path, output: Path, key: str) -> list[dict[str, str]]:
    """One row per keyword of the file, in order; cluster columns agree with the API."""
    rows = read_output(output)
    assert [r["keyword"] for r in rows] == [r.keyword for r in parse_export(source.read_bytes()).rows]
    stored = {norm(k["keyword"]): k for k in all_keywords(key)}  # a fresh account: only this file
    assert len(stored) == len(rows)
    members: dict[int, set[str]] = {}
    for row in rows:
        keyword = stored[norm(row["keyword"])]
        assert row["cluster_id"] == ("" if keyword["cluster_id"] is None else str(keyword["cluster_id"]))
        assert row["volume"] == str(keyword["volume"]) and row["intent"] == keyword["intent"]
        if row["cluster_id"]:
            members.setdefault(int(row["cluster_id"]), set()).add(norm(row["keyword"]))
            assert row["cluster"] and row["pillar"]
        else:
            assert row["cluster"] == "" and row["pillar"] == ""
    for cluster_id, keywords in members.items():
        status, cluster = api("GET", f"/v1/planner/clusters/{cluster_id}/", key)
        assert status == 200
        assert {norm(k["keyword"]) for k in cluster["keywords"]} == keywords
        names = {r["cluster"] for r in rows if r["cluster_id"] == str(cluster_id)}
        assert names == {cluster["name"]}
        assert {r["pillar"] for r in rows if r["cluster_id"] == str(cluster_id)} == {
            cluster.get("pillar_name") or cluster["name"]
        }
    return rows


def test_cluster_semrush_sample_offline(cli_target, account, tmp_path):
    out = tmp_path / "clusters.csv"

    result = run(["cluster", str(SAMPLE), "--out", str(out)], cli_target)

    assert result.exit_code == 0, result.output
    rows = check_round_trip(SAMPLE, out, account.api_key)
    assert len(rows) == 340
    placed = [r for r in rows if r["cluster_id"]]
    assert len(placed) > 200 and len({r["cluster_id"] for r in placed}) > 5
    assert "semrush export" in result.stderr and "DONE    100%" in result.stderr
    assert f"Wrote {out}: 340 keyword row(s)" in result.stdout
    assert (
        "offline local provider" in result.stdout and f"{len(rows) - len(placed)} unassigned" in result.stdout
    )


def test_cluster_with_a_model_that_leaves_keywords_out(cli_target, account, fake_openai, tmp_path):
    fake_openai.queue_json(
        {
            "clusters": [
                {
                    "name": "Cold Brew",
                    "description": "d",
                    "keywords": ["cold brew coffee", "how to make cold brew"],
                },
                {"name": "Grinders", "description": "d", "keywords": ["best coffee grinder", "burr grinder"]},
            ]
        },
        prompt_tokens=400,
        completion_tokens=100,
    )
    out = tmp_path / "out.csv"

    result = run(["cluster", str(SEMRUSH), "--out", str(out)], cli_target)

    assert result.exit_code == 0, result.output
    rows = check_round_trip(SEMRUSH, out, account.api_key)
    placed = {r["keyword"]: r["cluster"] for r in rows if r["cluster_id"]}
    assert placed == {
        "cold brew coffee": "Cold Brew",
        "how to make cold brew": "Cold Brew",
        "best coffee grinder": "Grinders",
        "burr grinder": "Grinders",
    }
    assert "placed:     4 of 12 (33.3%), 8 unassigned" in result.stdout
    assert "tokens:     500" in result.stdout and "offline" not in result.stdout


def test_cluster_one_column_file(cli_target, account, tmp_path):
    out = tmp_path / "plain.csv"

    result = run(["cluster", str(PLAIN), "--out", str(out)], cli_target)

    assert result.exit_code == 0, result.output
    rows = check_round_trip(PLAIN, out, account.api_key)
    assert [r["keyword"] for r in rows] == [
        "tomato seedlings",
        "how to prune roses",
        "best soil for raised beds",
        "companion planting chart",
    ]
    assert all(r["volume"] == "0" and r["difficulty"] == "0" for r in rows)  # none in the file
    assert "plain export" in result.stderr and "repeats row 4" in result.stderr


def test_import_reports_bad_rows_and_creates_site_and_sector(cli_target, account):
    parsed = parse_export(BAD_ROWS.read_bytes())
    assert parsed.errors  # the fixture file has bad rows

    result = run(["import", str(BAD_ROWS), "--site", "Garden", "--sector", "Lettuce"], cli_target)

    assert result.exit_code == 0, result.output
    for error in parsed.errors:
        assert f"row {error.row}: {error.message}" in result.stdout
    assert "semrush export" in result.stdout
    assert f"{len(parsed.errors)} bad row(s)" in result.stdout
    assert f"Imported {len(parsed.rows)} keyword(s) into site 'Garden'" in result.stdout
    (site,) = api("GET", "/v1/planner/sites/", account.api_key)[1]["results"]
    (sector,) = api("GET", "/v1/planner/sectors/", account.api_key)[1]["results"]
    assert (site["name"], sector["name"], sector["site_id"]) == ("Garden", "Lettuce", site["id"])
    stored = all_keywords(account.api_key)
    assert len(stored) == len(parsed.rows) and {k["sector_id"] for k in stored} == {sector["id"]}

    again = run(["import", str(BAD_ROWS), "--site", "garden", "--sector", "lettuce"], cli_target)

    assert again.exit_code == 0, again.output  # same site and sector, found by name
    assert f"Imported 0 keyword(s) into site 'Garden' (id {site['id']})" in again.stdout
    assert f"{len(parsed.rows)} already there" in again.stdout
    assert len(api("GET", "/v1/planner/sectors/", account.api_key)[1]["results"]) == 1


def one_line_error(result: Result, *needles: str) -> None:
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ") and "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0]


def test_errors_are_one_line(cli_target, tmp_path):
    one_line_error(run(["import", str(tmp_path / "missing.csv")], cli_target), "missing.csv: no such file")
    workbook = tmp_path / "keywords.xlsx"
    workbook.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    one_line_error(
        run(["cluster", str(workbook), "--out", str(tmp_path / "o.csv")], cli_target), "Excel file", "Save As"
    )
    empty = tmp_path / "empty.csv"
    empty.write_text("keyword\n\n")
    one_line_error(run(["import", str(empty)], cli_target), "empty.csv")
    one_line_error(
        run(["cluster", str(PLAIN), "--out", str(tmp_path / "no" / "such" / "o.csv")], cli_target),
        "does not exist",
    )
    assert not (tmp_path / "o.csv").exists()


def test_http_transport_round_trip_and_errors(account, http_api, tmp_path):
    out = tmp_path / "http.csv"

    result = run(["--api", http_api, "--key", account.api_key, "cluster", str(PLAIN), "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert f"Running on API {http_api}" in result.stderr
    check_round_trip(PLAIN, out, account.api_key)

    env_key = CliRunner(env={"IGNY8_API_URL": http_api, "IGNY8_API_KEY": account.api_key}).invoke(
        cli, ["import", str(SEMRUSH), "--site", "Coffee"]
    )
    assert env_key.exit_code == 0, env_key.output
    assert "Imported 12 keyword(s) into site 'Coffee'" in env_key.stdout

    wrong = run(["--api", http_api, "--key", "igny8_wrong", "import", str(PLAIN)])
    one_line_error(wrong, "POST /v1/planner/keywords/import/: 401")
    closed = run(["--api", "http://127.0.0.1:9", "--key", "k", "import", str(PLAIN)])
    one_line_error(closed, "cannot reach the API at http://127.0.0.1:9")
    no_key = CliRunner(env={"IGNY8_API_KEY": None}).invoke(cli, ["--api", http_api, "import", str(PLAIN)])
    assert no_key.exit_code == 2 and "--api needs --key" in no_key.stderr


def test_installed_command_runs_its_own_local_stack(tmp_path):
    # As a user runs it after `make setup`: its own process, its own local stack, offline.
    command = Path(sys.executable).parent / "igny8"
    argv = [str(command)] if command.exists() else [sys.executable, "-m", "igny8_cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AWS_", "MOTO_", "IGNY8_"))}
    env[LOCAL_FILE_ENV] = str(tmp_path / "no-local-api.json")  # never a `make api` running meanwhile
    out = tmp_path / "o.csv"

    done = subprocess.run(
        [*argv, "cluster", str(PLAIN), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Running on local stack in process (AI: offline local provider)" in done.stderr
    assert [r["keyword"] for r in read_output(out)] == [
        r.keyword for r in parse_export(PLAIN.read_bytes()).rows
    ]
    for args in (["--help"], ["import", "--help"], ["cluster", "--help"]):
        shown = subprocess.run([*argv, *args], capture_output=True, text=True, timeout=60, env=env)
        assert shown.returncode == 0 and "Usage: " in shown.stdout and "--help" in shown.stdout
