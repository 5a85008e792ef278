"""Accounting: usage and cost of a job's AI calls, the credits ledger, the monthly spend and budgets.

- **Usage**: every provider answer (chat completion, embeddings request) is one usage record on
  its item (phase, stage, model, tokens, cost); ``aggregate_usage`` totals them per phase,
  model and stage, and ``settle`` makes those totals the job's authoritative figures.
- **Credits**: charged once per saved item, at SAVE, through a conditional ledger write: the
  ledger put, the account's balance update and the account's monthly counter are one DynamoDB
  transaction, so a retried SAVE charges nothing.
- **Reservations**: a job accepted through the API (``services.jobs.start_job``) is stored in
  one transaction with its estimated credits taken from the balance (conditional: never below
  zero). While it holds them, SAVE's charges write the ledger and the monthly counter but not
  the balance; DONE or the failure handler settles once: the reserved credits the ledger did not
  use go back (a charge above the reservation takes the difference). Jobs without a
  reservation are charged from the balance at SAVE.
- **Monthly spend**: one counter item per account and month (``MonthlySpend``) makes the budget
  check O(1): ``cost`` is added at AI_CALL for every provider answer (money is spent whether or
  not the answer is used), ``credits`` at SAVE.
- **Budgets**: a job that would exceed the account's credits or monthly budget is refused in
  INIT, before any AI call (the API checks first to answer 402 at once). The job's credits are
  estimated by the function's own rule; its cost as an upper bound: its calls x (an input
  estimate + the full max_tokens answer) at the model's price. Offline runs cost nothing.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from shared.ai.model_settings import ModelConfig
from shared.ai.pricing import cost_of
from shared.ai.tracker import CostTracker
from shared.config import get_settings
from shared.db.base import connection, iso_now, utcnow
from shared.db.models import Account, CreditEntry, Job, JobItem, MonthlySpend
from shared.engine import store
from shared.errors import InsufficientCredits, NotFound
from shared.functions.base import BaseAIFunction

TRANSACTION_ATTEMPTS = 5
#: Usage phases: the AI call, and its one retry with a larger budget after a cut-off answer.
AI_PHASE = "AI_CALL"
AI_RETRY_PHASE = "AI_CALL_RETRY"


# ---------------------------------------------------------------- usage
def _tracker_view(tracker: CostTracker) -> dict[str, Any]:
    return {
        "input_tokens": tracker.input_tokens,
        "output_tokens": tracker.output_tokens,
        "total_tokens": tracker.total_tokens,
        "cost": round(tracker.cost, 8),
        "calls": tracker.calls,
    }


def aggregate_usage(items: list[JobItem]) -> dict[str, Any]:
    """The job's token usage and cost: totals, per phase, per model and (if any) per stage."""
    total = CostTracker()
    groups: dict[str, dict[str, CostTracker]] = {"phases": {}, "models": {}, "stages": {}}
    calls = 0
    for item in items:
        total.record(int(item.input_tokens or 0), int(item.output_tokens or 0), float(item.cost or 0))
        for record in item.usage or []:
            calls += 1
            tokens = (int(record.get("input_tokens") or 0), int(record.get("output_tokens") or 0))
            cost = float(record.get("cost") or 0)
            keys = {
                "phases": str(record.get("phase") or AI_PHASE),
                "models": str(record.get("model") or "unknown"),
                "stages": record.get("stage"),
            }
            for group, key in keys.items():
                if key is not None:
                    groups[group].setdefault(str(key), CostTracker()).record(*tokens, cost)
    view: dict[str, Any] = _tracker_view(total)
    view["calls"] = calls
    for group, trackers in groups.items():
        if trackers or group != "stages":
            view[group] = {name: _tracker_view(t) for name, t in trackers.items()}
    return view


def settle(job: Job, items: list[JobItem]) -> dict[str, Any]:
    """Set the job's final tokens, cost and credits from its items and the ledger.

    These are authoritative: the running totals added during the run could miss the share of an
    invocation that crashed between its writes.
    """
    usage = aggregate_usage(items)
    usage["credits"] = charged_credits(job.account_id, job.task_id, consistent=True)
    store.set_accounting(job, usage)
    settle_reservation(job)
    return usage


# ---------------------------------------------------------------- credits ledger
def month_key(now: Any = None) -> str:
    return (now or utcnow()).strftime("%Y-%m")


def spend_key(month: str | None = None) -> str:
    return f"spend#{month or month_key()}"


def _reason_codes(exc: TransactWriteError) -> list[str | None]:
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return [r.code if r is not None else None for r in reasons]


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.05 * 2**attempt))


def charge(
    account_id: str,
    task_id: str,
    item: str,
    function_name: str,
    credits: int,
    cost: float,
    reserved: bool = False,
) -> bool:
    """Charge ``credits`` once for (task, item). Returns False when it was already charged.

    ``reserved``: the job holds a reservation, which already took the credits from the balance;
    the charge is counted on the job (``reserved_charged``) instead, in the same transaction,
    conditioned on the reservation not being settled yet. After settlement (an item saved late)
    the charge falls back to the balance.

    Concurrent charges of one account can conflict (TransactionConflict); they are retried here
    with a short jittered backoff so a SAVE never fails for that.
    """
    month = month_key()
    for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
        entry = CreditEntry(
            account_id, f"{task_id}#{item}", function_name=function_name, credits=credits, cost=cost
        )
        try:
            with TransactWrite(connection=connection()) as transaction:
                # Puts come first in the request (pynamodb orders them), so reasons[0] is the entry
                # and reasons[1] the balance (or the reservation) update.
                transaction.save(entry, condition=CreditEntry.entry_id.does_not_exist())
                if reserved:
                    transaction.update(
                        Job(account_id, task_id),
                        actions=[Job.reserved_charged.add(credits)],
                        condition=Job.reserved_credits.exists() & Job.settled.does_not_exist(),
                    )
                else:
                    transaction.update(
                        Account(account_id),
                        actions=[Account.credits.add(-credits)],
                        condition=Account.account_id.exists(),
                    )
                transaction.update(
                    MonthlySpend(account_id, spend_key(month)),
                    actions=[MonthlySpend.credits.add(credits), MonthlySpend.month.set(month)],
                )
        except TransactWriteError as exc:
            codes = _reason_codes(exc)
            if codes and codes[0] == "ConditionalCheckFailed":
                return False
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                if reserved:  # settled already: the balance pays
                    reserved = False
                    continue
                raise NotFound(f"account {account_id} not found") from None
            if "TransactionConflict" in codes and attempt < TRANSACTION_ATTEMPTS:
                _backoff(attempt)
                continue
            raise
        return True
    raise AssertionError("unreachable")


def ledger_entries(account_id: str, task_id: str, consistent: bool = False) -> list[CreditEntry]:
    condition = CreditEntry.entry_id.startswith(f"{task_id}#")
    return list(CreditEntry.query(account_id, condition, consistent_read=consistent))


def charged_credits(account_id: str, task_id: str, consistent: bool = False) -> int:
    """Credits charged for a job: the sum of its ledger entries (the authoritative total)."""
    return int(sum(int(e.credits or 0) for e in ledger_entries(account_id, task_id, consistent)))


def ledger_entry(account_id: str, task_id: str, item: str) -> CreditEntry | None:
    try:
        return CreditEntry.get(account_id, f"{task_id}#{item}", consistent_read=True)
    except CreditEntry.DoesNotExist:
        return None


def charge_item(job: Job, item: JobItem, function_name: str, credits: int) -> int:
    """Charge a saved item once; the credits it was charged (by this or an earlier attempt)."""
    reserved = job.reserved_credits is not None
    cost = float(item.cost or 0)
    if charge(job.account_id, job.task_id, item.item, function_name, credits, cost, reserved):
        return credits
    entry = ledger_entry(job.account_id, job.task_id, item.item)
    return int(entry.credits) if entry is not None else credits


# ---------------------------------------------------------------- reservations
def not_enough_credits(needed: int, available: int, label: str) -> InsufficientCredits:
    return InsufficientCredits(
        f"not enough credits: this job needs {needed} credit(s) and the account has {available} left. "
        f"Add credits to the account or select fewer {label} per job."
    )


def insert_reserved_job(job: Job, credits: int, label: str) -> Job:
    """Store a new job and reserve its estimated credits in one transaction.

    The account's balance goes down by ``credits`` only if it has them (else InsufficientCredits
    and nothing is stored); the job row records the reservation, so no crash can take credits
    without a job that will give back what it does not use.
    """
    credits = max(int(credits), 0)
    job.reserved_credits = credits
    condition = Account.account_id.exists()
    if credits > 0:
        condition = condition & (Account.credits >= credits)
    for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.save(job, condition=Job.task_id.does_not_exist())
                transaction.update(
                    Account(job.account_id), actions=[Account.credits.add(-credits)], condition=condition
                )
        except TransactWriteError as exc:
            codes = _reason_codes(exc)
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                try:
                    account = Account.get(job.account_id, consistent_read=True)
                except Account.DoesNotExist:
                    raise NotFound(f"account {job.account_id} not found") from None
                raise not_enough_credits(credits, int(account.credits or 0), label) from None
            if "TransactionConflict" in codes and attempt < TRANSACTION_ATTEMPTS:
                _backoff(attempt)
                continue
            raise
        return job
    raise AssertionError("unreachable")


def settle_reservation(job: Job) -> int | None:
    """Settle the job's reservation once: refund ``reserved - charged`` (the ledger's total).

    Returns the credits given back (negative: taken), or None when there was nothing to settle
    (no reservation, or settled already: a retried DONE or failure handler refunds nothing).
    The settlement is conditioned on the job's ``reserved_charged`` being the ledger total read,
    so a charge that lands in between makes it read again; charges after it pay from the balance.
    """
    for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
        fresh = store.load_job(job.account_id, job.task_id, consistent=True)
        if fresh.reserved_credits is None or fresh.settled is not None:
            return None
        charged = charged_credits(job.account_id, job.task_id, consistent=True)
        refund = int(fresh.reserved_credits) - charged
        same_charges = (
            Job.reserved_charged.does_not_exist() | (Job.reserved_charged == 0)
            if charged == 0
            else Job.reserved_charged == charged
        )
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.update(
                    Job(job.account_id, job.task_id),
                    actions=[Job.settled.set(iso_now()), Job.settled_refund.set(refund)],
                    condition=Job.settled.does_not_exist() & same_charges,
                )
                if refund:
                    transaction.update(Account(job.account_id), actions=[Account.credits.add(refund)])
        except TransactWriteError as exc:
            codes = _reason_codes(exc)
            retry = "TransactionConflict" in codes or (codes and codes[0] == "ConditionalCheckFailed")
            if retry and attempt < TRANSACTION_ATTEMPTS:
                _backoff(attempt)
                continue  # settled meanwhile (read again: None) or a charge landed
            raise
        return refund
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- monthly spend and budgets
def monthly_spend(account_id: str, month: str | None = None) -> MonthlySpend | None:
    try:
        return MonthlySpend.get(account_id, spend_key(month), consistent_read=True)
    except MonthlySpend.DoesNotExist:
        return None


def record_spend(account_id: str, cost: float, calls: int = 1) -> None:
    """Add the USD cost of provider answers to the account's monthly counter (atomic ADD)."""
    if cost <= 0 and calls <= 0:
        return
    month = month_key()
    MonthlySpend(account_id, spend_key(month)).update(
        actions=[
            MonthlySpend.cost.add(round(float(cost), 8)),
            MonthlySpend.calls.add(int(calls)),
            MonthlySpend.month.set(month),
        ]
    )


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


def estimate_job_cost(fn: BaseAIFunction, payload: dict[str, Any], config: ModelConfig) -> float:
    """An upper bound of the job's USD cost: every call answers with its full max_tokens."""
    calls = fn.estimate_calls(payload)
    return calls * cost_of(config.model, fn.estimate_prompt_tokens(payload), config.max_tokens)


def _uses_provider(config: ModelConfig) -> bool:
    """Whether calls go to a provider (and cost money) rather than the offline local provider."""
    settings = get_settings()
    return bool(
        config.api_key
        or config.base_url
        or settings.openai_api_key
        or settings.openai_secret_name
        or settings.openai_parameter_name
    )


def check_job_budget(
    account: Any,
    fn: BaseAIFunction,
    payload: dict[str, Any],
    config: ModelConfig | None = None,
    check_credits: bool = True,
) -> BudgetCheck:
    """Raise InsufficientCredits when the job would exceed the account's credits or monthly budget.

    ``check_credits=False``: the job holds a reservation of its credits already (INIT of a job
    started through ``start_job``), only the monthly budget is checked.
    """
    config = config or fn.model_config(account.account_id, payload.get("model"))
    needed = fn.estimate_credits(payload)
    available = int(account.credits or 0)
    if check_credits and needed > available:
        raise not_enough_credits(needed, available, fn.item_label)
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
