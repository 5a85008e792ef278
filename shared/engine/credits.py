"""Credits: charged once per saved item, at SAVE, through a conditional ledger write.

A retried SAVE finds its ledger entry already written and charges nothing: the ledger put, the
account's balance update and the account's monthly counter are one DynamoDB transaction.

The monthly counter (``MonthlySpend``, one item per account and month in the counters table)
makes the monthly budget check O(1): ``cost`` is added at AI_CALL for every provider answer
(money is spent whether or not the answer is used), ``credits`` here at SAVE.
"""

from __future__ import annotations

import math
import os
import random
import time
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from shared.config import get_settings
from shared.db.base import BaseModel, bind_models, connection_settings, utcnow
from shared.db.models import Account, CreditEntry
from shared.errors import NotFound

KEYWORDS_PER_CLUSTERING_CREDIT = 10
CREDITS_PER_IDEAS_CLUSTER = 1
CREDITS_PER_ARTICLE = 1
TRANSACTION_ATTEMPTS = 5


class MonthlySpend(BaseModel):
    """An account's spend in one calendar month (UTC): ``{account_id, "spend#YYYY-MM"}``."""

    table_suffix = "counters"

    class Meta:
        table_name = "unbound"

    account_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(range_key=True)
    month = UnicodeAttribute(null=True)
    cost = NumberAttribute(default=0)  # USD, every provider answer
    credits = NumberAttribute(default=0)  # charged at SAVE
    calls = NumberAttribute(default=0)


def bind_model(model: type[BaseModel]) -> None:
    """Bind one model declared outside shared/db/models.py (bind_models may have run before its
    module was imported, and then skips it)."""
    bind_models()
    settings = get_settings()
    table = f"{settings.table_prefix}-{model.table_suffix}"
    host = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL")
    meta = model.Meta
    if (
        meta.table_name != table
        or getattr(meta, "host", None) != host
        or getattr(meta, "region", None) != settings.region
    ):
        meta.table_name = table
        setattr(meta, "region", settings.region)  # noqa: B010 - pynamodb reads optional Meta fields
        setattr(meta, "host", host)  # noqa: B010
        model._connection = None


def month_key(now: Any = None) -> str:
    return (now or utcnow()).strftime("%Y-%m")


def spend_key(month: str | None = None) -> str:
    return f"spend#{month or month_key()}"


def calculate_credits_for_clustering(keyword_count: int) -> int:
    """The clustering rule: one credit per started block of 10 keywords, at least one."""
    return max(1, math.ceil(keyword_count / KEYWORDS_PER_CLUSTERING_CREDIT))


def credits_for(function_name: str, data: dict[str, Any], result: dict[str, Any]) -> int:
    """Credits one saved item costs."""
    if function_name == "auto_cluster":
        return calculate_credits_for_clustering(len(data.get("keyword_data") or []))
    if function_name == "generate_ideas":
        return max(1, len(data.get("cluster_data") or []) * CREDITS_PER_IDEAS_CLUSTER)
    return CREDITS_PER_ARTICLE


def estimate_job_credits(function_name: str, payload: dict[str, Any]) -> int:
    """Credits a job will cost at most, from its payload (INIT, before anything is loaded).

    The same rules as ``credits_for``, applied to the requested ids: clustering by keyword
    count, ideas per cluster, content per writer task.
    """
    count = len(payload.get("ids") or [])
    if function_name == "auto_cluster":
        return calculate_credits_for_clustering(count)
    if function_name == "generate_ideas":
        return max(1, count * CREDITS_PER_IDEAS_CLUSTER)
    return max(1, count * CREDITS_PER_ARTICLE)


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
    bind_model(MonthlySpend)
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
