"""Credits: charged once per saved item, at SAVE, through a conditional ledger write.

A retried SAVE finds its ledger entry already written and charges nothing: the ledger put and
the account's balance update are one DynamoDB transaction.
"""

from __future__ import annotations

import math
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from shared.db.base import bind_models
from shared.db.models import Account, CreditEntry

KEYWORDS_PER_CLUSTERING_CREDIT = 10


def calculate_credits_for_clustering(keyword_count: int) -> int:
    """The clustering rule: one credit per started block of 10 keywords, at least one."""
    return max(1, math.ceil(keyword_count / KEYWORDS_PER_CLUSTERING_CREDIT))


def credits_for(function_name: str, data: dict[str, Any], result: dict[str, Any]) -> int:
    """Credits one saved item costs."""
    if function_name == "auto_cluster":
        return calculate_credits_for_clustering(len(data.get("keyword_data") or []))
    if function_name == "generate_ideas":
        return max(1, len(data.get("cluster_data") or []))
    return 1


def charge(account_id: str, task_id: str, item: str, function_name: str, credits: int, cost: float) -> bool:
    """Charge ``credits`` once for (task, item). Returns False when it was already charged."""
    bind_models()
    entry = CreditEntry(
        account_id, f"{task_id}#{item}", function_name=function_name, credits=credits, cost=cost
    )
    connection = Connection(region=Account.Meta.region, host=Account.Meta.host)
    try:
        with TransactWrite(connection=connection) as transaction:
            transaction.save(entry, condition=CreditEntry.entry_id.does_not_exist())
            transaction.update(Account(account_id), actions=[Account.credits.add(-credits)])
    except TransactWriteError as exc:
        reasons = getattr(exc, "cancellation_reasons", None) or []
        if any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons):
            return False
        raise
    return True
