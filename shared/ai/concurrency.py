"""A per-account bound on provider calls in flight, shared by every Lambda.

One item per account in the counters table (``{account_id, "ai-slots"}``) holds the leases:
``{lease_id: expires_at_epoch}``. Taking a slot is a read, a prune of expired leases and a
put conditioned on the item's version (optimistic locking), so concurrent Lambdas never hand
out more than the limit. A lease expires by itself (TTL) after the longest an AI_CALL can run,
so a crashed Lambda cannot keep a slot. When no slot is free the caller gets
``AIConcurrencyLimited`` (an ``AIProviderTransient``): the state machine retries AI_CALL with
backoff and jitter (its own Retry entry), sync mode retries it in process.

The limit: the account's ``max_concurrency`` AI setting, else env AI_ACCOUNT_MAX_CONCURRENCY,
else MAX_ITEM_CONCURRENCY (the Map state's bound).
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from pynamodb.exceptions import PutError

from shared.ai.model_settings import account_ai_config, call_budget_seconds
from shared.config import get_settings
from shared.db.models import AISlots
from shared.errors import AIConcurrencyLimited

SLOTS_KEY = "ai-slots"
LEASE_MARGIN_SECONDS = 60.0
CONTENTION_ATTEMPTS = 8


def lease_seconds() -> float:
    """How long a lease lives: the longest an AI_CALL can spend on the provider, plus a margin."""
    return call_budget_seconds() + LEASE_MARGIN_SECONDS


def account_limit(account_id: str) -> int:
    configured = account_ai_config(account_id).get("max_concurrency")
    if configured:
        return max(1, int(configured))
    settings = get_settings()
    return int(settings.ai_account_max_concurrency or settings.max_item_concurrency)


def _conditional_failed(exc: PutError) -> bool:
    return getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException"


def _load(account_id: str) -> AISlots | None:
    try:
        return AISlots.get(account_id, SLOTS_KEY, consistent_read=True)
    except AISlots.DoesNotExist:
        return None


def _write(account_id: str, current: AISlots | None, leases: dict[str, float]) -> bool:
    """Put the new leases if nobody changed the item since ``current`` was read."""
    version = int(current.version or 0) if current is not None else 0
    condition = AISlots.version == version if current is not None else AISlots.account_id.does_not_exist()
    try:
        AISlots(account_id, SLOTS_KEY, leases=leases, version=version + 1).save(condition=condition)
    except PutError as exc:
        if _conditional_failed(exc):
            return False
        raise
    return True


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, min(0.02 * 2**attempt, 0.5)))


def acquire(account_id: str, limit: int | None = None) -> str:
    """Take a slot; returns the lease id. Raises AIConcurrencyLimited when all are taken."""
    limit = limit or account_limit(account_id)
    lease_id = uuid.uuid4().hex
    for attempt in range(CONTENTION_ATTEMPTS):
        current = _load(account_id)
        now = time.time()
        live = {
            k: float(v) for k, v in ((current.leases if current else None) or {}).items() if float(v) > now
        }
        if len(live) >= limit:
            raise AIConcurrencyLimited(
                f"the account already has {len(live)} AI call(s) in flight (limit {limit}); "
                "this call is retried when one finishes"
            )
        live[lease_id] = now + lease_seconds()
        if _write(account_id, current, live):
            return lease_id
        _backoff(attempt)
    raise AIConcurrencyLimited("too many concurrent AI calls for this account; this call is retried shortly")


def release(account_id: str, lease_id: str) -> None:
    """Give a slot back. Best effort: an unreleased lease expires by itself."""
    for attempt in range(CONTENTION_ATTEMPTS):
        current = _load(account_id)
        if current is None or lease_id not in (current.leases or {}):
            return
        now = time.time()
        live = {k: float(v) for k, v in current.leases.items() if k != lease_id and float(v) > now}
        if _write(account_id, current, live):
            return
        _backoff(attempt)


def in_flight(account_id: str) -> int:
    """Live leases of the account (tests, diagnostics)."""
    current = _load(account_id)
    now = time.time()
    return sum(1 for v in ((current.leases if current else None) or {}).values() if float(v) > now)


@contextmanager
def account_slot(account_id: str | None, limit: int | None = None) -> Iterator[str | None]:
    """Hold one of the account's slots for the duration of a provider call (and its retries)."""
    if not account_id:
        yield None
        return
    lease_id = acquire(account_id, limit)
    try:
        yield lease_id
    finally:
        # Best effort: the lease expires by itself; never mask the call's own outcome.
        with suppress(Exception):
            release(account_id, lease_id)
