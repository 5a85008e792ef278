"""An account's usage this month: credits, spend against the budget, tokens and cost by function
and by model (``GET /v1/account/usage``).

- Credits: ``available`` is the balance new jobs can draw on; ``reserved`` is what running jobs
  hold (taken from the balance when they were accepted, the unused part given back at their end).
- Spend: the account's ``MonthlySpend`` counter (every provider answer's cost, credits charged at
  SAVE) against ``monthly_budget_usd``: the figure the budget check itself uses.
- By function and by model: the jobs created this month (UTC), read with one Query on the jobs'
  ``by_created`` index (account, created_at >= the first of the month). A finished job counts its
  settled ``usage`` (per model); a running one its running totals under its model. A job counts
  in the month it was created, so near a month's start these totals and the spend counter (by
  the time of each call) can differ by the jobs that ran across midnight.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.db.base import utcnow
from shared.db.models import Job
from shared.db.repo import get_account
from shared.engine.accounting import month_key, monthly_spend
from shared.errors import NotFound

#: Jobs read at most (a month of an agency's jobs is far fewer); beyond it ``truncated`` is true.
MAX_JOBS = 20_000
#: Reservations of jobs created this long before the month began still count (long runs).
RESERVATION_LOOKBACK = timedelta(days=7)
_FIELDS = (
    "account_id",
    "task_id",
    "function_name",
    "status",
    "created_at",
    "model",
    "input_tokens",
    "output_tokens",
    "cost",
    "credits",
    "usage",
    "reserved_credits",
    "reserved_charged",
    "settled",
)


def _totals() -> dict[str, Any]:
    return {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0, "cost_usd": 0.0}


def _add(totals: dict[str, Any], input_tokens: Any, output_tokens: Any, cost: Any) -> None:
    totals["input_tokens"] += int(input_tokens or 0)
    totals["output_tokens"] += int(output_tokens or 0)
    totals["total_tokens"] = totals["input_tokens"] + totals["output_tokens"]
    totals["cost_usd"] += float(cost or 0)


def _round(groups: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    for totals in groups.values():
        totals["cost_usd"] = round(totals["cost_usd"], 8)
    return dict(sorted(groups.items()))


def _count_models(job: Job, by_model: dict[str, dict[str, Any]]) -> None:
    models = (job.usage or {}).get("models") if isinstance(job.usage, dict) else None
    if isinstance(models, dict) and models:
        for model, used in models.items():
            totals = by_model.setdefault(str(model), {"calls": 0, **_totals()})
            totals["calls"] += int(used.get("calls") or 0)
            _add(totals, used.get("input_tokens"), used.get("output_tokens"), used.get("cost"))
    elif job.tokens or job.cost:
        totals = by_model.setdefault(job.model or "unknown", {"calls": 0, **_totals()})
        _add(totals, job.input_tokens, job.output_tokens, job.cost)


def _month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def account_usage(account_id: str, now: datetime | None = None) -> dict[str, Any]:
    """The account's usage in the current month (UTC)."""
    account = get_account(account_id)
    if account is None:
        raise NotFound(f"account {account_id} not found")
    now = now or utcnow()
    month, start = month_key(now), _iso(_month_start(now))
    since = _iso(_month_start(now) - RESERVATION_LOOKBACK)
    jobs = Job.by_created.query(
        account_id, Job.created_at >= since, attributes_to_get=list(_FIELDS), page_size=500
    )
    by_function: dict[str, dict[str, Any]] = {}
    by_model: dict[str, dict[str, Any]] = {}
    statuses = {"total": 0, "completed": 0, "failed": 0, "running": 0}
    reserved, read, truncated = 0, 0, False
    for job in jobs:
        read += 1
        if read > MAX_JOBS:
            truncated = True
            break
        if job.reserved_credits is not None and job.settled is None:
            reserved += max(int(job.reserved_credits) - int(job.reserved_charged or 0), 0)
        if (job.created_at or "") < start:
            continue
        statuses["total"] += 1
        status = job.status if job.status in ("completed", "failed") else "running"
        statuses[status] += 1
        totals = by_function.setdefault(job.function_name, {"jobs": 0, "credits": 0, **_totals()})
        totals["jobs"] += 1
        totals["credits"] += int(job.credits or 0)
        _add(totals, job.input_tokens, job.output_tokens, job.cost)
        _count_models(job, by_model)
    spend = monthly_spend(account_id, month)
    spent = float(spend.cost or 0) if spend is not None else 0.0
    budget = float(account.monthly_budget_usd) if account.monthly_budget_usd is not None else None
    return {
        "account_id": account_id,
        "month": month,
        "credits": {"available": int(account.credits or 0), "reserved": reserved},
        "spend": {
            "cost_usd": round(spent, 8),
            "credits": int(spend.credits or 0) if spend is not None else 0,
            "calls": int(spend.calls or 0) if spend is not None else 0,
            "budget_usd": budget,
            "remaining_usd": round(max(budget - spent, 0.0), 8) if budget is not None else None,
            "budget_used_percent": round(100 * spent / budget, 2) if budget else None,
        },
        "jobs": statuses,
        "by_function": _round(by_function),
        "by_model": _round(by_model),
        "truncated": truncated,
    }
