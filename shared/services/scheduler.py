"""Scheduled batches (EventBridge): find an account's pending work and start jobs for it.

The rule's input names the account and what to do:
``{"account_id": "...", "function_name": "auto_cluster", "selector": "unclustered"}``.
Each function declares the selector that feeds it (``batch_selector``) and how it selects
(``select_batch``): ``unclustered`` for auto_cluster, ``clusters_without_ideas`` for
generate_ideas, ``queued_tasks`` for generate_content. Work is split into jobs no larger than
each function's batch size (else its item limit). A job whose records another job is still
changing (``RecordBusy``) is skipped and reported with that job; the others start.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from shared.db.repo import get_account
from shared.errors import InputInvalid, NotFound, RecordBusy
from shared.functions.base import BaseAIFunction
from shared.functions.registry import canonical_name, get_function_instance, list_functions
from shared.services.jobs import start_job

#: Records one rule may select: default and bounds.
DEFAULT_LIMIT = 1000
MIN_LIMIT, MAX_LIMIT = 1, 10_000
#: An integer written as text: ASCII digits, optional sign, ``_`` separators, a zero fraction.
_INTEGER_TEXT = re.compile(r"[+-]?[0-9](?:_?[0-9])*(?:\.0+)?")


@dataclass(frozen=True)
class BatchRequest:
    """The rule's input. Checked by ``parse_request`` without pydantic (the scheduler's cold
    start); the messages keep the wording the pydantic model gave them. Other keys are ignored."""

    account_id: str
    function_name: str
    selector: str
    limit: int = DEFAULT_LIMIT


class _Invalid(ValueError):
    pass


def _text(source: dict[str, Any], name: str, min_length: int = 0) -> str:
    if name not in source:
        raise _Invalid("Field required")
    value = source[name]
    if not isinstance(value, str):
        raise _Invalid("Input should be a valid string")
    if len(value) < min_length:
        raise _Invalid(f"String should have at least {min_length} character")
    return value


def _integer(value: Any) -> int:
    """An integer as a JSON input may give it: a number, a bool, or digits in a string."""
    if isinstance(value, int):  # bool included: True is 1
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Invalid("Input should be a finite number")
        if not value.is_integer():
            raise _Invalid("Input should be a valid integer, got a number with a fractional part")
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if not _INTEGER_TEXT.fullmatch(text):
            raise _Invalid("Input should be a valid integer, unable to parse string as an integer")
        return int(text.split(".")[0])
    raise _Invalid("Input should be a valid integer")


def _limit(source: dict[str, Any]) -> int:
    if "limit" not in source:
        return DEFAULT_LIMIT
    limit = _integer(source["limit"])
    if limit < MIN_LIMIT:
        raise _Invalid(f"Input should be greater than or equal to {MIN_LIMIT}")
    if limit > MAX_LIMIT:
        raise _Invalid(f"Input should be less than or equal to {MAX_LIMIT}")
    return limit


def parse_request(source: dict[str, Any]) -> BatchRequest:
    """The rule's input, checked field by field in order; the first problem is reported."""
    try:
        return BatchRequest(
            account_id=_text(source, "account_id", min_length=1),
            function_name=_text(source, "function_name"),
            selector=_text(source, "selector"),
            limit=_limit(source),
        )
    except _Invalid as exc:
        raise InputInvalid(f"invalid scheduled batch input: {exc}") from None


def _function_for(selector: str) -> BaseAIFunction:
    """The function a selector feeds (each function declares its own ``batch_selector``)."""
    functions = [get_function_instance(name) for name in list_functions()]
    for fn in functions:
        if fn.batch_selector == selector:
            return fn
    known = ", ".join(str(fn.batch_selector) for fn in functions if fn.batch_selector)
    raise InputInvalid(f"unknown selector {selector!r}; use one of {known}")


def run_batch(event: dict[str, Any]) -> dict[str, Any]:
    """Start the jobs a scheduled rule asks for; returns their task ids."""
    detail = event.get("detail")
    source: dict[str, Any] = detail if isinstance(detail, dict) and detail else event
    request = parse_request(source)
    fn = _function_for(request.selector)
    if fn.name != canonical_name(request.function_name):
        raise InputInvalid(f"selector {request.selector!r} feeds {fn.name}, not {request.function_name}")
    if get_account(request.account_id) is None:
        raise NotFound(f"account {request.account_id} not found")
    payloads, selected = fn.batch_payloads(request.account_id, request.limit)
    task_ids: list[str] = []
    skipped: list[dict[str, Any]] = []
    for payload in payloads:
        try:
            task_ids.append(start_job(request.account_id, fn.name, payload).task_id)
        except RecordBusy as exc:
            # Work a running job holds is left for a later run; the rest of the batch goes on.
            skipped.append({"payload": payload, "running_job": exc.task_id, "message": str(exc)})
    return {
        "account_id": request.account_id,
        "function_name": request.function_name,
        "selected": selected,
        "jobs": task_ids,
        "skipped": skipped,
    }
