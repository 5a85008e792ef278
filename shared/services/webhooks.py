"""Account webhooks: set, shown, removed; and the delivery of job events to them.

An account sets one URL (``PUT /v1/account/webhook``); the answer carries a new signing secret,
the only time it is shown (it is stored on the account, never returned or logged again; setting
the URL again rotates it). Every job end is an EventBridge event on the stack's bus
(``shared.engine.events``); a rule on the bus invokes the webhook Lambda
(``functions/webhook``), which calls ``deliver_event``: the event's detail is POSTed as JSON to
the account's URL with

- ``X-Igny8-Event``: ``job.succeeded`` or ``job.failed``;
- ``X-Igny8-Delivery``: the EventBridge event id (the same on every attempt of one event);
- ``X-Igny8-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``: the
  receiver recomputes it over the raw body with its secret (``verify_signature`` shows how)
  and refuses old timestamps, so a captured request cannot be replayed later.

Attempts are bounded (``WEBHOOK_MAX_ATTEMPTS``, default 5) and spaced by exponential backoff
(``WEBHOOK_BACKOFF_SECONDS`` x 1, 2, 4, 8 ...); only 5xx, 429, timeouts and connection errors are
retried. Redirects are not followed. The outcome is recorded on the account (``last_delivery``);
an event that could not be delivered fails the invocation, so Lambda hands it to the webhook
dead-letter queue (template.yaml), from which an operator can redrive it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from pynamodb.exceptions import UpdateError

from shared.ai.model_settings import redact_url
from shared.ai.outbound import EndpointRefused
from shared.config import get_settings
from shared.db.base import iso_now
from shared.db.models import Account
from shared.db.repo import get_account
from shared.engine.events import EVENT_NAMES, SOURCE
from shared.errors import EngineError, InputInvalid, NotFound
from shared.observability import logger
from shared.services.webhook_target import Answer, check_webhook_url, post

SECRET_PREFIX = "whsec_"
#: Receivers should refuse signatures older than this many seconds (``verify_signature``).
SIGNATURE_TOLERANCE_SECONDS = 300
#: A delivery stops retrying when the next attempt could not finish within this budget
#: (the webhook Lambda's timeout is 90 s).
DELIVERY_BUDGET_SECONDS = 75.0
MAX_BACKOFF_SECONDS = 30.0
USER_AGENT = "igny8-webhooks/1"


class WebhookDeliveryFailed(EngineError):
    """An event could not be delivered to the account's webhook (the invocation fails: DLQ)."""

    status_code = 502


# ---------------------------------------------------------------- the account's webhook
def _account(account_id: str) -> Account:
    account = get_account(account_id)
    if account is None:
        raise NotFound(f"account {account_id} not found")
    return account


def set_webhook(account_id: str, url: str) -> dict[str, Any]:
    """Check and store the account's webhook URL with a new secret; the answer shows the secret once."""
    try:
        check_webhook_url(url)
    except EndpointRefused as exc:
        raise InputInvalid(str(exc)) from None  # checked in context (DNS): a 400, as base_url's
    _account(account_id)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    now = iso_now()
    Account(account_id).update(
        actions=[
            Account.webhook_url.set(url.strip()),
            Account.webhook_secret.set(secret),
            Account.webhook_updated_at.set(now),
            Account.webhook_last_delivery.remove(),
        ],
        condition=Account.account_id.exists(),
    )
    logger.info("webhook set", extra={"webhook": redact_url(url.strip())})
    return {
        "url": url.strip(),
        "secret": secret,
        "updated_at": now,
        "message": "store the secret now: it is shown only this once (set the URL again to rotate it)",
    }


def webhook_view(account_id: str) -> dict[str, Any]:
    """The account's webhook as the API shows it: never the secret."""
    account = _account(account_id)
    return {
        "url": account.webhook_url,
        "configured": bool(account.webhook_url),
        "updated_at": account.webhook_updated_at,
        "last_delivery": account.webhook_last_delivery,
    }


def delete_webhook(account_id: str) -> dict[str, Any]:
    account = _account(account_id)
    if not account.webhook_url:
        raise NotFound("no webhook is set for this account")
    Account(account_id).update(
        actions=[
            Account.webhook_url.remove(),
            Account.webhook_secret.remove(),
            Account.webhook_updated_at.remove(),
            Account.webhook_last_delivery.remove(),
        ]
    )
    return {"success": True, "message": "webhook removed: job events are no longer delivered"}


# ---------------------------------------------------------------- signatures
def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Igny8-Signature`` value: ``t=<timestamp>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    tolerance: float = SIGNATURE_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """What a receiver does: recompute the HMAC over the raw body, compare in constant time,
    and refuse a timestamp further than ``tolerance`` seconds from now (a replay)."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


# ---------------------------------------------------------------- delivery
def _retryable(answer: Answer) -> bool:
    return answer.status is None or answer.status >= 500 or answer.status == 429


def _problem(answer: Answer) -> str:
    if answer.status is None:
        return answer.error or "no answer"
    if 300 <= answer.status < 400:
        return f"HTTP {answer.status}: redirects are not followed; set the final URL"
    return f"HTTP {answer.status}"


def _attempts(url: str, secret: str, event_name: str, delivery_id: str, body: bytes) -> dict[str, Any]:
    """POST until delivered, refused for good, or out of attempts; the outcome to record."""
    settings = get_settings()
    started = time.monotonic()
    outcome: dict[str, Any] = {"status": "failed", "attempts": 0}
    for attempt in range(1, settings.webhook_max_attempts + 1):
        outcome["attempts"] = attempt
        try:
            target = check_webhook_url(url)  # again: DNS may have changed since it was saved
        except EndpointRefused as exc:
            outcome.update(error=f"refused: {exc}", retryable=False)
            return outcome
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Igny8-Event": event_name,
            "X-Igny8-Delivery": delivery_id,
            "X-Igny8-Signature": signature(secret, int(time.time()), body),
        }
        answer = post(target, body, headers, settings.webhook_timeout_seconds)
        outcome["http_status"] = answer.status
        if answer.status is not None and 200 <= answer.status < 300:
            outcome.update(status="delivered", error=None)
            outcome.pop("retryable", None)
            return outcome
        outcome.update(error=_problem(answer), retryable=_retryable(answer))
        if not _retryable(answer) or attempt == settings.webhook_max_attempts:
            return outcome
        wait = min(settings.webhook_backoff_seconds * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)
        elapsed = time.monotonic() - started
        if elapsed + wait + settings.webhook_timeout_seconds > DELIVERY_BUDGET_SECONDS:
            outcome["error"] += " (out of time for another attempt)"
            return outcome
        time.sleep(wait)
    return outcome


def _record(account_id: str, url: str, outcome: dict[str, Any]) -> None:
    """Keep the outcome on the account, unless the webhook changed meanwhile."""
    try:
        Account(account_id).update(
            actions=[Account.webhook_last_delivery.set(outcome)],
            condition=Account.webhook_url == url,
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        logger.info("webhook changed during the delivery; outcome not recorded")


def deliver_event(event: dict[str, Any]) -> dict[str, Any]:
    """Deliver one EventBridge job event to its account's webhook (the webhook Lambda's work)."""
    detail = event.get("detail")
    event_name = EVENT_NAMES.get(str(event.get("detail-type")))
    if event.get("source") != SOURCE or not isinstance(detail, dict) or event_name is None:
        logger.warning("not a job event; ignored", extra={"detail_type": event.get("detail-type")})
        return {"delivered": False, "reason": "not a job event"}
    if not detail.get("account_id"):
        logger.warning("not a job event; ignored", extra={"detail_type": event.get("detail-type")})
        return {"delivered": False, "reason": "not a job event"}
    logger.append_keys(task_id=detail.get("task_id"), account_id=detail["account_id"])
    account = get_account(str(detail["account_id"]))
    if account is None or not account.webhook_url or not account.webhook_secret:
        return {"delivered": False, "reason": "no webhook"}
    url, delivery_id = account.webhook_url, str(event.get("id") or detail.get("task_id"))
    body = json.dumps(detail, separators=(",", ":"), default=str).encode()
    outcome = _attempts(url, account.webhook_secret, event_name, delivery_id, body)
    outcome.update(task_id=detail.get("task_id"), event=event_name, delivery_id=delivery_id, at=iso_now())
    _record(account.account_id, url, outcome)
    log = {"webhook": redact_url(url), **{k: outcome.get(k) for k in ("task_id", "status", "attempts")}}
    if outcome["status"] != "delivered":
        logger.warning("webhook delivery failed", extra={**log, "error": outcome.get("error")})
        raise WebhookDeliveryFailed(
            f"event {delivery_id} of job {detail.get('task_id')} not delivered after "
            f"{outcome['attempts']} attempt(s): {outcome.get('error')}"
        )
    logger.info("webhook delivered", extra=log)
    return {"delivered": True, **{k: outcome[k] for k in ("task_id", "attempts", "http_status")}}
