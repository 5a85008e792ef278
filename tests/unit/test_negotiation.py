"""Which Accept headers choose CSV on the list routes."""

from __future__ import annotations

import pytest

from shared.api.negotiation import prefers_csv


@pytest.mark.parametrize(
    ("accept", "csv"),
    [
        ("text/csv", True),
        ("TEXT/CSV; charset=utf-8", True),
        ("text/csv, application/json;q=0.5", True),
        ("application/json;q=0.9, text/csv", True),
        ("text/csv, */*", True),
        (None, False),
        ("", False),
        ("*/*", False),
        ("text/*", False),
        ("application/json", False),
        ("application/json, text/csv", False),  # a tie keeps the default
        ("text/csv;q=0.4, application/json;q=0.8", False),
        ("text/csv;q=0", False),
        ("text/csv;q=abc", False),
    ],
)
def test_prefers_csv(accept, csv):
    assert prefers_csv(accept) is csv
