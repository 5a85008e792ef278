"""An import that fails part-way leaves no half-stored keyword and succeeds when retried.

The failure is injected into the keyword write after part of it reached DynamoDB (as throttling
that outlasts every resend would leave it): the response is a 503 with no DynamoDB text, the
keywords that were written are listed once, and the same body sent again creates the rest —
never a keyword twice, never one reported as a duplicate while it is missing from the list.
"""

from __future__ import annotations

import pytest

import shared.services.keywords as keywords_service
from shared.db.models import Keyword, SeedKeyword
from shared.db.repo import query_account, save_all
from shared.errors import BatchIncomplete
from tests.helpers import api

pytestmark = pytest.mark.integration

ROWS = [
    {"keyword": f"retry keyword {i}", "volume": 100 + i, "difficulty": 20, "intent": "commercial"}
    for i in range(60)
]


def _listed(key: str) -> list[str]:
    status, body = api("GET", "/v1/planner/keywords/", key, query={"limit": "500"})
    assert status == 200
    return [k["keyword"] for k in body["results"]]


def _fail_keywords_after(written: int):
    """A ``save_all`` that writes ``written`` keyword rows, then fails as throttling would."""

    def failing_save_all(records):
        records = list(records)
        if records and isinstance(records[0], Keyword):
            save_all(records[:written])
            raise BatchIncomplete("keywords: 25 of 25 writes still unprocessed after 10 requests")
        return save_all(records)

    return failing_save_all


def test_a_failed_import_is_retried_to_completion(stack, account, monkeypatch):
    monkeypatch.setattr(keywords_service, "save_all", _fail_keywords_after(25))
    status, body = api("POST", "/v1/planner/keywords/", account.api_key, {"keywords": ROWS})
    assert status == 503
    assert "keywords-" not in body["message"] and "unprocessed" not in body["message"]
    assert body["message"].startswith("internal error, request id")
    first = _listed(account.api_key)
    assert len(first) == 25 == len(set(first))

    monkeypatch.undo()
    status, body = api("POST", "/v1/planner/keywords/", account.api_key, {"keywords": ROWS})
    assert status == 201, body
    assert body["created"] == 35
    assert body["duplicates"] == [row["keyword"] for row in ROWS[:25]]
    listed = _listed(account.api_key)
    assert sorted(listed) == sorted(row["keyword"] for row in ROWS)
    # Each seed keyword points at exactly the one keyword row listed for it.
    rows = {int(k.id): k for k in query_account(Keyword, account.account_id)}
    seeds = list(query_account(SeedKeyword, account.account_id))
    assert len(seeds) == 60
    assert sorted(int(s.keyword_ids["0:0"]) for s in seeds) == sorted(rows)

    status, body = api("POST", "/v1/planner/keywords/", account.api_key, {"keywords": ROWS})
    assert status == 201 and body["created"] == 0 and len(body["duplicates"]) == 60


def test_a_failure_before_any_keyword_row_is_retried(stack, account, monkeypatch):
    monkeypatch.setattr(keywords_service, "save_all", _fail_keywords_after(0))
    status, _ = api("POST", "/v1/planner/keywords/", account.api_key, {"keywords": ROWS[:10]})
    assert status == 503
    assert _listed(account.api_key) == []
    monkeypatch.undo()
    status, body = api("POST", "/v1/planner/keywords/", account.api_key, {"keywords": ROWS[:10]})
    assert status == 201 and body["created"] == 10 and body["duplicates"] == []
    assert sorted(_listed(account.api_key)) == sorted(row["keyword"] for row in ROWS[:10])
