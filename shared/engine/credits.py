"""Credits: charged once per saved item, at SAVE, through a conditional ledger write.

A retried SAVE finds its ledger entry already written and charges nothing: the ledger put, the
account's balance update and the account's monthly counter are one DynamoDB transaction.

The monthly counter (``MonthlySpend``, one item per account and month in the counters table)
makes the monthly budget check O(1): ``cost`` is added at AI_CALL for every provider answer
(money is spent whether or not the answer is used), ``credits`` here at SAVE.
"""

from __future__ import annotations

import random
import time
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from shared.db.base import bind_models, connection_settings, utcnow
from shared.db.models import Account, CreditEntry, MonthlySpend
from shared.errors import NotFound

TRANSACTION_ATTEMPTS = 5


def month_key(now: Any = None) -> str:
    return (now or utcnow()).strftime("%Y-%m")


def spend_key(month: str | None = None) -> str:
    return f"spend#{month or month_key()}"


def _connection() -> Connection:
    settings = connection_settings()
    return Connection(region=settings["region"], host=settings["host"])


def _reason_codes(exc: TransactWriteError) -> list[str | None]:
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return [r.code if r is not None else None for r in reasons]


def charge(account_id: str, task_id: str, item: str, function_name: str, credits: int, cost: float) -> bool:
    """Charge ``credits`` once for (task, item). Returns False when it was already charged.

    Concurrent charges of one account can conflict (TransactionConflict); they are retried here
    with a short jittered backoff so a SAVE never fails for that.
    """
    bind_models()
    month = month_key()
    for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
        entry = CreditEntry(
            account_id, f"{task_id}#{item}", function_name=function_name, credits=credits, cost=cost
        )
        try:
            with TransactWrite(connection=_connection()) as transaction:
                # Puts come first in the request (pynamodb orders them), so reasons[0] is the entry.
                transaction.save(entry, condition=CreditEntry.entry_id.does_not_exist())
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
                raise NotFound(f"account {account_id} not found") from None
            if "TransactionConflict" in codes and attempt < TRANSACTION_ATTEMPTS:
                time.sleep(random.uniform(0, 0.05 * 2**attempt))
                continue
            raise
        return True
    raise AssertionError("unreachable")


def charged_credits(account_id: str, task_id: str) -> int:
    """Credits charged for a job: the sum of its ledger entries (the authoritative total)."""
    bind_models()
    entries = CreditEntry.query(account_id, CreditEntry.entry_id.startswith(f"{task_id}#"))
    return int(sum(int(e.credits or 0) for e in entries))


def ledger_entries(account_id: str, task_id: str) -> list[CreditEntry]:
    bind_models()
    return list(CreditEntry.query(account_id, CreditEntry.entry_id.startswith(f"{task_id}#")))


def ledger_entry(account_id: str, task_id: str, item: str) -> CreditEntry | None:
    bind_models()
    try:
        return CreditEntry.get(account_id, f"{task_id}#{item}", consistent_read=True)
    except CreditEntry.DoesNotExist:
        return None
