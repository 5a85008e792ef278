"""The scheduled batch's input check: no pydantic (cold start), the messages it gave with pydantic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shared.errors import InputInvalid
from shared.services.scheduler import BatchRequest, parse_request

ROOT = Path(__file__).resolve().parents[2]
BASE = {"account_id": "acct", "function_name": "auto_cluster", "selector": "unclustered"}


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (7, 7),
        ("7", 7),
        (" 7 ", 7),
        ("7.0", 7),
        ("1_000", 1000),
        ("+7", 7),
        (7.0, 7),
        (True, 1),
        (10_000, 10_000),
    ],
)
def test_the_limit_is_read_as_an_integer(limit: Any, expected: int) -> None:
    assert parse_request({**BASE, "limit": limit}) == BatchRequest(**BASE, limit=expected)


def test_defaults_and_extra_keys() -> None:
    assert parse_request({**BASE, "note": "ignored"}) == BatchRequest(**BASE, limit=1000)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({}, "Field required"),
        ({**BASE, "account_id": ""}, "String should have at least 1 character"),
        ({**BASE, "account_id": 5}, "Input should be a valid string"),
        ({"account_id": "a", "selector": "s"}, "Field required"),
        ({**BASE, "selector": None}, "Input should be a valid string"),
        ({**BASE, "limit": 0}, "Input should be greater than or equal to 1"),
        ({**BASE, "limit": 10_001}, "Input should be less than or equal to 10000"),
        ({**BASE, "limit": 7.5}, "Input should be a valid integer, got a number with a fractional part"),
        ({**BASE, "limit": "7.5"}, "Input should be a valid integer, unable to parse string as an integer"),
        ({**BASE, "limit": "1e3"}, "Input should be a valid integer, unable to parse string as an integer"),
        ({**BASE, "limit": float("inf")}, "Input should be a finite number"),
        ({**BASE, "limit": None}, "Input should be a valid integer"),
        ({**BASE, "limit": [1]}, "Input should be a valid integer"),
    ],
)
def test_the_first_problem_is_reported(source: dict[str, Any], message: str) -> None:
    with pytest.raises(InputInvalid) as err:
        parse_request(source)
    assert str(err.value) == f"invalid scheduled batch input: {message}"


def test_the_scheduler_handler_does_not_import_pydantic() -> None:
    probe = "import json, sys\nimport functions.scheduler.app\nprint(json.dumps('pydantic' in sys.modules))\n"
    env = {"TABLE_PREFIX": "t", "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) is False
