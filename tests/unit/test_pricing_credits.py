"""Price table, cost of a call, credit rules, the credits ledger, budgets and the concurrency slots."""

from __future__ import annotations

import os
import time

import pytest

from shared.ai import concurrency
from shared.ai.model_settings import ModelConfig, max_output_tokens
from shared.ai.pricing import PriceTableError, cost_of, price_table, prices_for, reset_price_table
from shared.ai.validators import SUPPORTED_MODELS
from shared.engine.accounting import (
    charge,
    charged_credits,
    check_job_budget,
    estimate_job_cost,
    ledger_entries,
    monthly_spend,
    record_spend,
)
from shared.errors import AIConcurrencyLimited, AIProviderTransient, InsufficientCredits
from shared.functions.registry import get_function_instance


@pytest.fixture(autouse=True)
def _environment(monkeypatch):
    """Every Lambda has TABLE_PREFIX; the price table is read through the same Settings."""
    monkeypatch.setenv("TABLE_PREFIX", os.environ.get("TABLE_PREFIX") or "unit-tests")
    reset_price_table()
    yield
    monkeypatch.undo()
    reset_price_table()


@pytest.fixture
def prices(monkeypatch):
    def apply(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv("PRICE_TABLE_JSON", raising=False)
        else:
            monkeypatch.setenv("PRICE_TABLE_JSON", value)
        reset_price_table()

    yield apply
    monkeypatch.delenv("PRICE_TABLE_JSON", raising=False)
    reset_price_table()


# ---------------------------------------------------------------- pricing
def test_cost_per_model_from_the_price_table():
    assert cost_of("gpt-4o-mini", 1_000_000, 0) == 0.15
    assert cost_of("gpt-4o-mini", 0, 1_000_000) == 0.60
    assert cost_of("gpt-4.1", 1200, 300) == round((1200 * 2.0 + 300 * 8.0) / 1e6, 8)
    assert cost_of("gpt-4o-mini-2024-07-18", 1000, 1000) == cost_of("gpt-4o-mini", 1000, 1000)  # snapshot
    assert cost_of("gpt-4o-2024-08-06", 1000, 0) == cost_of("gpt-4o", 1000, 0)  # longest prefix wins
    assert cost_of("llama3.1", 10_000, 10_000) == 0  # a local model costs nothing
    assert cost_of("igny8-local-offline", 10_000, 10_000) == 0
    assert cost_of("gpt-4o-mini", 1000, 0, cached_input_tokens=1000) == round(1000 * 0.075 / 1e6, 8)


def test_every_supported_model_has_a_price_and_an_output_limit():
    for model in SUPPORTED_MODELS:
        assert model in price_table(), model
        assert max_output_tokens(model), model


def test_the_price_table_is_configurable(prices):
    prices('{"my-model": {"input": 1.0, "output": 2.0}, "gpt-4o-mini": {"input": 9, "output": 9}}')
    assert cost_of("my-model", 1_000_000, 1_000_000) == 3.0
    assert prices_for("my-model")["cached_input"] == 1.0
    assert cost_of("gpt-4o-mini", 1_000_000, 0) == 9.0
    prices('{"bad": {"input": "x"}}')
    with pytest.raises(PriceTableError, match="bad needs numeric"):
        price_table()
    prices("not json")
    with pytest.raises(PriceTableError, match="not valid JSON"):
        price_table()
    prices(None)
    assert cost_of("gpt-4o-mini", 1_000_000, 0) == 0.15


# ---------------------------------------------------------------- credit rules
def test_credit_rules_per_function():
    cluster, ideas, content = (
        get_function_instance(n) for n in ("auto_cluster", "generate_ideas", "generate_content")
    )
    assert [cluster.credits_for({"keyword_data": [{}] * n}, {}) for n in (0, 1, 10, 11, 30, 95)] == [
        1,
        1,
        1,
        2,
        3,
        10,
    ]
    assert cluster.credits_for({"keyword_data": [{}] * 25}, {}) == 3
    assert ideas.credits_for({"cluster_data": [{}] * 4}, {}) == 4
    assert content.credits_for({"task": {}}, {}) == 1
    assert cluster.estimate_credits({"ids": list(range(1, 26))}) == 3
    assert ideas.estimate_credits({"ids": [1, 2, 3]}) == 3
    assert content.estimate_credits({"ids": [1, 2, 3, 4, 5]}) == 5


def test_job_cost_estimate_is_an_upper_bound():
    config = ModelConfig("gpt-4o-mini", 8000, 0.3, "json_object")
    one = estimate_job_cost(get_function_instance("generate_content"), {"ids": [1]}, config)
    assert one >= cost_of("gpt-4o-mini", 2000, 8000)
    assert estimate_job_cost(
        get_function_instance("generate_content"), {"ids": [1, 2, 3]}, config
    ) == pytest.approx(3 * one)
    assert estimate_job_cost(
        get_function_instance("auto_cluster"), {"ids": list(range(100))}, config
    ) > estimate_job_cost(get_function_instance("auto_cluster"), {"ids": [1]}, config)


# ---------------------------------------------------------------- the ledger (local stack)
def test_charge_is_exactly_once_per_item(account):
    from shared.db.repo import get_account

    before = int(get_account(account.account_id).credits)
    assert charge(account.account_id, "task-1", "all", "auto_cluster", 3, 0.0012) is True
    assert charge(account.account_id, "task-1", "all", "auto_cluster", 3, 0.0012) is False
    assert charge(account.account_id, "task-1", "7", "generate_content", 1, 0.0) is True
    assert int(get_account(account.account_id).credits) == before - 4
    assert charged_credits(account.account_id, "task-1") == 4
    assert [e.entry_id for e in ledger_entries(account.account_id, "task-1")] == ["task-1#7", "task-1#all"]
    assert int(monthly_spend(account.account_id).credits) == 4


def test_budget_checks_credits_and_the_monthly_budget(account):
    from shared.services.accounts import create_account

    config = ModelConfig("gpt-4o-mini", 8000, 0.3, "json_object", api_key="sk-account-key-999999")
    poor = create_account("Poor", credits=2)
    with pytest.raises(InsufficientCredits, match="needs 3 credit\\(s\\) and the account has 2 left"):
        check_job_budget(poor, get_function_instance("auto_cluster"), {"ids": list(range(1, 26))}, config)
    assert (
        check_job_budget(poor, get_function_instance("auto_cluster"), {"ids": [1, 2]}, config).credits_needed
        == 1
    )

    capped = create_account("Capped", credits=1000, monthly_budget_usd=0.01)
    assert (
        check_job_budget(capped, get_function_instance("auto_cluster"), {"ids": [1]}, config).month_spent == 0
    )
    with pytest.raises(InsufficientCredits, match="could cost up to"):
        check_job_budget(
            capped, get_function_instance("generate_content"), {"ids": list(range(1, 11))}, config
        )
    record_spend(capped.account_id, 0.01)
    with pytest.raises(InsufficientCredits, match="monthly AI budget of \\$0.01 is used up"):
        check_job_budget(capped, get_function_instance("auto_cluster"), {"ids": [1]}, config)
    spend = monthly_spend(capped.account_id)
    assert spend is not None and float(spend.cost) == 0.01 and int(spend.calls) == 1


# ---------------------------------------------------------------- concurrency slots (local stack)
def test_slots_bound_calls_in_flight_per_account(account):
    first = concurrency.acquire(account.account_id, limit=2)
    second = concurrency.acquire(account.account_id, limit=2)
    with pytest.raises(AIConcurrencyLimited, match="2 AI call\\(s\\) in flight") as error:
        concurrency.acquire(account.account_id, limit=2)
    assert isinstance(error.value, AIProviderTransient)  # retried like any transient error
    concurrency.release(account.account_id, first)
    assert concurrency.in_flight(account.account_id) == 1
    with concurrency.account_slot(account.account_id, limit=2):
        assert concurrency.in_flight(account.account_id) == 2
    concurrency.release(account.account_id, second)
    assert concurrency.in_flight(account.account_id) == 0


def test_an_expired_lease_frees_its_slot(account, monkeypatch):
    monkeypatch.setattr(concurrency, "lease_seconds", lambda: 0.2)
    concurrency.acquire(account.account_id, limit=1)  # never released: a crashed Lambda
    with pytest.raises(AIConcurrencyLimited):
        concurrency.acquire(account.account_id, limit=1)
    time.sleep(0.3)
    concurrency.acquire(account.account_id, limit=1)


def test_slots_hold_under_contention(account):
    from concurrent.futures import ThreadPoolExecutor

    def take(_: int) -> str:
        try:
            return concurrency.acquire(account.account_id, limit=3)
        except AIConcurrencyLimited:
            return ""

    with ThreadPoolExecutor(max_workers=8) as pool:
        leases = [lease for lease in pool.map(take, range(8)) if lease]
    assert len(leases) <= 3 and concurrency.in_flight(account.account_id) == len(leases)
