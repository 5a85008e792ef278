"""Budgets: a job that would exceed the account's credits or monthly budget is refused in INIT,
before any AI call, with a message that says what to do.

- Credits: ``Account.credits`` is the remaining balance; the job's credits are estimated from
  its payload with the same rule SAVE charges by (the function's ``estimate_credits``).
- Monthly budget: ``Account.monthly_budget_usd`` caps the USD cost of AI calls in a calendar
  month (UTC). The month's spend is one counter item (``MonthlySpend``), read in O(1);
  AI_CALL adds every answer's cost to it (``record_spend``). The job's cost is estimated as an
  upper bound: its calls x (an input estimate + the full max_tokens answer) at the model's price.
  Offline runs cost nothing, so only an exhausted budget refuses them.

The API checks before starting a job to answer 402 at once (``services.jobs.prevalidate``);
INIT checks again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.ai.model_settings import ModelConfig
from shared.ai.pricing import cost_of
from shared.db.base import bind_models
from shared.db.models import MonthlySpend
from shared.engine.credits import month_key, spend_key
from shared.errors import InsufficientCredits
from shared.functions.base import BaseAIFunction


@dataclass(frozen=True)
class BudgetCheck:
    credits_needed: int
    credits_available: int
    estimated_cost: float
    month: str
    month_spent: float
    monthly_budget: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "credits_needed": self.credits_needed,
            "credits_available": self.credits_available,
            "estimated_cost_usd": round(self.estimated_cost, 6),
            "month": self.month,
            "month_spent_usd": round(self.month_spent, 6),
            "monthly_budget_usd": self.monthly_budget,
        }


def monthly_spend(account_id: str, month: str | None = None) -> MonthlySpend | None:
    bind_models()
    try:
        return MonthlySpend.get(account_id, spend_key(month), consistent_read=True)
    except MonthlySpend.DoesNotExist:
        return None


def record_spend(account_id: str, cost: float, calls: int = 1) -> None:
    """Add the USD cost of provider answers to the account's monthly counter (atomic ADD)."""
    if cost <= 0 and calls <= 0:
        return
    bind_models()
    month = month_key()
    MonthlySpend(account_id, spend_key(month)).update(
        actions=[
            MonthlySpend.cost.add(round(float(cost), 8)),
            MonthlySpend.calls.add(int(calls)),
            MonthlySpend.month.set(month),
        ]
    )


def estimate_job_cost(fn: BaseAIFunction, payload: dict[str, Any], config: ModelConfig) -> float:
    """An upper bound of the job's USD cost: every call answers with its full max_tokens."""
    calls = fn.estimate_calls(payload)
    return calls * cost_of(config.model, fn.estimate_prompt_tokens(payload), config.max_tokens)


def _uses_provider(config: ModelConfig) -> bool:
    """Whether calls go to a provider (and cost money) rather than the offline local provider."""

    from shared.config import get_settings

    settings = get_settings()
    return bool(
        config.api_key
        or config.base_url
        or settings.openai_api_key
        or settings.openai_secret_name
        or settings.openai_parameter_name
    )


def check_job_budget(
    account: Any, fn: BaseAIFunction, payload: dict[str, Any], config: ModelConfig | None = None
) -> BudgetCheck:
    """Raise InsufficientCredits when the job would exceed the account's credits or monthly budget."""
    config = config or fn.model_config(account.account_id, payload.get("model"))
    needed = fn.estimate_credits(payload)
    available = int(account.credits or 0)
    if needed > available:
        unit = fn.item_label
        raise InsufficientCredits(
            f"not enough credits: this job needs {needed} credit(s) and the account has {available} left. "
            f"Add credits to the account or select fewer {unit} per job."
        )
    month = month_key()
    budget = float(account.monthly_budget_usd) if account.monthly_budget_usd is not None else None
    spend = monthly_spend(account.account_id, month)
    spent = float(spend.cost or 0) if spend is not None else 0.0
    estimate = estimate_job_cost(fn, payload, config) if _uses_provider(config) else 0.0
    if budget is not None:
        if spent >= budget:
            raise InsufficientCredits(
                f"the monthly AI budget of ${budget:.2f} is used up (${spent:.4f} spent in {month}). "
                "Raise the account's monthly budget or wait until next month."
            )
        if spent + estimate > budget:
            raise InsufficientCredits(
                f"this job could cost up to ${estimate:.4f} with {config.model} and the monthly AI budget "
                f"of ${budget:.2f} has ${budget - spent:.4f} left ({month}). Raise the monthly budget, "
                "select fewer records per job, or lower max_tokens in the account's AI settings."
            )
    return BudgetCheck(needed, available, estimate, month, spent, budget)
