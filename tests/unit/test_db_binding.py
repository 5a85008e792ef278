"""The data layer binds itself: table names, region and endpoint come from Settings on first use."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.config import ConfigError, read_settings, reset_settings
from shared.db import base
from shared.db.models import AISlots, Cluster, Counter, Job, MonthlySpend

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """A clean environment for Settings; the previous binding is restored lazily afterwards."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TABLE_PREFIX", "unit")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    reset_settings()
    base.unbind_models()
    yield monkeypatch
    reset_settings()
    base.unbind_models()


def test_first_use_binds_the_table_name_region_and_endpoint_from_settings(
    environment: pytest.MonkeyPatch,
) -> None:
    # Given a prefix, a region and a DynamoDB endpoint in the environment
    environment.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    environment.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2")
    reset_settings()

    # When a model asks for its connection (what every pynamodb operation does first)
    table = Cluster._get_connection()

    # Then it names the prefixed table, in that region, at the DynamoDB-specific endpoint
    assert table.table_name == Cluster.Meta.table_name == "unit-clusters"
    assert (table.connection.region, table.connection.host) == ("eu-west-1", "http://127.0.0.1:2")


def test_all_models_share_one_connection_and_the_counters_table(environment: pytest.MonkeyPatch) -> None:
    connections = {
        id(model._get_connection().connection) for model in (Cluster, Job, Counter, MonthlySpend, AISlots)
    }
    assert connections == {id(base.connection())}
    assert {m.Meta.table_name for m in (Counter, MonthlySpend, AISlots)} == {"unit-counters"}
    assert Cluster._get_connection() is Cluster._get_connection()  # reused, not rebuilt per call


def test_new_settings_rebind_on_next_use(environment: pytest.MonkeyPatch) -> None:
    # Given a model bound to one stack
    first = Job._get_connection()
    # When the environment names another stack and the settings are re-read
    environment.setenv("TABLE_PREFIX", "other")
    reset_settings()
    # Then the next use points at the other tables through a new connection
    second = Job._get_connection()
    assert second.table_name == "other-jobs" and second.connection is not first.connection
    # And re-reading unchanged settings keeps the connection (no new botocore client)
    reset_settings()
    assert Job._get_connection().connection is second.connection
    assert (second.connection.region, second.connection.host) == ("eu-west-1", None)


def test_importing_the_data_layer_reads_no_settings_and_touches_no_aws() -> None:
    # No TABLE_PREFIX at all: an import that read the settings would raise ConfigError.
    probe = (
        "import shared.db.models, shared.db.repo, shared.domain.clusters, shared.observability\n"
        "from shared.db.models import Job\n"
        "print(Job.Meta.table_name)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "unbound"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "TABLE_PREFIX"),
        ({"TABLE_PREFIX": "t", "AI_MAX_RETRIES": "9", "AWS_REGION": "r"}, "AI_MAX_RETRIES"),
        ({"TABLE_PREFIX": "t", "AI_TIMEOUT_SECONDS": "0", "AWS_REGION": "r"}, "AI_TIMEOUT_SECONDS"),
        ({"TABLE_PREFIX": "t", "MAX_ITEM_CONCURRENCY": "many", "AWS_REGION": "r"}, "MAX_ITEM_CONCURRENCY"),
    ],
)
def test_settings_name_the_variable_that_is_wrong(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        read_settings(environ)


def test_settings_read_and_convert_the_environment() -> None:
    settings = read_settings(
        {
            "TABLE_PREFIX": "igny8-dev",
            "AWS_REGION": "eu-west-1",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
            "AI_TIMEOUT_SECONDS": "5",
            "AI_ACCOUNT_MAX_CONCURRENCY": "8",
            "OPENAI_API_KEY": "",
        }
    )
    assert (settings.table_prefix, settings.region, settings.dynamodb_endpoint) == (
        "igny8-dev",
        "eu-west-1",
        "http://127.0.0.1:5000",
    )
    assert (settings.ai_timeout_seconds, settings.ai_account_max_concurrency, settings.openai_api_key) == (
        5.0,
        8,
        None,
    )
    assert (settings.ai_max_retries, settings.default_model) == (2, "gpt-4o-mini")
