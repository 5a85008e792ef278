"""Parts of the CLI without the stack: the auto_cluster body fallback, chunks, pages, progress."""

from __future__ import annotations

import io
from typing import Any

import pytest

from igny8_cli.client import Api, ApiError
from igny8_cli.importing import CHUNK, Imported, import_rows
from igny8_cli.main import start_auto_cluster
from igny8_cli.progress import JobProgress
from shared.keyword_files import KeywordRow
from tests.cli.fakes import FakeTransport

IDS_REQUIRED = {
    "message": "invalid request: ids: Field required; strategy: Extra inputs are not permitted",
    "errors": [
        {"field": "ids", "message": "Field required"},
        {"field": "strategy", "message": "Extra inputs are not permitted"},
    ],
}


def test_auto_cluster_sends_the_selection_form_first():
    transport = FakeTransport((202, {"task_id": "t1"}))

    started, form = start_auto_cluster(Api(transport), 7, Imported(ids={"a": 1}), "semantic", 0.6)

    assert started["task_id"] == "t1" and form == "sector 7"
    assert [r[2] for r in transport.requests] == [{"sector_id": 7, "strategy": "semantic", "threshold": 0.6}]


def test_auto_cluster_falls_back_to_ids_when_the_api_requires_them():
    transport = FakeTransport((422, IDS_REQUIRED), (202, {"task_id": "t2"}))

    started, form = start_auto_cluster(
        Api(transport), 7, Imported(ids={"b": 3, "a": 1, "c": 2}), "auto", None
    )

    assert started["task_id"] == "t2" and form == "3 keyword ids"
    assert [r[2] for r in transport.requests] == [
        {"sector_id": 7, "strategy": "auto"},
        {"ids": [1, 2, 3], "sector_id": 7},
    ]


def test_auto_cluster_other_errors_are_not_retried():
    transport = FakeTransport((422, {"message": "invalid request: threshold: too large", "errors": []}))

    with pytest.raises(ApiError, match="422 invalid request: threshold: too large"):
        start_auto_cluster(Api(transport), 7, Imported(ids={"a": 1}), None, 9.0)
    assert len(transport.requests) == 1


def test_import_posts_chunks_of_at_most_5000():
    rows = [KeywordRow(keyword=f"kw {i}", volume=i) for i in range(2 * CHUNK + 1)]
    answers = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        results = [{"id": start + n + 1, "keyword": r.keyword} for n, r in enumerate(chunk)]
        answers.append((201, {"created": len(chunk), "duplicates": [], "results": results}))
    transport = FakeTransport(*answers)
    seen: list[tuple[int, int]] = []

    imported = import_rows(
        Api(transport), rows, 1, 2, on_chunk=lambda done, total: seen.append((done, total))
    )

    assert [len(r[2]["keywords"]) for r in transport.requests] == [CHUNK, CHUNK, 1]
    assert all(r[2]["site_id"] == 1 and r[2]["sector_id"] == 2 for r in transport.requests)
    assert imported.created == len(rows) and imported.ids["kw 10000"] == 10001
    assert seen == [(CHUNK, len(rows)), (2 * CHUNK, len(rows)), (len(rows), len(rows))]


def test_pages_follow_next_until_none():
    transport = FakeTransport(
        (200, {"results": [{"id": 1}, {"id": 2}], "next": 2}),
        (200, {"results": [{"id": 3}], "next": 3}),
        (200, {"results": [], "next": None}),
    )

    found = [r["id"] for r in Api(transport).pages("/v1/planner/keywords/", {"sector_id": "5"})]

    assert found == [1, 2, 3]
    assert [r[3] for r in transport.requests] == [
        {"sector_id": "5", "limit": "500"},
        {"sector_id": "5", "limit": "500", "after": "2"},
        {"sector_id": "5", "limit": "500", "after": "3"},
    ]


def test_wait_gives_up_at_the_deadline():
    transport = FakeTransport(*[(200, {"status": "running", "phase": "AI_CALL"})] * 3)

    with pytest.raises(ApiError, match="did not finish within 0 s"):
        Api(transport).wait("t", timeout=0.0)


def _job(
    phase: str, progress: int, message: str, status: str = "running", history: int = 0
) -> dict[str, Any]:
    entries = [{"phase": phase, "progress": progress, "message": message}] * history
    return {"status": status, "phase": phase, "progress": progress, "message": message, "history": entries}


def test_progress_redraws_one_line_on_a_terminal():
    stream = io.StringIO()
    progress = JobProgress("auto_cluster", stream, tty=True)

    progress(_job("AI_CALL", 50, "Generating clusters"))
    progress(_job("DONE", 100, "3 cluster(s) created", status="completed"))

    text = stream.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1
    assert "[##########----------] AI_CALL  50%  Generating clusters" in text
    assert "[####################] DONE    100%  3 cluster(s) created" in text


def test_progress_prints_each_history_entry_once_otherwise():
    stream = io.StringIO()
    progress = JobProgress("auto_cluster", stream, tty=False)
    first = {"phase": "INIT", "progress": 10, "message": "Validating"}
    second = {"phase": "AI_CALL", "progress": 25, "message": "Generating clusters"}

    progress({"status": "running", "history": [first]})
    progress({"status": "running", "history": [first, second]})
    progress({"status": "running", "history": [first, second]})

    assert stream.getvalue().splitlines() == [
        "[auto_cluster] INIT     10%  Validating",
        "[auto_cluster] AI_CALL  25%  Generating clusters",
    ]
